"""The admin site: its blueprint and menu."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

admin_bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

# The admin menu: (endpoint, label, admins only). Items whose view does not exist are left out.
ADMIN_NAV = (
    ("admin.index", _l("Dashboard"), False),
    ("admin.compare", _l("Compare locations"), False),
    ("admin.comments_inbox", _l("Comments"), False),
    ("admin.reporting", _l("Reporting"), False),
    ("admin.standards", _l("Service standards"), False),
    ("admin.locations", _l("Locations"), False),
    ("admin.kiosks", _l("Kiosks"), False),
    ("admin.alerts_list", _l("Alerts"), False),
    ("admin.offices", _l("Offices"), True),
    ("admin.surveys", _l("Surveys"), True),
    ("admin.users", _l("Users"), True),
    ("admin.sso_groups", _l("Sign-in groups"), True),
    ("admin.tokens", _l("API tokens"), False),
    ("admin.audit", _l("Audit log"), True),
    ("admin.jobs", _l("Scheduled jobs"), True),
)


@admin_bp.app_context_processor
def _admin_menu():
    from flask import current_app

    return {"admin_nav": ADMIN_NAV, "admin_endpoints": current_app.view_functions}


# The landing page (admin.index, the dashboard) is in admin_app/dashboard.py.
