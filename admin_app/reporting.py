"""A-11 Section 280 reporting in the admin site: surveys, collection details, volumes and the files.

``/admin/reporting?quarter=FY2027Q1`` shows, for the user's locations (narrowed by the usual
``office`` / ``location`` filters, 404 outside the scope): each location's current survey and whether
its answers are reported (a 4- or 3-point scale, or a survey not built from the A-11 v2 template, is
named before the quarter has an answer); the quarter's collection details as Touchpoints wants them,
each with its upload file and what to put right before submitting; the locations left out and why;
each location's respondents per channel with the two customer volumes as one form; a CSV import of
volumes. Volumes are stored by ``feedback.services.volumes`` (audited); the details come from
``feedback.services.a11`` and the files from ``feedback.services.a11_files``.

Routes: ``GET/POST /admin/reporting`` (the page; POST saves the volumes form),
``POST /admin/reporting/import``, and the files of a quarter, each read from one snapshot:
``GET /admin/reporting/<quarter>/a11.zip`` (everything, streamed), ``.../a11-collection.csv``,
``.../a11-worksheet.csv`` and ``.../files/<name>`` (one detail's upload, streamed). A quarter that
does not parse answers 400 in the query string and 404 in the path.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import IntegerField
from wtforms.validators import Optional, ValidationError

from admin_app.filters import selection
from admin_app.pages import admin_bp
from admin_app.view_helpers import CSV_MIME
from admin_app.view_helpers import download as _download
from admin_app.view_helpers import first_then as _first_then
from feedback import clock
from feedback.database import write_retrying
from feedback.extensions import db
from feedback.models import Location
from feedback.models.responses import CHANNELS
from feedback.services import a11, a11_files, standards, users, volumes
from feedback.services.errors import InvalidInput
from feedback.services.fiscal import FiscalQuarter

RECENT_QUARTERS = 8  # offered in the picker: this quarter and the seven before it
CHANNEL_NAMES = {"kiosk": _l("Kiosk"), "qr": _l("QR code (phone)")}
FIGURE_NAMES = {
    "volume_of_customers": _l("Customers served"),
    "volume_of_customers_provided_survey_opportunity": _l("Customers offered the survey"),
}
SHORT = {"volume_of_customers": "served", "volume_of_customers_provided_survey_opportunity": "offered"}


class VolumeImportForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(_l("Choose a CSV file."))],
        description=_l(
            "Columns: %(columns)s. One row per location, quarter and channel; an empty volume is stored as not known.",
            columns=", ".join(volumes.IMPORT_COLUMNS),
        ),
    )


def field_name(location_id: int, channel: str, figure: str) -> str:
    return f"{SHORT[figure]}-{location_id}-{channel}"


def _in_range(_form, field) -> None:
    """0..MAX_VOLUME, checked only when the text was a whole number (else that is the one message)."""
    if field.data is not None and not 0 <= field.data <= volumes.MAX_VOLUME:
        raise ValidationError(_("A whole number from 0 to %(high)s.", high=f"{volumes.MAX_VOLUME:,}"))


def volumes_form(locations: list[Location], stored: dict, *, formdata) -> FlaskForm:
    """One form with two whole-number fields per location and channel (empty = not known)."""
    fields = {}
    data = {}
    for location in locations:
        for channel in CHANNELS:
            for figure in a11.VOLUME_FIELDS:
                name = field_name(location.id, channel, figure)
                label = f"{FIGURE_NAMES[figure]}, {location.code}, {CHANNEL_NAMES[channel]}"
                fields[name] = IntegerField(label, validators=[Optional(), _in_range])
                volume = stored.get((location.id, channel))
                data[name] = getattr(volume, figure) if volume is not None else None
    form_class = type("VolumesForm", (FlaskForm,), fields)
    return form_class(formdata=formdata, data=data)


def _current_quarter(locations: list[Location]) -> FiscalQuarter:
    """Today's quarter in the offices' local time (as on the standards page), not UTC's."""
    return standards.current_quarter({loc.office for loc in locations}, clock.now())


def _query_quarter(locations: list[Location]) -> FiscalQuarter:
    text = request.args.get("quarter")
    if not text:
        return _current_quarter(locations)
    try:
        return FiscalQuarter.parse(text)
    except ValueError:
        abort(400, description=_("Invalid quarter: use the form FY2027Q1."))


def _path_quarter(text: str) -> FiscalQuarter:
    try:
        return FiscalQuarter.parse(text)
    except ValueError:
        abort(404)


def _recent(selected: FiscalQuarter, locations: list[Location]) -> list[FiscalQuarter]:
    quarters = standards.recent_quarters(_current_quarter(locations), RECENT_QUARTERS)
    if selected not in quarters:
        quarters.append(selected)
    return sorted(quarters, reverse=True)


def _filter_args(sel) -> dict:
    return {key: sel.args[key] for key in ("office", "location") if key in sel.args}


def _page_url(quarter: FiscalQuarter, sel, endpoint: str = "admin.reporting") -> str:
    """A reporting URL keeping the quarter (a path part of the downloads, else in the query string)
    and the office/location filter."""
    return url_for(endpoint, quarter=str(quarter), **_filter_args(sel))


def _locations(sel) -> list[Location]:
    return list(
        db.session.scalars(
            select(Location)
            .options(joinedload(Location.office))
            .where(Location.id.in_(sel.location_ids))
            .order_by(Location.code)
        )
    )


def _filter_pairs(sel) -> list[tuple[str, str]]:
    """The office/location filter as (name, value) pairs, for hidden inputs of the quarter picker."""
    pairs = [("office", sel.args["office"])] if "office" in sel.args else []
    return pairs + [("location", code) for code in sel.args.get("location", [])]


