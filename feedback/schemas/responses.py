"""What a kiosk sends for one response (or a batch), and what it gets back."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from feedback.i18n import LANGUAGES
from feedback.scales import DRIVERS, MAX_POINTS
from feedback.schemas.fields import MAX_INT32, AwareDateTime

_choice = fields.String(validate=validate.OneOf(DRIVERS))


class ResponseInSchema(Schema):
    """One tap. The location and channel come from the device token, never from here."""

    id = fields.UUID(required=True, metadata={"description": "Made by the client; a retry reuses it."})
    rating = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(1, MAX_POINTS),
        metadata={"description": "1 (worst) .. the survey scale's points (best)."},
    )
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    client_time = AwareDateTime(
        required=True,
        metadata={"description": "When the visitor tapped, ISO 8601 with offset (years 1900-2999)."},
    )
    survey_version = fields.Integer(
        strict=True,
        load_default=None,
        validate=validate.Range(1, MAX_INT32),
        metadata={"description": "Id of the survey version shown; defaults to the location's current one."},
    )
    followup_offered = fields.List(_choice, load_default=list, validate=validate.Length(max=len(DRIVERS)))
    followup_chosen = fields.List(_choice, load_default=list, validate=validate.Length(max=len(DRIVERS)))


class BatchInSchema(Schema):
    responses = fields.List(fields.Nested(ResponseInSchema), required=True, validate=validate.Length(min=1))

    def handle_error(self, error: ValidationError, data, *, many: bool, **kwargs):
        """Key item errors by the item's index at the top level, as the service's rule errors are."""
        messages = error.messages
        if not isinstance(messages, dict):
            return
        items = messages.get("responses")
        if isinstance(items, dict):
            raise ValidationError({**{k: v for k, v in messages.items() if k != "responses"}, **items}) from error


class ResponseOutSchema(Schema):
    id = fields.UUID()
    location = fields.Function(lambda r: r.location.code)
    survey_version = fields.Integer(attribute="survey_version_id")
    device = fields.Integer(attribute="device_id", allow_none=True)
    channel = fields.String()
    rating = fields.Integer()
    followup_offered = fields.List(fields.String())
    followup_chosen = fields.List(fields.String())
    language = fields.String()
    client_time = fields.AwareDateTime()
    received_at = fields.AwareDateTime()
    suspect = fields.Boolean()


class BatchItemResultSchema(Schema):
    id = fields.UUID()
    status = fields.Integer(metadata={"description": "201 stored now, 200 already stored (replay)."})
    suspect = fields.Boolean()


class BatchOutSchema(Schema):
    created = fields.Integer()
    replayed = fields.Integer()
    results = fields.List(fields.Nested(BatchItemResultSchema))


class HeartbeatInSchema(Schema):
    app_version = fields.String(required=True, validate=validate.Length(min=1, max=32))
    queue_length = fields.Integer(required=True, strict=True, validate=validate.Range(0, MAX_INT32))
    last_error = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    quarantined = fields.Integer(
        strict=True,
        load_default=0,
        validate=validate.Range(0, MAX_INT32),
        metadata={"description": "Responses the kiosk holds back because they alone kept failing."},
    )
    quarantined_ids = fields.List(
        fields.UUID(),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "The first (at most 20) of those responses' ids."},
    )


class HeartbeatOutSchema(Schema):
    device = fields.Integer()
    location = fields.String()
    server_time = fields.AwareDateTime()
