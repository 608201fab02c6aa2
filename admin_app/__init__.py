"""Admin-side blueprints: the read API and the admin site."""

from admin_app import (  # noqa: F401  (register their routes on admin_bp)
    alerts,
    auth,
    comments,
    dashboard,
    digest,
    exports,
    jobs,
    manage,
    manage_kiosks,
    manage_people,
    manage_sso,
    manage_surveys,
    posters,
    reporting,
    sso,
    standards,
    triage,
)
from admin_app.api import admin_api
from admin_app.pages import admin_bp

__all__ = ["admin_api", "admin_bp"]
