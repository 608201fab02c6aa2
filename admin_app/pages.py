"""The admin site: its blueprint and menu."""

from __future__ import annotations

from flask import Blueprint

admin_bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

# The admin menu: (endpoint, label, admins only). Items whose view does not exist are left out.
ADMIN_NAV = (
    ("admin.index", "Dashboard", False),
    ("admin.compare", "Compare locations", False),
    ("admin.comments_inbox", "Comments", False),
    ("admin.reporting", "Reporting", False),
    ("admin.standards", "Service standards", False),
    ("admin.locations", "Locations", False),
    ("admin.kiosks", "Kiosks", False),
    ("admin.alerts_list", "Alerts", False),
    ("admin.offices", "Offices", True),
    ("admin.surveys", "Surveys", True),
    ("admin.users", "Users", True),
    ("admin.tokens", "API tokens", False),
    ("admin.audit", "Audit log", True),
)


@admin_bp.app_context_processor
def _admin_menu():
    from flask import current_app

    return {"admin_nav": ADMIN_NAV, "admin_endpoints": current_app.view_functions}


# The landing page (admin.index, the dashboard) is in admin_app/dashboard.py.
