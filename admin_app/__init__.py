"""Admin-side blueprints: the read API and the admin site."""
from admin_app import auth, dashboard, posters  # noqa: F401  (register their routes on admin_bp)
from admin_app import exports  # noqa: F401  (export routes on admin_bp)
from admin_app import manage  # noqa: F401  (management pages on admin_bp)
from admin_app.api import admin_api
from admin_app.pages import admin_bp

__all__ = ["admin_api", "admin_bp"]
