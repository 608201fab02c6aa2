"""Bearer-token authentication of kiosks."""

from __future__ import annotations

from functools import wraps

from flask import g, request

from feedback.extensions import db
from feedback.http import ApiError, bearer_token
from feedback.services import kiosks


def device_required(view):
    """Load the calling device into ``g.device`` or answer 401."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        device = kiosks.authenticate(db.session, bearer_token(request))
        if device is None:
            raise ApiError(
                401,
                "Unauthorized",
                "A valid, unrevoked device token is required.",
                {"authorization": ["Missing, unknown or revoked bearer token."]},
                headers={"WWW-Authenticate": 'Bearer realm="kiosk"'},
            )
        g.device = device
        return view(*args, **kwargs)

    return wrapper
