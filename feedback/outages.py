"""Logging a dependency's outage without flooding the log.

During an outage every request fails the same way; a line (or a traceback) per request would bury
everything else. ``OutageLog`` writes a line when the outage starts, then at most one line per
``OUTAGE_LOG_SECONDS`` while it lasts (with how many failures it saw since), and one when it ends.
Each process keeps its own, so each gunicorn worker reports what it saw.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

log = logging.getLogger("feedback.outages")


class OutageLog:
    def __init__(self, name: str, interval: float, clock=time.monotonic):
        self.name = name
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._since: float | None = None
        self._last_line = 0.0
        self._failures = 0

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, detail: str, exc_info: BaseException | None = None) -> None:
        """One more failure: logged if it starts the outage or the interval has passed."""
        with self._lock:
            now = self._clock()
            self._failures += 1
            starting = self._since is None
            if starting:
                self._since = now
            elif now - self._last_line < self.interval:
                return
            failures, self._failures, self._last_line = self._failures, 0, now
            lasted = now - self._since
        if starting:
            log.error("%s unavailable: %s", self.name, detail, exc_info=exc_info)
        else:
            log.error(
                "%s still unavailable after %.0f s (%d failures since the last report): %s",
                self.name,
                lasted,
                failures,
                detail,
            )

    def recovered(self) -> None:
        """The dependency answered: logs the end of an outage (nothing if there was none)."""
        if self._since is None:
            return
        with self._lock:
            if self._since is None:
                return
            lasted, self._since, self._failures = self._clock() - self._since, None, 0
        log.warning("%s available again after %.0f s", self.name, lasted)


def outage_log(app: Flask, name: str) -> OutageLog:
    """This app's (this process's) log of outages of ``name``."""
    logs = app.extensions.setdefault("outage_logs", {})
    if name not in logs:
        logs[name] = OutageLog(name, app.config["OUTAGE_LOG_SECONDS"])
    return logs[name]
