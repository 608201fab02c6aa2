"""The fault test's database: tables, one counter with kiosks, and its phone-survey link."""

from __future__ import annotations

from pathlib import Path

from feedback.database import write_transaction
from feedback.extensions import db
from feedback.services import survey_links
from tests.builders import Builder


def seed(database_url: str, instance_path: Path, *, kiosks: int) -> dict:
    """Make the tables and the data in ``database_url``; returns the kiosks' tokens and the slug."""
    from feedback.app import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(instance_path)})
    with app.app_context():
        db.create_all()
        build = Builder(db.session)
        location = build.location(code="FLT-1", office=build.office(name="Fault Test Office"))
        tokens = [build.device(location=location)[1] for _ in range(kiosks)]
        with write_transaction(db.session):
            slug = survey_links.current_link(db.session, location).slug
        db.session.remove()
        db.engine.dispose()
    return {"tokens": tokens, "slug": slug}
