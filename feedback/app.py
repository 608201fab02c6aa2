"""The application factory: config, extensions, blueprints, error handlers, CLI."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from feedback.config import load_config, resource_dir
from feedback.extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(config: dict | None = None) -> Flask:
    """Build the app. ``config`` overrides the environment (tests pass their own)."""
    settings = load_config()
    settings.update(config or {})
    app = Flask(
        "feedback",
        static_folder=str(resource_dir("static")),
        instance_path=settings["INSTANCE_PATH"],
        instance_relative_config=False,
    )
    app.config.update(settings)
    _check_settings(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    register_observability(app)
    register_extensions(app)
    register_blueprints(app)
    register_listeners()
    register_errorhandlers(app)
    register_commands(app)
    return app


def _check_settings(app: Flask) -> None:
    """Refuse to start on a setting that would otherwise fail later, unseen (a malformed
    ``SMTP_URL`` would only show when the first alert's e-mail is due)."""
    if app.config.get("SMTP_URL"):
        from feedback.services.mailer import Mailer

        try:
            Mailer.from_config(app.config)
        except ValueError as exc:
            raise RuntimeError(str(exc)) from None


def register_observability(app: Flask) -> None:
    """Logging, the request id and log line (first, so its clock starts before any other hook),
    and /metrics with the hook that times ingest and admin pages."""
    from feedback import metrics_view, request_log

    request_log.configure_logging(app)
    request_log.init_app(app)
    metrics_view.init_app(app)


def register_extensions(app: Flask) -> None:
    from feedback import (
        cache,  # the shared cache; importing it installs the session hooks that invalidate it
        database,  # engine options; importing it installs the connection hooks
        models,  # noqa: F401  (registers the tables with the metadata)
        ratelimit,
        replica,
    )
    from feedback.folding import init_app as init_folding
    from feedback.i18n import init_app as init_i18n
    from feedback.i18n import select_locale
    from feedback.input_guard import init_app as init_input_guard
    from feedback.numbers import init_app as init_numbers
    from feedback.security import init_app as init_security

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **database.engine_options(app.config["SQLALCHEMY_DATABASE_URI"], app.config),
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
    }
    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")))
    babel.init_app(app, locale_selector=select_locale)
    init_i18n(app)  # ``current_locale()`` for ``<html lang>``
    csrf.init_app(app)
    limiter.init_app(app)
    ratelimit.init_app(app)
    login_manager.init_app(app)
    init_security(app)
    init_input_guard(app)
    init_folding(app)  # who folds taps into the rollups (ROLLUP_FOLD)
    cache.init_app(app)
    replica.init_app(app)  # DATABASE_REPLICA_URL: where dashboards, exports and the read API read
    init_numbers(app)  # the ``percent`` template filter: one rounding rule (half up) everywhere
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        # Flask's documented way to add WSGI middleware; mypy reads it as replacing a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def register_blueprints(app: Flask) -> None:
    from admin_app import admin_api, admin_bp
    from feedback.health import health_bp
    from kiosk_app import device_api, kiosk_bp, phone_bp

    # Token-authenticated JSON APIs send no cookies, so CSRF does not apply to them.
    csrf.exempt(device_api)
    csrf.exempt(admin_api)
    app.register_blueprint(device_api)
    app.register_blueprint(admin_api)
    app.register_blueprint(kiosk_bp)
    app.register_blueprint(phone_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(health_bp)


def register_listeners() -> None:
    """What runs after a service's commit: the fold listens to what ingest stores, the alert rules
    to what the fold counts."""
    from kiosk_app import alerting

    alerting.subscribe()


def register_errorhandlers(app: Flask) -> None:
    from feedback.errors import register_errorhandlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from feedback.cli import register

    register(app)
