"""Bearer-token authentication of kiosks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, request

from feedback.extensions import db
from feedback.http import ApiError, bearer_token
from feedback.services import kiosks


def _refuse() -> ApiError:
    return ApiError(
        401,
        "Unauthorized",
        "A valid, unrevoked device token is required.",
        {"authorization": ["Missing, unknown or revoked bearer token."]},
        headers={"WWW-Authenticate": 'Bearer realm="kiosk"'},
    )


def device_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Load the calling device (a ``Device`` with its location) into ``g.device`` or answer 401."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        device = kiosks.authenticate(db.session, bearer_token(request))
        if device is None:
            raise _refuse()
        g.device = device
        return view(*args, **kwargs)

    return wrapper


def kiosk_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """For views that write (taps, heartbeats): the calling kiosk as a ``KioskRef`` in ``g.kiosk``,
    from the token cache or read in the write transaction the view continues; or 401."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        max_age = current_app.config["AUTH_CACHE_SECONDS"]
        kiosk = kiosks.authenticate_for_write(db.session, bearer_token(request), max_age=max_age)
        if kiosk is None:
            raise _refuse()
        g.kiosk = kiosk
        return view(*args, **kwargs)

    return wrapper
