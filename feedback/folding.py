"""Who runs the fold (``services/fold.py``) after taps, per ``ROLLUP_FOLD``:

- ``background`` (the default): each process has one folding thread, woken after a commit that
  left rows pending; it waits ``ROLLUP_FOLD_DELAY_SECONDS`` so one fold takes the taps of that
  moment together, then folds everything pending (any process's). The tap's answer never waits.
- ``inline``: the request that stored the rows folds them right after its commit, before it
  answers (a second transaction; what the tests use, so alerts are raised before the answer).
- ``off``: only the readers (``fold.catch_up``), ``flask rollups fold`` and the scheduler fold.

Whatever the mode, every reader folds what is pending before it reads, so no page misses a tap
answered before it asked; the thread only keeps that tail short and raises alerts soon.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from flask import Flask, current_app

from feedback.database import DbSession
from feedback.extensions import db
from feedback.services import announce, fold

log = logging.getLogger(__name__)
MODES = ("background", "inline", "off")


def init_app(app: Flask) -> None:
    if app.config["ROLLUP_FOLD"] not in MODES:
        raise RuntimeError(f"ROLLUP_FOLD must be one of {', '.join(MODES)}, not {app.config['ROLLUP_FOLD']!r}")
    announce.subscribe_pending(on_pending)


def on_pending(session: DbSession) -> None:
    """After a commit that left rows to fold (the ingest service announces it)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the app behind the proxy
    mode = app.config["ROLLUP_FOLD"]
    if mode == "inline":
        fold.fold(session)
    elif mode == "background":
        _folder(app).wake()


class Folder:
    """One process's folding thread (started at the first wake, in the process that serves: a
    thread does not survive gunicorn's fork, so each worker starts its own)."""

    def __init__(self, app: Flask):
        self.app = app
        self.delay = float(app.config["ROLLUP_FOLD_DELAY_SECONDS"])
        self._wake = threading.Event()
        self._pid = 0
        self._lock = threading.Lock()

    def wake(self) -> None:
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._wake = threading.Event()
                    threading.Thread(target=self._run, name="rollup-fold", daemon=True).start()
                    self._pid = os.getpid()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(self.delay)  # let the taps of this moment arrive, and fold them at once
            self._wake.clear()  # a wake from now on (a commit after this fold's read) runs another
            self.fold_now()

    def fold_now(self) -> int:
        with self.app.app_context():
            try:
                return fold.fold(db.session)
            except Exception:
                db.session.rollback()
                log.exception("Folding pending responses failed; the next wake, reader or scheduler retries")
                return 0
            finally:
                db.session.remove()


def _folder(app: Flask) -> Folder:
    folder = app.extensions.get("rollup_folder")
    if folder is None:
        folder = app.extensions.setdefault("rollup_folder", Folder(app))
    return folder
