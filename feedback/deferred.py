"""Bookkeeping writes that a read request owes, done after its answer has gone out.

A read request must never need the write lock: on SQLite a read transaction that turns into a
write fails at once when another connection writes ("database is locked"; the busy timeout does
not apply to an upgrade), on PostgreSQL it waits behind writers, and on a read-only database it
fails. So a GET that has something to note (an API token's last use) hands it to
``write_after_response``: the work runs when the server closes the answer, in an app context and
a write transaction of its own, and an error there is logged and dropped, never the reader's.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from flask import Flask, after_this_request, current_app

from feedback.database import DbSession, write_transaction
from feedback.extensions import db

log = logging.getLogger(__name__)


def write_after_response(work: Callable[[DbSession], object], what: str) -> None:
    """Run ``work(session)`` in a write transaction once this request's answer is sent.

    ``what`` names the work in the log if it fails. Call it from a view (or a decorator of one).
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the app behind the proxy

    @after_this_request
    def _when_answered(response):
        response.call_on_close(functools.partial(_run, app, work, what))
        return response


def _run(app: Flask, work: Callable[[DbSession], object], what: str) -> None:
    with app.app_context():
        try:
            with write_transaction(db.session):
                work(db.session)
        except Exception:
            log.warning("%s was not recorded (the answer was sent)", what, exc_info=True)
