"""The kiosk's survey configuration, served with an ETag so refreshes are cheap."""

from __future__ import annotations

from flask import current_app, g, jsonify, request

from feedback.extensions import db
from feedback.services import kiosk_config
from kiosk_app.api import device_api
from kiosk_app.auth import device_required


def _timing() -> dict:
    config = current_app.config
    return {
        "followup_seconds": config["KIOSK_FOLLOWUP_SECONDS"],
        "thanks_seconds": config["KIOSK_THANKS_SECONDS"],
        "idle_seconds": config["KIOSK_IDLE_SECONDS"],
        "config_refresh_seconds": config["KIOSK_CONFIG_REFRESH_SECONDS"],
        "heartbeat_seconds": config["KIOSK_HEARTBEAT_SECONDS"],
        "request_timeout_seconds": config["KIOSK_REQUEST_TIMEOUT_SECONDS"],
    }


@device_api.get("/kiosk/config")
@device_required
def get_config():
    """The calling kiosk's survey, texts in every language, PRA notice and timing.
    ---
    get:
      summary: Kiosk configuration (supports If-None-Match)
      operationId: kioskConfig
      security: [{deviceToken: []}]
      responses:
        200: {description: The configuration; ETag header set, content: {application/json: {schema: {type: object}}}}
        304: {description: Unchanged since the ETag given in If-None-Match}
        401: {$ref: '#/components/responses/Problem'}
    """
    config = kiosk_config.kiosk_config(db.session, g.device, timing=_timing())
    db.session.rollback()
    tag = kiosk_config.etag(config)
    response = current_app.response_class(status=304) if tag in request.if_none_match else jsonify(config)
    response.set_etag(tag)
    response.headers["Cache-Control"] = "no-cache, private"
    return response
