"""The admin site: its blueprint and menu."""

from __future__ import annotations

import logging

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

# The admin menu in groups: (group label, items); an item is (endpoint, label, admins only, the
# endpoints of the pages under it, its count badge). Items whose view does not exist are left out.
ADMIN_NAV = (
    (
        _l("Scores"),
        (
            ("admin.index", _l("Dashboard"), False, ("admin.location_detail",), None),
            ("admin.compare", _l("Compare locations"), False, (), None),
            ("admin.standards", _l("Service standards"), False, (), None),
        ),
    ),
    (
        _l("Comments & alerts"),
        (
            ("admin.comments_inbox", _l("Comments"), False, ("admin.comments_act",), "comments"),
            (
                "admin.alerts_list",
                _l("Alerts"),
                False,
                ("admin.alert_page", "admin.alert_acknowledge", "admin.alert_rules", "admin.alert_rules_edit"),
                "alerts",
            ),
        ),
    ),
    (
        _l("Reporting"),
        (
            ("admin.reporting", _l("Reporting"), False, ("admin.reporting_import",), None),
            ("admin.tokens", _l("API tokens"), False, ("admin.token_revoke",), None),
        ),
    ),
    (
        _l("Setup"),
        (
            (
                "admin.locations",
                _l("Locations"),
                False,
                ("admin.location_edit", "admin.location_new", "admin.poster", "admin.office_posters"),
                None,
            ),
            (
                "admin.kiosks",
                _l("Kiosks"),
                False,
                ("admin.kiosk_enrol", "admin.kiosk_link", "admin.kiosk_revoke"),
                None,
            ),
            ("admin.offices", _l("Offices"), True, (), None),
            ("admin.surveys", _l("Surveys"), True, (), None),
            ("admin.users", _l("Users"), True, (), None),
            ("admin.sso_groups", _l("Sign-in groups"), True, (), None),
            ("admin.audit", _l("Audit log"), True, (), None),
            ("admin.jobs", _l("Scheduled jobs"), True, (), None),
        ),
    ),
)
# Endpoints under an item whose own name starts like the item's (admin.office_edit under admin.offices).
_NAV_PREFIXES = {"admin.offices": "admin.office_", "admin.surveys": "admin.survey", "admin.users": "admin.user"}


def nav_current(endpoint: str | None) -> str | None:
    """The menu item the page at ``endpoint`` belongs to (its own, or the one it sits under)."""
    if endpoint is None:
        return None
    for _group, items in ADMIN_NAV:
        for item, _label, _admin_only, under, _badge in items:
            if endpoint == item or endpoint in under:
                return item
    for item, prefix in _NAV_PREFIXES.items():
        if endpoint.startswith(prefix):
            return item
    return None


def nav_menu(is_admin: bool) -> list[tuple[object, list[tuple]]]:
    """The groups and items this user sees (items whose view exists; admin-only ones for admins)."""
    from flask import current_app

    groups = []
    for label, items in ADMIN_NAV:
        shown = [i for i in items if i[0] in current_app.view_functions and (is_admin or not i[2])]
        if shown:
            groups.append((label, shown))
    return groups


def nav_badges():
    """Open alerts and open comments in the signed-in user's scope, counted once per request."""
    from flask import g
    from flask_babel import format_decimal
    from flask_login import current_user

    from feedback.extensions import db
    from feedback.services import attention, users

    if "nav_badges" not in g:
        try:
            scope = users.scope_location_ids(db.session, current_user)
            found = attention.badges(db.session, scope)
        except SQLAlchemyError:  # an error page after a database fault: the menu, without counts
            log.warning("menu counts not read", exc_info=True)
            g.nav_badges = {}
        else:
            g.nav_badges = {
                kind: (n, format_decimal(n)) for kind, n in (("alerts", found.alerts), ("comments", found.comments))
            }
    return g.nav_badges


@admin_bp.app_context_processor
def _admin_menu():
    from flask import current_app

    return {
        "admin_endpoints": current_app.view_functions,
        "nav_menu": nav_menu,
        "nav_current": nav_current,
        "nav_badges": nav_badges,
    }


# The landing page (admin.index, the dashboard) is in admin_app/dashboard.py.
