"""Device API under /api/v1: responses, batches, heartbeats, and the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from feedback import clock, metrics
from feedback.extensions import db
from feedback.http import ApiError, load_json
from feedback.openapi import build_spec
from feedback.schemas.fast_responses import FastBatchLoader, FastItemLoader
from feedback.schemas.responses import (
    BatchInSchema,
    BatchOutSchema,
    HeartbeatInSchema,
    HeartbeatOutSchema,
    ResponseInSchema,
    ResponseOutSchema,
)
from feedback.services import ingest, kiosks
from kiosk_app.auth import kiosk_required

device_api = Blueprint("device_api", __name__, url_prefix="/api/v1")

# One instance each: a schema keeps no state between loads, and building one per request cost a
# tap about 0.4 ms (issue 14's profile).
_RESPONSE_IN_SCHEMA = FastItemLoader(ResponseInSchema())  # plainly valid taps skip marshmallow
_RESPONSE_OUT_SCHEMA = ResponseOutSchema()
_BATCH_IN_SCHEMA = FastBatchLoader(BatchInSchema())
_BATCH_OUT_SCHEMA = BatchOutSchema()
_HEARTBEAT_IN_SCHEMA = HeartbeatInSchema()
_HEARTBEAT_OUT_SCHEMA = HeartbeatOutSchema()


def _policy() -> ingest.IngestPolicy:
    return ingest.IngestPolicy.from_config(current_app.config)


def _count(created: int, items: int) -> None:
    metrics.responses_stored("kiosk", g.kiosk.location_id, created)
    metrics.replayed(items - created)


@device_api.post("/responses")
@kiosk_required
def post_response():
    """Store one response from a kiosk.
    ---
    post:
      summary: Store one response (idempotent on its id)
      operationId: postResponse
      security: [{deviceToken: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: ResponseIn
      responses:
        201: {description: Stored now, content: {application/json: {schema: ResponseOut}}}
        200: {description: Replay (already stored with this body), content: {application/json: {schema: ResponseOut}}}
        401: {$ref: '#/components/responses/Problem'}
        409: {$ref: '#/components/responses/Conflict'}
        413: {$ref: '#/components/responses/TooLarge'}
        415: {$ref: '#/components/responses/NotJson'}
        422: {$ref: '#/components/responses/Refused'}
    """
    item = load_json(request, _RESPONSE_IN_SCHEMA)
    [result] = ingest.ingest(db.session, g.kiosk, [item], policy=_policy(), now=clock.now(), batch=False)
    _count(int(result.created), 1)
    return jsonify(_RESPONSE_OUT_SCHEMA.dump(result.response)), result.status


@device_api.post("/responses/batch")
@kiosk_required
def post_batch():
    """Store up to BATCH_MAX_ITEMS responses from a kiosk's offline queue, all or nothing.
    ---
    post:
      summary: Store a batch of responses (all or nothing; replays reported per item)
      operationId: postBatch
      security: [{deviceToken: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: BatchIn
      responses:
        201: {description: At least one response stored now, content: {application/json: {schema: BatchOut}}}
        200: {description: Every item was already stored, content: {application/json: {schema: BatchOut}}}
        401: {$ref: '#/components/responses/Problem'}
        409: {$ref: '#/components/responses/Conflict'}
        413: {$ref: '#/components/responses/TooLarge'}
        415: {$ref: '#/components/responses/NotJson'}
        422: {$ref: '#/components/responses/Refused'}
    """
    body = load_json(request, _BATCH_IN_SCHEMA)
    limit = current_app.config["BATCH_MAX_ITEMS"]
    if len(body["responses"]) > limit:
        raise ApiError(
            413,
            "Content Too Large",
            f"A batch holds at most {limit} responses.",
            {"responses": [f"At most {limit} items."]},
        )
    results = ingest.ingest(db.session, g.kiosk, body["responses"], policy=_policy(), now=clock.now(), batch=True)
    created = sum(r.created for r in results)
    _count(created, len(results))
    out = {
        "created": created,
        "replayed": len(results) - created,
        "results": [{"id": r.response.id, "status": r.status, "suspect": r.response.suspect} for r in results],
    }
    return jsonify(_BATCH_OUT_SCHEMA.dump(out)), 201 if created else 200


@device_api.post("/devices/heartbeat")
@kiosk_required
def heartbeat():
    """Record that a kiosk is alive, its app version and queue length.
    ---
    post:
      summary: Kiosk heartbeat
      operationId: heartbeat
      security: [{deviceToken: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: HeartbeatIn
      responses:
        200: {description: Recorded, content: {application/json: {schema: HeartbeatOut}}}
        401: {$ref: '#/components/responses/Problem'}
        413: {$ref: '#/components/responses/TooLarge'}
        415: {$ref: '#/components/responses/NotJson'}
        422: {$ref: '#/components/responses/Problem'}
    """
    body = load_json(request, _HEARTBEAT_IN_SCHEMA)
    now = clock.now()
    kiosks.record_heartbeat(db.session, g.kiosk, now=now, **body)
    out = {"device": g.kiosk.id, "location": g.kiosk.location.code, "server_time": now}
    return jsonify(_HEARTBEAT_OUT_SCHEMA.dump(out))


@device_api.get("/openapi.json")
def openapi():
    """The OpenAPI 3 document of /api/v1, generated from the schemas and these docstrings.
    ---
    get:
      summary: This document (OpenAPI 3.0, no authentication)
      operationId: openapi
      security: []
      responses:
        200: {description: The OpenAPI document, content: {application/json: {schema: {type: object}}}}
    """
    return jsonify(build_spec(current_app))
