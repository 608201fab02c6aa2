"""The dashboards of the admin site: the landing page, one location, and the comparison.

Every view's state is in its URL: the filters of :func:`admin_app.filters.selection`
(``from``, ``to``, ``office``, ``location``, ``channel``) plus the view's own parameters
(``group``; ``q`` and ``page`` for comments; ``sort`` and ``dir`` for the comparison).
Figures come from :mod:`feedback.services.dashboard` (rollups only); charts are SVG
rendered here (:mod:`admin_app.charts`), each with a data table.

Without ``to``, ranges end today in the offices' local time (the latest local date among
the offices shown), since the rollups are bucketed by each office's local date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import abort, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from admin_app import charts
from admin_app.filters import Selection, selection
from admin_app.forms import ConfirmForm
from admin_app.pages import admin_bp
from admin_app.view_helpers import scoped_location
from feedback import clock
from feedback.extensions import db
from feedback.models import Location, Office
from feedback.replica import reads
from feedback.schemas.filters import MAX_DAYS
from feedback.services import attention, comparison, dashboard, languages, users

DEFAULT_DAYS = 30
SEARCH_MAX = 100
CHANNEL_CHOICES = (("", _l("All channels")), ("kiosk", _l("Kiosk")), ("qr", _l("Phone (QR)")))
ALERT_KIND_LABELS = {
    "burst": _l("burst of negative ratings"),
    "below_target": _l("score below target"),
    "silence": _l("silence"),
}
COMPARE_COLUMNS = (  # (sort key, heading, numeric)
    ("location", _l("Location"), False),
    ("name", _l("Name"), False),
    ("office", _l("Office"), False),
    ("responses", _l("Responses"), True),
    ("csat", _l("CSAT"), True),
    ("target", _l("Target"), True),
    ("gap", _l("Against target"), True),
    ("mean", _l("Mean"), True),
    ("suspects", _l("Suspect"), True),
)


# --- shared -----------------------------------------------------------------------------------


def local_today(zones) -> date:
    """Today in the given IANA zones: the latest of their local dates (UTC's without zones)."""
    now = clock.now()
    return max((now.astimezone(ZoneInfo(z)).date() for z in set(zones)), default=now.date())


def _zones(location_ids) -> set[str]:
    if not location_ids:
        return set()
    return set(
        db.session.scalars(
            select(Office.timezone)
            .join(Location, Location.office_id == Office.id)
            .where(Location.id.in_(location_ids))
            .distinct()
        )
    )


def _dated_selection(zones_of=None) -> Selection:
    """:func:`selection`, with the default end date taken in the offices' local time.

    ``zones_of(selection)`` gives the IANA zones of the selected locations (default: a query).
    """
    sel = selection(DEFAULT_DAYS)
    if not request.args.get("to"):
        end = local_today(zones_of(sel) if zones_of else _zones(sel.location_ids))
        start = sel.start if request.args.get("from") else end - timedelta(days=DEFAULT_DAYS - 1)
        end = max(end, start)
        if (end - start).days >= MAX_DAYS:
            abort(400, description=_("Invalid filter: a range covers at most %(days)s days.", days=MAX_DAYS))
        sel.start, sel.end = start, end
        sel.args.update({"from": start.isoformat(), "to": end.isoformat()})
    return sel


@dataclass
class Scope:
    """The user's offices, and the locations the filter form offers (the selected office's, or all)."""

    offices: list[Office]
    choices: list[Location]  # with their offices loaded, by code

    @classmethod
    def of(cls, sel: Selection) -> Scope:
        located = select(Location.office_id)  # offices with a location in scope
        query = select(Location).options(joinedload(Location.office))
        if not current_user.is_admin:  # an admin's scope is everything: no list of ids to send
            ids = users.scope_location_ids(db.session, current_user)
            if not ids:
                return cls([], [])
            located = located.where(Location.id.in_(ids))
            query = query.where(Location.id.in_(ids))
        offices = list(db.session.scalars(select(Office).where(Office.id.in_(located)).order_by(Office.name)))
        if sel.office is not None:
            query = query.where(Location.office_id == sel.office.id)
        return cls(offices, list(db.session.scalars(query.order_by(Location.code))))

    def shown(self, sel: Selection) -> list[Location]:
        """The locations the selection covers (a subset of the choices)."""
        wanted = set(sel.location_ids)
        return [loc for loc in self.choices if loc.id in wanted]


def _choice(name: str, allowed, default):
    value = request.args.get(name) or default
    if value is not None and value not in allowed:
        abort(400, description=_("Invalid %(name)s: one of %(allowed)s.", name=name, allowed=", ".join(allowed)))
    return value


def _page() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        abort(400, description=_("Invalid page: a positive whole number."))
    return int(raw)


def _filters(sel: Selection, scope: Scope | None, *, keep: dict | None = None) -> dict:
    """What the filter form needs: choices within the user's scope and the current values
    (no office or location choice without a scope: the location page is one location)."""
    return {
        "sel": sel,
        "offices": scope.offices if scope else None,
        "locations": scope.choices if scope else None,
        "selected_codes": set(sel.args.get("location") or []),
        "channels": CHANNEL_CHOICES,
        "keep": {k: v for k, v in (keep or {}).items() if v},
    }


def _link_args(sel: Selection, *drop: str, **extra) -> dict:
    args = {k: v for k, v in sel.args.items() if k not in drop}
    args.update({k: v for k, v in extra.items() if v is not None})
    return args


def _render(template: str, **context):
    return render_template(template, fmt=charts.formatter(), charts=charts, **context)


# --- landing page -----------------------------------------------------------------------------


@admin_bp.get("/")
@login_required
def index():
    sel = _dated_selection()
    group = _choice("group", dashboard.TREND_GROUPS, None)
    scope = Scope.of(sel)
    now = clock.now()
    overview = dashboard.overview(
        reads(), sel.location_ids, sel.start, sel.end, channel=sel.channel, group=group, now=now
    )
    # What needs doing covers the selection's locations: without an office or location filter,
    # every location of the user (a central office looking at one office sees that office's list,
    # and is not made to wait for the whole country's at each filter).
    todo = attention.attention(reads(), sel.location_ids, now)
    locations = scope.shown(sel)
    zones = sorted({loc.office.timezone for loc in locations})
    return _render(
        "admin/index.html",
        sel=sel,
        overview=overview,
        todo=todo,
        todo_narrowed=sel.office is not None or "location" in sel.args,
        todo_url=lambda item: url_for(item.endpoint, **item.args),
        alert_kinds=ALERT_KIND_LABELS,
        locations=locations,
        zones=zones,
        today=local_today(zones),
        form=ConfirmForm(),
        filters=_filters(sel, scope, keep={"group": request.args.get("group")}),
        link_args=_link_args(sel, "office", "location"),
        group_links={g: url_for("admin.index", **_link_args(sel, group=g)) for g in dashboard.TREND_GROUPS},
    )


# --- one location -----------------------------------------------------------------------------


@admin_bp.get("/locations/<code>")
@login_required
def location_detail(code: str):
    location = scoped_location(code)
    office = location.office
    sel = _dated_selection(lambda _s: {office.timezone})
    group = _choice("group", dashboard.TREND_GROUPS, None)
    q = (request.args.get("q") or "").strip()[:SEARCH_MAX]
    page = _page()
    report = dashboard.location_report(
        reads(), location, sel.start, sel.end, channel=sel.channel, group=group, now=clock.now()
    )
    comments = (
        dashboard.comments(reads(), location, sel.start, sel.end, q=q or None, page=page)
        if sel.channel in (None, "qr")
        else None
    )
    tz = ZoneInfo(office.timezone)
    base = _link_args(sel, "office", "location")

    def page_url(number: int) -> str:
        return (
            url_for(
                "admin.location_detail",
                code=location.code,
                **base,
                group=request.args.get("group") or None,
                q=q or None,
                page=number if number > 1 else None,
            )
            + "#comments"
        )

    return _render(
        "admin/dashboard/location.html",
        sel=sel,
        location=location,
        office=office,
        report=report,
        comments=comments,
        by_language=languages.answers_by_language(reads(), location, sel.start, sel.end, channel=sel.channel),
        q=q,
        page_url=page_url,
        local_time=lambda moment: format_datetime(moment.astimezone(tz), "medium", rebase=False),
        tz_abbr=clock.now().astimezone(tz).tzname(),
        filters=_filters(sel, None, keep={"group": request.args.get("group"), "q": q}),
        group_links={
            g: url_for("admin.location_detail", code=location.code, **base, group=g, q=q or None)
            for g in dashboard.TREND_GROUPS
        },
        compare_url=url_for("admin.compare", **base, office=office.slug),
        clear_url=url_for("admin.location_detail", code=location.code, **base, group=request.args.get("group") or None)
        + "#comments",
    )


# --- comparison -------------------------------------------------------------------------------


@admin_bp.get("/compare")
@login_required
def compare():
    sel = _dated_selection()
    sort = _choice("sort", comparison.SORT_KEYS, "location")
    direction = _choice("dir", ("asc", "desc"), "asc")
    scope = Scope.of(sel)
    rows = comparison.compare(
        reads(), scope.shown(sel), sel.start, sel.end, channel=sel.channel, sort=sort, descending=direction == "desc"
    )
    headers = []
    for key, label, numeric in COMPARE_COLUMNS:
        current = key == sort
        next_dir = ("desc" if direction == "asc" else "asc") if current else ("desc" if numeric else "asc")
        headers.append(
            {
                "key": key,
                "label": label,
                "numeric": numeric,
                "aria_sort": ("ascending" if direction == "asc" else "descending") if current else None,
                "url": url_for("admin.compare", **_link_args(sel, sort=key, dir=next_dir)),
                "next": "descending" if next_dir == "desc" else "ascending",
            }
        )
    below = sum(1 for r in rows if r.below_target)
    return _render(
        "admin/dashboard/compare.html",
        sel=sel,
        rows=rows,
        headers=headers,
        below=below,
        filters=_filters(sel, scope, keep={"sort": request.args.get("sort"), "dir": request.args.get("dir")}),
        link_args=_link_args(sel, "office", "location"),
    )
