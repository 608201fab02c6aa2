"""Fixtures: one app and database per test session, emptied after every test.

The database is SQLite in a temporary folder, or PostgreSQL when
``DATABASE_URL`` names one: then a fresh schema is made for this run and
dropped at the end, so runs never see each other's rows.
"""

from __future__ import annotations

import functools
import os
import uuid
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from feedback.config import normalize_database_url
from feedback.database import write_transaction
from tests.builders import PASSWORD, QUICK_HASH, add_user
from tests.contract import check as check_contract
from tests.dbfaults import isolated_app, unreachable_url

os.environ.setdefault("SECRET_KEY", "test-secret-key")


def _postgres_schema_url(url: str) -> tuple[str, str]:
    schema = f"test_{uuid.uuid4().hex[:10]}"
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}", schema


@contextmanager
def _fresh_database(tmp_dir):
    """An empty database of the kind this run tests: a SQLite file, or a new PostgreSQL schema."""
    raw = os.environ.get("DATABASE_URL")
    if not raw or raw.startswith("sqlite"):
        yield f"sqlite:///{tmp_dir / 'test.db'}"
        return
    import sqlalchemy

    base = normalize_database_url(raw)
    url, schema = _postgres_schema_url(base)
    admin = sqlalchemy.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with _fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture
def fresh_database_url(tmp_path):
    """A second, empty database for tests that build their own schema (migrations)."""
    with _fresh_database(tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def _app(database_url, tmp_path_factory):
    from feedback.app import create_app
    from feedback.extensions import db

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            # Taps are folded before the answer, so a test sees alerts at once; the fold's own
            # tests (tests/feedback/test_fold.py) run the other modes.
            "ROLLUP_FOLD": "inline",
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
            "PUBLIC_URL": "http://127.0.0.1:8000",  # what the tests expect in links, whatever the environment
        }
    )
    app.test_client_class = OwnContextClient  # app.test_client() checks the contract too
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def app(_app):
    from feedback.extensions import db, limiter

    yield _app
    limiter.reset()  # each test starts with fresh rate limits (sign-ins, phone answers)
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def session(app):
    from feedback.extensions import db

    return db.session


class OwnContextClient(FlaskClient):
    """A test client whose every request runs in an app context of its own (fresh ``g`` and
    database session), as in production. The session-wide app context would otherwise be
    shared by every request: ``g`` (where Flask-WTF caches a CSRF token) leaks between tests."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        check_contract(self.application, response)  # /api/ answers must fit the OpenAPI document
        return response


@pytest.fixture
def new_client(app):
    """Another browser (or phone): a client with its own cookies."""
    return lambda: OwnContextClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def client(new_client):
    return new_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def build(session):
    from tests.builders import Builder

    return Builder(session)


@pytest.fixture(autouse=True)
def _quick_password_hashes(monkeypatch):
    """The same scrypt hashing with a smaller work factor: the tests hash and check dozens of passwords.
    The checks themselves are werkzeug's, which read the parameters from each stored hash."""
    quick = functools.partial(generate_password_hash, method=QUICK_HASH)
    monkeypatch.setattr("feedback.services.users.generate_password_hash", quick)
    monkeypatch.setattr("feedback.services.auth.generate_password_hash", quick)
    monkeypatch.setattr("feedback.services.auth._DUMMY_HASH", quick("not-a-real-password"))


@pytest.fixture
def make_user(session):
    """Make a user through the builders (quick hash), signed in later with ``PASSWORD``."""

    def make(email: str, role: str = "admin", locations=(), password: str = PASSWORD):
        with write_transaction(session):
            user = add_user(session, email, password, role, list(locations))
        return user

    return make


@pytest.fixture
def unreachable_app(app, database_url, tmp_path):
    """The app on a database that refuses connections (tests/dbfaults.py)."""
    with isolated_app(app, unreachable_url(database_url, tmp_path), tmp_path / "instance") as fault_app:
        yield fault_app
