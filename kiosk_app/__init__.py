"""Kiosk-facing blueprints: the device JSON API, and the kiosk and phone pages."""

from kiosk_app import (
    kiosk_api,  # noqa: F401  (adds the config route to device_api)
    open_data,  # noqa: F401  (adds /scores/<slug>/data.csv, .../data.json and /data.json to kiosk_bp)
    scoreboard,  # noqa: F401  (adds the public scoreboard /scores/<slug> to kiosk_bp)
)
from kiosk_app.api import device_api
from kiosk_app.pages import kiosk_bp
from kiosk_app.phone import phone_bp

__all__ = ["device_api", "kiosk_bp", "phone_bp"]
