"""Settings from the environment, and the SQLite connection settings."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from feedback.config import load_config, normalize_database_url


def test_production_requires_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("FEEDBACK_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        load_config()


def test_development_key_is_generated_once_and_kept(monkeypatch, tmp_path):
    monkeypatch.delenv("FEEDBACK_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    first = load_config()["SECRET_KEY"]
    assert len(first) > 40
    assert load_config()["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_defaults(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "PORT", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    config = load_config()
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'feedback.db'}"
    assert config["PORT"] == 8000
    assert config["REDIS_URL"] is None
    assert config["SUSPECT_WINDOW_SECONDS"] == 2.0
    assert config["ALERTS_ON_INGEST"] is True


@pytest.mark.parametrize(("raw", "value"), [("0", False), ("off", False), ("False", False), ("1", True), ("yes", True)])
def test_alerts_on_ingest_switch(monkeypatch, tmp_path, raw, value):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("ALERTS_ON_INGEST", raw)
    assert load_config()["ALERTS_ON_INGEST"] is value


def test_bad_switch_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("ALERTS_ON_INGEST", "maybe")
    with pytest.raises(RuntimeError, match="ALERTS_ON_INGEST must be true or false"):
        load_config()


@pytest.mark.parametrize("url", ["mail.example.gov", "http://mail.example.gov", "smtp://"])
def test_a_malformed_smtp_url_stops_the_start(tmp_path, url):
    from feedback.app import create_app

    with pytest.raises(RuntimeError, match="SMTP_URL must look like smtp://host:port"):
        create_app({"SMTP_URL": url, "INSTANCE_PATH": str(tmp_path)})


def test_a_good_smtp_url_starts(tmp_path):
    from feedback.app import create_app

    app = create_app(
        {
            "SMTP_URL": "smtp+starttls://alerts%40example.gov:secret@mail.example.gov:587",
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
        }
    )
    assert app.config["SMTP_URL"].startswith("smtp+starttls://")


def test_bad_number_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("PORT", "eighty")
    with pytest.raises(RuntimeError, match="PORT must be an integer"):
        load_config()


@pytest.mark.parametrize("url", ["postgres://u@h/db", "postgresql://u@h/db"])
def test_postgres_urls_use_psycopg3(url):
    assert normalize_database_url(url) == "postgresql+psycopg://u@h/db"


def test_connection_settings_of_the_database_in_use(session):
    """SQLite: WAL with foreign keys on, every commit synced to disk (a 2xx survives a power loss).
    PostgreSQL: psycopg 3, in this run's own schema, synchronous commit left on."""
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 15000
        assert session.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    else:
        assert session.execute(text("SHOW synchronous_commit")).scalar() == "on"
        assert bind.dialect.driver == "psycopg"
        assert session.execute(text("SELECT current_schema()")).scalar().startswith("test_")


# --- production mode and its key (issue 11, item 8) ----------------------------------------------

STRONG_KEY = "pV3q9Lx_2mZt8Rk4Wn7Yb1Hc6Jd0Fg5Se-Ua3Oi9Ep2Qr"


@pytest.mark.parametrize(
    "key",
    [
        "x",
        "short-but-random-Xq9",
        "a" * 64,
        "passwordpasswordpasswordpassword",
        "0123456789abcdef0123456789abcdef",
        "abcdefghijklmnopqrstuvwxyz0123456789",
        "changeme" * 6,
    ],
)
def test_production_refuses_a_weak_secret_key(monkeypatch, tmp_path, key):
    monkeypatch.setenv("FEEDBACK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", key)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="SECRET_KEY is too weak for production"):
        load_config()


def test_production_accepts_a_generated_key_and_sends_hsts(monkeypatch, tmp_path):
    import secrets

    from feedback.app import create_app

    monkeypatch.setenv("FEEDBACK_ENV", "production")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    for key in (STRONG_KEY, secrets.token_urlsafe(48), secrets.token_hex(32)):
        monkeypatch.setenv("SECRET_KEY", key)
        config = load_config()
        assert config["SECRET_KEY"] == key and config["ENV_NAME"] == "production"
        assert config["SESSION_COOKIE_SECURE"] is True
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})
    resp = app.test_client().get("/kiosk/manifest.webmanifest")
    assert resp.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_development_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/kiosk/manifest.webmanifest").headers


@pytest.mark.parametrize("mode", ["Production", "prod", "PRODUCTION", "producton", "dev", "staging", " production"])
def test_an_unknown_mode_name_stops_the_start(monkeypatch, tmp_path, mode):
    """A mistyped mode used to run as development: a per-instance random key, cookies without Secure."""
    monkeypatch.setenv("FEEDBACK_ENV", mode)
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="FEEDBACK_ENV must be one of development, production"):
        load_config()


@pytest.mark.parametrize("mode", ["development", ""])
def test_development_is_the_default_mode(monkeypatch, tmp_path, mode):
    monkeypatch.setenv("FEEDBACK_ENV", mode)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    assert load_config()["ENV_NAME"] == "development"
