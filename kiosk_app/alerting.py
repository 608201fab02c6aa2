"""Alert rules after responses are counted: the listener of ``announce.responses_stored``.

The fold (``services/fold.py``) announces the responses it has just added to the rollups, after
its commit; the cheap rules run then, and an error in them is logged and dropped: the responses
stand. So a tap's answer never waits for them: the fold runs after it (``feedback/folding.py``),
in a background thread, the scheduler, or a reader that folds first; ``ROLLUP_FOLD=inline``
runs it in the tap's request. ``ALERTS_ON_INGEST=false`` leaves the rules to ``flask alerts
run``. The e-mail of a new alert is sent after an answer has gone out (``call_on_close``) when
the fold ran in a request, else at once; if the process dies first, the alert stays ``pending``
and ``flask alerts run`` sends it.
"""

from __future__ import annotations

import functools
import logging

from flask import Flask, after_this_request, current_app, has_request_context
from flask import Response as HttpResponse

from feedback import clock
from feedback.database import DbSession
from feedback.extensions import db
from feedback.services import alerts, announce, mailer

log = logging.getLogger(__name__)


def subscribe() -> None:
    """Listen to what ingest stores (the app factory calls it; once is enough per process)."""
    announce.subscribe(on_stored)


def on_stored(session: DbSession, stored: announce.Stored) -> None:
    """Evaluate the cheap rules for the responses just counted; nothing when ``ALERTS_ON_INGEST``
    is off (then only ``flask alerts run`` evaluates)."""
    if not current_app.config.get("ALERTS_ON_INGEST", True):
        return
    try:
        mail = mailer.Mailer.from_config(current_app.config)
        raised = alerts.evaluate_ingested(session, stored.responses, stored.now, email=mail is not None)
    except Exception:
        session.rollback()
        log.exception("Alert evaluation failed after storing %d response(s); they stand", len(stored.responses))
        return
    if raised and mail is not None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]  # the app behind the proxy
        if not has_request_context():
            _deliver(app, raised)
            return

        @after_this_request
        def _send_when_answered(response: HttpResponse) -> HttpResponse:
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
