"""One place for "now", so tests (or a replayed incident) can set the time the service sees.

``app.config["CLOCK"]``, when set, is a callable returning an aware UTC datetime; the
request views read the time here and hand it to the services, which take ``now``
explicitly. Outside an app context, or with no clock set, it is the real time.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context

from feedback import sqltypes


def now() -> datetime:
    clock = current_app.config.get("CLOCK") if has_app_context() else None
    return clock() if clock is not None else sqltypes.utcnow()