def _page(
    quarter: FiscalQuarter, sel, locations: list[Location], form, import_form, import_errors=None, code: int = 200
):
    report = a11.report(db.session, sel.location_ids, quarter)
    rows = [
        (
            location,
            channel,
            report.pairs.get((location.id, channel)) or a11.Pair(location, channel),  # none counted yet
            [form[field_name(location.id, channel, figure)] for figure in a11.VOLUME_FIELDS],
        )
        for location in locations
        for channel in CHANNELS
    ]
    currents = a11.current_versions(db.session, {loc.survey_id for loc in locations})
    asked = [(loc, currents[loc.survey_id], a11.survey_status(currents[loc.survey_id])) for loc in locations]
    links = {kind: _page_url(quarter, sel, f"admin.a11_{kind}") for kind in ("package", "collection", "worksheet")}
    return render_template(
        "admin/reporting/index.html",
        quarter=quarter,
        quarters=_recent(quarter, locations),
        sel=sel,
        rows=rows,
        form=form,
        import_form=import_form,
        import_errors=import_errors or [],
        report=report,
        asked=asked,
        links=links,
        file_url=lambda name: url_for("admin.a11_file", quarter=str(quarter), name=name, **_filter_args(sel)),
        channel_names=CHANNEL_NAMES,
        page_url=_page_url(quarter, sel),
        import_url=_page_url(quarter, sel, "admin.reporting_import"),
        hidden_filters=_filter_pairs(sel),
    ), code


@admin_bp.route("/reporting", methods=["GET", "POST"])
@login_required
def reporting():
    sel = selection()
    locations = _locations(sel)
    quarter = _query_quarter(locations)
    stored = volumes.for_quarter(db.session, sel.location_ids, quarter)
    form = volumes_form(locations, stored, formdata=request.form if request.method == "POST" else None)
    if request.method == "POST":
        if form.validate_on_submit():
            entries = [
                volumes.Entry(
                    location.id,
                    quarter,
                    channel,
                    volumes.Figures(
                        *(form[field_name(location.id, channel, figure)].data for figure in a11.VOLUME_FIELDS)
                    ),
                )
                for location in locations
                for channel in CHANNELS
            ]
            try:
                changed = write_retrying(
                    db.session, lambda: volumes.save_many(db.session, current_user._get_current_object(), entries)
                )
            except InvalidInput as exc:
                for key, messages in exc.errors.items():
                    location_id, channel, figure = key.split(":")
                    form[field_name(int(location_id), channel, figure)].errors = list(messages)
            else:
                flash(
                    _("Saved the customer volumes of %(quarter)s (%(n)d changed).", quarter=str(quarter), n=changed)
                    if changed
                    else _("Nothing changed.")
                )
                return redirect(_page_url(quarter, sel), code=303)
        return _page(quarter, sel, locations, form, VolumeImportForm(formdata=None), code=422)
    return _page(quarter, sel, locations, form, VolumeImportForm(formdata=None))


@admin_bp.post("/reporting/import")
@login_required
def reporting_import():
    sel = selection()
    locations = _locations(sel)
    quarter = _query_quarter(locations)
    import_form = VolumeImportForm()
    errors = []
    if import_form.validate_on_submit():
        scope = users.scope_location_ids(db.session, current_user)
        try:
            text = volumes.decode_upload(import_form.file.data.read())
            result = write_retrying(
                db.session, lambda: volumes.import_csv(db.session, current_user._get_current_object(), text, scope)
            )
        except volumes.ImportRejected as exc:
            errors = exc.rows
            import_form.file.errors = [exc.detail]
        else:
            flash(_("Imported %(rows)d rows (%(changed)d changed).", rows=result.rows, changed=result.changed))
            return redirect(_page_url(quarter, sel), code=303)
    stored = volumes.for_quarter(db.session, sel.location_ids, quarter)
    form = volumes_form(locations, stored, formdata=None)
    return _page(quarter, sel, locations, form, import_form, errors, code=422)


def _report(quarter: str):
    """The quarter's report for the selection, read from one snapshot (the files agree with it)."""
    fiscal = _path_quarter(quarter)
    sel = selection()
    a11_files.begin_snapshot(db.session)
    return a11.report(db.session, sel.location_ids, fiscal)


@admin_bp.get("/reporting/<quarter>/a11.zip")
@login_required
def a11_package(quarter: str):
    """Every file of the quarter in one zip, streamed: the uploads, the collection, the worksheet."""
    report = _report(quarter)
    body = stream_with_context(a11_files.zip_chunks(db.session, report))
    return _download(Response(body, mimetype="application/zip"), f"a11-{report.quarter}.zip")


@admin_bp.get("/reporting/<quarter>/a11-collection.csv")
@login_required
def a11_collection(quarter: str):
    report = _report(quarter)
    return _download(Response(a11_files.collection_csv(report), mimetype=CSV_MIME), a11_files.collection_name(report))


@admin_bp.get("/reporting/<quarter>/a11-worksheet.csv")
@login_required
def a11_worksheet(quarter: str):
    report = _report(quarter)
    return _download(Response(a11_files.worksheet_csv(report), mimetype=CSV_MIME), a11_files.worksheet_name(report))


@admin_bp.get("/reporting/<quarter>/files/<name>")
@login_required
def a11_file(quarter: str, name: str):
    """One collection detail's per-response upload (named as on the page; 404 for any other name)."""
    report = _report(quarter)
    detail = a11_files.file_of(report, name)
    if detail is None:
        abort(404)
    chunks = a11_files.response_chunks(db.session, detail)
    first = next(chunks)  # the header; the rows are read while the download runs
    body = _first_then(first, stream_with_context(chunks))
    return _download(Response(body, mimetype=CSV_MIME), detail.file_name)
