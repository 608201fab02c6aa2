"""Visitor-facing pages (the kiosk screen arrives with the kiosk issue)."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from feedback.extensions import db

kiosk_bp = Blueprint("kiosk", __name__)


@kiosk_bp.get("/healthz")
def healthz():
    """Load-balancer check: the app answers and the database is reachable."""
    db.session.execute(text("SELECT 1"))
    db.session.rollback()
    return jsonify(status="ok")
