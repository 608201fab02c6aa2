"""Read API for admin users, authenticated with a personal API token."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, g, jsonify, request
from sqlalchemy import select

from feedback.extensions import db
from feedback.http import ApiError, bearer_token, load_args
from feedback.models import Location
from feedback.schemas.summary import SummaryQuerySchema
from feedback.services import aggregation, users

admin_api = Blueprint("admin_api", __name__, url_prefix="/api/v1")


def token_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = users.authenticate_api_token(db.session, bearer_token(request))
        if user is None:
            raise ApiError(401, "Unauthorized", "A valid personal API token is required.",
                           {"authorization": ["Missing, unknown or revoked bearer token."]},
                           headers={"WWW-Authenticate": 'Bearer realm="api"'})
        db.session.commit()  # keeps the token's last-used time
        g.user = user
        return view(*args, **kwargs)

    return wrapper


@admin_api.get("/summary")
@token_required
def summary():
    """Scores for the caller's locations over a date range, optionally grouped.
    ---
    get:
      summary: Count, CSAT, mean, distribution, follow-ups and suspects
      security: [{apiToken: []}]
      parameters:
      - in: query
        schema: SummaryQuerySchema
      responses:
        200: {description: The summary}
        401: {$ref: '#/components/responses/Problem'}
        404: {$ref: '#/components/responses/Problem'}
        422: {$ref: '#/components/responses/Problem'}
    """
    args = {key: request.args.get(key) for key in request.args if key != "location"}
    args["location"] = request.args.getlist("location")
    query = load_args(args, SummaryQuerySchema())
    scope = users.scope_location_ids(db.session, g.user)
    if query["location"]:
        codes = {code.strip().upper() for code in query["location"]}
        found = dict(db.session.execute(select(Location.code, Location.id).where(Location.code.in_(codes))).all())
        missing = sorted(code for code in codes if found.get(code) not in scope)
        if missing:
            # Out of scope looks exactly like unknown: a manager learns nothing of other offices.
            raise ApiError(404, "Not Found", "Unknown location.", {"location": [f"Unknown: {', '.join(missing)}."]})
        location_ids = sorted(found.values())
    else:
        location_ids = sorted(scope)
    result = aggregation.summarize(
        db.session, location_ids, query["from_"], query["to"], channel=query["channel"],
        group=query["group"], include_suspect=query["include_suspect"],
    )
    return jsonify(result)
