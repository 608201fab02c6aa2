"""Admin-side blueprints: the read API and the admin site."""
from admin_app import auth, dashboard, posters  # noqa: F401  (register their routes on admin_bp)
from admin_app import exports  # noqa: F401  (export routes on admin_bp)
from admin_app import manage  # noqa: F401  (management pages on admin_bp)
from admin_app import alerts  # noqa: F401  (alerts and alert rules on admin_bp)
from admin_app import reporting  # noqa: F401  (A-11 reporting: customer volumes, quarterly CSVs)
from admin_app import comments  # noqa: F401  (the comment inbox on admin_bp)
from admin_app import standards  # noqa: F401  (service standards by quarter on admin_bp)
from admin_app.api import admin_api
from admin_app.pages import admin_bp

__all__ = ["admin_api", "admin_bp"]
