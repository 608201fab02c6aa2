"""Read API for admin users, authenticated with a personal API token."""

from __future__ import annotations

import functools
from functools import wraps

from flask import Blueprint, g, jsonify, request

from feedback import clock
from feedback.deferred import write_after_response
from feedback.extensions import db
from feedback.http import ApiError, bearer_token, load_args
from feedback.replica import reads
from feedback.schemas.responses import ResponseOutSchema
from feedback.schemas.summary import ResponsesQuerySchema, SummaryQuerySchema
from feedback.services import aggregation, api_tokens, responses_query, users

admin_api = Blueprint("admin_api", __name__, url_prefix="/api/v1")


def token_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        api_token = api_tokens.find_api_token(db.session, bearer_token(request))
        if api_token is None:
            raise ApiError(
                401,
                "Unauthorized",
                "A valid personal API token is required.",
                {"authorization": ["Missing, unknown or revoked bearer token."]},
                headers={"WWW-Authenticate": 'Bearer realm="api"'},
            )
        now = clock.now()
        if api_tokens.token_use_due(api_token, now):  # after the answer: a read never takes the write lock
            write_after_response(
                functools.partial(api_tokens.record_api_token_use, token_id=api_token.id, now=now), "API token use"
            )
        g.user = api_token.user
        return view(*args, **kwargs)

    return wrapper


def _query(schema):
    """Load the query string; ``location`` may repeat."""
    args: dict[str, str | list[str] | None] = {key: request.args.get(key) for key in request.args if key != "location"}
    args["location"] = request.args.getlist("location")
    return load_args(args, schema)


@admin_api.get("/summary")
@token_required
def summary():
    """Scores for the caller's locations over a date range, optionally grouped.
    ---
    get:
      summary: Count, CSAT, mean, distribution, follow-ups and suspects
      operationId: summary
      security: [{apiToken: []}]
      parameters:
      - in: query
        schema: SummaryQuerySchema
      responses:
        200: {description: The summary, content: {application/json: {schema: {type: object}}}}
        401: {$ref: '#/components/responses/Problem'}
        404: {$ref: '#/components/responses/Problem'}
        422: {$ref: '#/components/responses/Problem'}
    """
    query = _query(SummaryQuerySchema())
    location_ids = users.resolve_locations(db.session, g.user, query["location"])
    result = aggregation.summarize(
        reads(),
        location_ids,
        query["from_"],
        query["to"],
        channel=query["channel"],
        group=query["group"],
        include_suspect=query["include_suspect"],
    )
    return jsonify(result)


@admin_api.get("/responses")
@token_required
def list_responses():
    """Raw responses of the caller's locations over a range of local dates, oldest first, in pages.
    ---
    get:
      summary: List responses (keyset pages of up to 1000)
      operationId: listResponses
      security: [{apiToken: []}]
      parameters:
      - in: query
        schema: ResponsesQuerySchema
      responses:
        200:
          description: A page of responses, and the cursor of the next one (null on the last page)
          content:
            application/json:
              schema:
                type: object
                required: [responses, next_cursor]
                properties:
                  responses: {type: array, items: {$ref: '#/components/schemas/ResponseOut'}}
                  next_cursor: {type: string, nullable: true}
        401: {$ref: '#/components/responses/Problem'}
        404: {$ref: '#/components/responses/Problem'}
        422: {$ref: '#/components/responses/Problem'}
    """
    query = _query(ResponsesQuerySchema())
    location_ids = users.resolve_locations(db.session, g.user, query["location"])
    rows, cursor = responses_query.list_responses(
        reads(),
        location_ids,
        query["from_"],
        query["to"],
        channel=query["channel"],
        limit=query["limit"],
        after=query["after"],
    )
    return jsonify({"responses": ResponseOutSchema(many=True).dump(rows), "next_cursor": cursor})
