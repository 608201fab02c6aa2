"""Visitor-facing pages: the kiosk shell, its service worker, enrolment (health checks: feedback/health.py)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template, url_for

from feedback import clock
from feedback.database import write_transaction
from feedback.extensions import db
from feedback.services import enrollment, kiosk_config
from feedback.services.errors import ServiceError

kiosk_bp = Blueprint("kiosk", __name__, template_folder="templates")

# Everything the kiosk needs offline; the service worker pre-caches these.
KIOSK_ASSETS = (
    "kiosk.css",
    "kiosk.js",
    "outbox.js",
    "sender.js",
    "faces.js",
    "buttons.js",
    "guard.js",
    "limits.js",
    "speech.js",
    "audio.js",
    "status.js",
    "server.js",
    "icon.svg",
)


@lru_cache(maxsize=1)
def app_version(static_folder: str) -> str:
    """A hash of the kiosk's files: changes on every deploy that changes them."""
    digest = hashlib.sha256()
    for name in (*KIOSK_ASSETS, "sw.js"):
        digest.update((Path(static_folder) / "kiosk" / name).read_bytes())
    digest.update(Path(__file__).with_name("templates").joinpath("kiosk", "kiosk.html").read_bytes())
    return digest.hexdigest()[:12]


def _static_folder() -> str:
    folder = current_app.static_folder
    if folder is None:  # the app factory always sets one
        raise RuntimeError("The app has no static folder.")
    return folder


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@kiosk_bp.get("/")
def index():
    return render_template("kiosk/index.html")


@kiosk_bp.get("/kiosk")
def kiosk():
    """The kiosk shell. The device token lives in the browser; the page works without the network."""
    version = app_version(_static_folder())
    response = Response(render_template("kiosk/kiosk.html", app_version=version, boot_text=kiosk_config.boot_texts()))
    response.headers["Cache-Control"] = "no-cache"
    return response


@kiosk_bp.get("/kiosk/sw.js")
def service_worker():
    """The service worker, served under /kiosk so it may control the kiosk page."""
    static = Path(_static_folder())
    version = app_version(_static_folder())
    assets = [url_for("kiosk.kiosk"), url_for("kiosk.manifest")] + [
        url_for("static", filename=f"kiosk/{name}") for name in KIOSK_ASSETS
    ]
    body = (static / "kiosk" / "sw.js").read_text()
    body = body.replace("__VERSION__", version).replace('"__ASSETS__"', repr(assets).replace("'", '"'))
    response = Response(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/kiosk"
    response.headers["Cache-Control"] = "no-cache"
    return response


@kiosk_bp.get("/kiosk/manifest.webmanifest")
def manifest():
    return jsonify(
        {
            "name": "Counter feedback kiosk",
            "short_name": "Feedback",
            "start_url": url_for("kiosk.kiosk"),
            "scope": url_for("kiosk.kiosk"),
            "display": "fullscreen",
            "background_color": "#ffffff",
            "theme_color": "#1a4480",
            "icons": [{"src": url_for("static", filename="kiosk/icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
        }
    )


@kiosk_bp.get("/kiosk/enroll/<code>")
def enroll_form(code: str):
    """Shows what the tablet will become; the script submits the form (link previews do not)."""
    try:
        record = enrollment.find_code(db.session, code, now=clock.now())
    except ServiceError as exc:
        return _no_store(Response(render_template("kiosk/enroll.html", error=exc.detail), status=exc.status))
    return _no_store(Response(render_template("kiosk/enroll.html", location=record.device.location)))


@kiosk_bp.post("/kiosk/enroll/<code>")
def enroll_redeem(code: str):
    try:
        with write_transaction(db.session):
            device, token = enrollment.redeem(db.session, code, now=clock.now())
            location = device.location
    except ServiceError as exc:
        return _no_store(Response(render_template("kiosk/enroll.html", error=exc.detail), status=exc.status))
    return _no_store(Response(render_template("kiosk/enroll.html", token=token, location=location)))
