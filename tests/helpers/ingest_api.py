"""The ingest API from a test: post a batch, and read what the database holds on a separate
connection (what was committed, not what the test's session sees)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import Response, ResponseHourly
from tests.builders import auth

BATCH_URL = "/api/v1/responses/batch"
RESPONSES = Response.__table__
HOURLY = ResponseHourly.__table__


def stored_counts() -> tuple[int, int]:
    """(rows in ``responses``, sum of ``response_hourly.n``), as committed."""
    with db.engine.connect() as conn:
        rows = conn.scalar(select(func.count()).select_from(RESPONSES))
        n = conn.scalar(select(func.coalesce(func.sum(HOURLY.c.n), 0)))
    return rows, int(n)


def stored_ids() -> set[str]:
    """The ids of the committed rows of ``responses``."""
    with db.engine.connect() as conn:
        return {str(i) for i in conn.scalars(select(RESPONSES.c.id))}


def stored_row(response_id):
    """The committed row of ``responses`` with this id, or None."""
    with db.engine.connect() as conn:
        return conn.execute(select(RESPONSES).where(RESPONSES.c.id == uuid.UUID(str(response_id)))).one_or_none()


def post_batch(client, token, items):
    return client.post(BATCH_URL, json={"responses": items}, headers=auth(token))
