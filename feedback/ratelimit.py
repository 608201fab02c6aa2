"""Rate limits that fail open when their shared storage (Redis) is down.

Flask-Limiter does the work, switched on in ``feedback/config.py``:

- ``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``: when Redis fails, each process goes on counting the
  same limits in its own memory (so a phone can send ``limit`` × processes answers, not an
  unlimited number, and never gets a 500), and tries Redis again after 1, 2, 4 ... 32 seconds;
- ``RATELIMIT_SWALLOW_ERRORS``: an error the fallback does not cover lets the request through;
- ``RATELIMIT_STORAGE_OPTIONS``: socket timeouts, so a Redis that does not answer costs a second,
  not the worker.

Flask-Limiter logs the switch itself (``flask-limiter``: "falling back to in-memory storage", then
"recovered"). This module adds the outage to the log once per interval while it lasts, and the
state for the readiness check (``feedback/health.py``).
"""

from __future__ import annotations

from flask import Flask, Response, current_app

from feedback.extensions import limiter
from feedback.outages import outage_log

NAME = "Rate-limit storage"


def init_app(app: Flask) -> None:
    app.after_request(_note_storage_state)


def shared_storage(app: Flask) -> bool:
    """Whether limits are kept in a shared store (Redis) rather than in each process's memory."""
    return not app.config["RATELIMIT_STORAGE_URI"].startswith("memory://")


def on_fallback() -> bool:
    """Whether Flask-Limiter counts in this process's memory because the storage failed.

    (Flask-Limiter keeps this in ``_storage_dead``; tests/phone/test_redis_outage.py fails if a
    new version renames it.)"""
    return bool(getattr(limiter, "_storage_dead", False))


def _note_storage_state(response: Response) -> Response:
    if shared_storage(current_app):
        log = outage_log(current_app, NAME)
        if on_fallback():
            if limiter.current_limits:  # this request was limited, in memory
                log.failed("limits are counted in each process's memory until it answers again")
        elif log.down:
            log.recovered()
    return response


def check(app: Flask) -> dict:
    """For the readiness check: can the storage be reached, and where are limits counted now."""
    if not shared_storage(app):
        return {"ok": True, "storage": "memory", "limits": "per process"}
    reachable = bool(limiter.storage.check())  # a PING, under the storage's socket timeouts
    result = {"ok": reachable, "storage": "redis", "limits": "per process" if on_fallback() else "shared"}
    if not reachable:
        result["detail"] = "Redis is not answering: each process limits on its own until it does."
    return result
