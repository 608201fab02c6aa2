"""Migrations build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, update

from feedback.app import create_app
from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models import Response
from feedback.services import demo, fold
from feedback.sqltypes import render_migration_item
from tests.reporting.oracle import expected_rollups, raw_responses, stored_rollups


def test_upgrade_from_empty_to_head_matches_models(fresh_database_url, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url, "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        engine = db.engine
        assert inspect(engine).get_table_names() == []
        flask_migrate.upgrade()
        tables = set(inspect(engine).get_table_names())
        assert {"responses", "response_hourly", "followup_daily", "devices", "locations"} <= tables
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_item": render_migration_item}
            )
            assert compare_metadata(context, db.metadata) == []
        # Downgrade to nothing works too, so a bad deploy can be rolled back.
        flask_migrate.downgrade(revision="base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        db.session.remove()
        engine.dispose()


def test_0018_counts_the_stored_responses_per_language(fresh_database_url, tmp_path):
    """The new ``language_daily`` rollup starts equal to the responses already stored: per local day
    of the office's zone, spam left out, pending rows left to the fold (which then adds them)."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": fresh_database_url, "INSTANCE_PATH": str(tmp_path), "ROLLUP_FOLD": "inline"}
    )
    with app.app_context():
        session = db.session
        flask_migrate.upgrade()
        assert demo.load(session, weeks=1, now=datetime(2026, 11, 20, 12, tzinfo=UTC))["responses"] > 100
        responses = Response.__table__
        with write_transaction(session):  # as if stored by older code, in other languages, some spam, some pending
            session.execute(update(responses).where(responses.c.rating == 5).values(language="ko"))
            session.execute(update(responses).where(responses.c.rating == 1).values(language="ar"))
            session.execute(update(responses).where(responses.c.rating == 2).values(comment_state="spam"))
            session.execute(update(responses).where(responses.c.rating == 3).values(pending=True))
        session.commit()
        flask_migrate.downgrade(revision="0017")
        flask_migrate.upgrade()
        want = expected_rollups(raw_responses(session))[2]
        assert stored_rollups(session)[2] != want  # the pending rows are not counted yet
        assert fold.fold(session) > 0
        assert stored_rollups(session)[2] == want
        assert {k[4] for k in want} >= {"en", "ko", "ar"}
        db.session.remove()
        db.engine.dispose()
