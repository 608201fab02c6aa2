"""Migrations build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from feedback.app import create_app
from feedback.extensions import db
from feedback.sqltypes import render_migration_item


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
