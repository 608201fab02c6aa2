"""The second baseline for bench/ingest.py and bench/batch.py: bare Flask plus one durable insert.

Each POST stores the row the app would store for it into the ``responses`` table of a migrated
database with SQLAlchemy Core, and commits before answering 201; the batch endpoint stores all
its rows with one ``executemany`` and one commit. The engine has the app's settings: the options
of ``feedback.database.engine_options`` and its connection hooks (SQLite: WAL, synchronous=FULL,
foreign keys, ``BEGIN IMMEDIATE`` for the write), so "durable" means what it means in the app.
No token lookup (the bench hands over a token -> device map), no validation, no rollups.

    gunicorn -c gunicorn.conf.py 'bench.bare_insert_app:from_env()'   # DATABASE_URL, BENCH_DEVICES
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, jsonify, request

from feedback import database
from feedback.config import load_config, normalize_database_url
from feedback.models import Response
from feedback.services.ingest import payload_hash

# token -> (device id, location id, survey version id)
Devices = dict[str, tuple[int, int, int]]


def row(item: dict[str, Any], device: tuple[int, int, int], now: datetime) -> dict[str, Any]:
    """The response row the app stores for a valid kiosk tap ``item`` (same columns and hash)."""
    parsed = dict(item, id=uuid.UUID(item["id"]), client_time=datetime.fromisoformat(item["client_time"]))
    return {
        "id": parsed["id"],
        "location_id": device[1],
        "survey_version_id": device[2],
        "device_id": device[0],
        "channel": "kiosk",
        "rating": item["rating"],
        "followup_offered": item.get("followup_offered") or [],
        "followup_chosen": item.get("followup_chosen") or [],
        "language": item["language"],
        "client_time": parsed["client_time"].astimezone(UTC),
        "received_at": now,
        "suspect": False,
        "payload_hash": payload_hash(parsed),
        "comment_flagged": False,
    }


def create(database_url: str, devices: Devices) -> Flask:
    url = normalize_database_url(database_url)
    engine = sa.create_engine(url, **database.engine_options(url, load_config()))
    insert = sa.insert(Response.__table__)
    app = Flask(__name__)
    app.config["BENCH_ENGINE"] = engine

    def device() -> tuple[int, int, int]:
        return devices[request.headers["Authorization"].removeprefix("Bearer ")]

    def store(rows: list[dict[str, Any]]) -> None:
        with engine.connect() as conn:
            conn.execution_options(**{database.SQLITE_IMMEDIATE: True})
            conn.execute(insert, rows[0] if len(rows) == 1 else rows)  # a list: one executemany
            conn.commit()

    @app.get("/livez")
    def livez():
        return "ok"

    @app.post("/api/v1/responses")
    def post_response():
        item = json.loads(request.get_data())
        stored = row(item, device(), datetime.now(UTC))
        store([stored])
        return jsonify(id=item["id"], status="created"), 201

    @app.post("/api/v1/responses/batch")
    def post_batch():
        items = json.loads(request.get_data())["responses"]
        dev, now = device(), datetime.now(UTC)
        store([row(it, dev, now) for it in items])
        return jsonify(created=len(items), replayed=0), 201

    return app


def from_env() -> Flask:
    """For gunicorn: ``DATABASE_URL``, and ``BENCH_DEVICES`` a JSON file token -> [device, location, version]."""
    devices = {k: tuple(v) for k, v in json.loads(Path(os.environ["BENCH_DEVICES"]).read_text()).items()}
    return create(os.environ["DATABASE_URL"], devices)  # type: ignore[arg-type]
