"""Alert rules after a response is stored.

The rules run after the ingest transaction has committed, and an error in them is logged and
dropped: a stored response is answered 2xx whatever the alerts do. They run in the request,
so a negative tap waits for them (5-7 statements, see docs/PERFORMANCE.md; a positive one
needs none); ``ALERTS_ON_INGEST=false`` leaves them to ``flask alerts run``. The e-mail of a
new alert is sent after the answer has gone out (``call_on_close``); if the process dies
first, the alert stays ``pending`` and ``flask alerts run`` sends it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from datetime import datetime

from flask import Flask, after_this_request, current_app

from feedback import clock
from feedback.extensions import db
from feedback.services import alerts, mailer

log = logging.getLogger(__name__)


def after_ingest(results: Iterable, now: datetime) -> None:
    """Evaluate the cheap rules for the responses just stored (``ingest.ItemResult``s); nothing
    when ``ALERTS_ON_INGEST`` is off (then only ``flask alerts run`` evaluates)."""
    if not current_app.config.get("ALERTS_ON_INGEST", True):
        return
    created = [r.response for r in results if r.created]
    if not created:
        return
    try:
        mail = mailer.Mailer.from_config(current_app.config)
        raised = alerts.evaluate_ingested(db.session, created, now, email=mail is not None)
    except Exception:
        db.session.rollback()
        log.exception("Alert evaluation failed after storing %d response(s); they stand", len(created))
        return
    if raised and mail is not None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]  # the app behind the proxy

        @after_this_request
        def _send_when_answered(response):
            response.call_on_close(functools.partial(_deliver, app, raised))
            return response


def _deliver(app: Flask, alert_ids: list[int]) -> None:
    with app.app_context():
        try:
            mail = mailer.Mailer.from_config(app.config)
            if mail is not None:
                mailer.deliver(db.session, mail, clock.now(), ids=alert_ids)
        except Exception:
            db.session.rollback()
            log.exception("E-mail of alerts %s failed", alert_ids)
