"""The public scoreboards as open data, no sign-in: ``/scores/<slug>/data.csv`` and ``data.json``
(one office's figures per counter and quarter) and ``/data.json`` (the DCAT-US v1.1 catalog a
data.gov harvester reads). Offices that do not publish their scoreboard answer 404, like the page.

Cacheable like the page: ``Cache-Control: public, max-age=SCOREBOARD_CACHE_SECONDS`` and an ETag
(304 on a conditional GET); open to any origin, since the figures are public anyway.
"""

from __future__ import annotations

import hashlib
import json

from flask import Response, abort, current_app, request, url_for

from feedback import clock
from feedback.extensions import db
from feedback.models import Office
from feedback.services import open_data, standards
from kiosk_app.pages import kiosk_bp


def _links(office: Office) -> open_data.Links:
    return open_data.Links(
        page=url_for("kiosk.scoreboard", slug=office.slug, _external=True),
        csv=url_for("kiosk.open_data_csv", slug=office.slug, _external=True),
        json=url_for("kiosk.open_data_json", slug=office.slug, _external=True),
    )


def _answer(body: str, mimetype: str, filename: str | None = None):
    response = Response(body, mimetype=mimetype)  # text types get "; charset=utf-8"
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
    ttl = max(0, int(current_app.config["SCOREBOARD_CACHE_SECONDS"]))
    response.headers["Cache-Control"] = f"public, max-age={ttl}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    if filename:
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response.make_conditional(request)


def _feed(slug: str) -> open_data.Feed:
    office = standards.published_office(db.session, slug)
    if office is None:
        abort(404)
    config = current_app.config
    return open_data.feed(
        db.session,
        office,
        now=clock.now(),
        min_responses=config["SCOREBOARD_MIN_RESPONSES"],
        quarters=config["OPEN_DATA_QUARTERS"],
    )


def _json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


@kiosk_bp.get("/scores/<slug>/data.csv")
def open_data_csv(slug: str):
    feed = _feed(slug)
    return _answer(open_data.to_csv(feed), "text/csv", f"{feed.office.slug}-scores.csv")


@kiosk_bp.get("/scores/<slug>/data.json")
def open_data_json(slug: str):
    return _answer(_json(open_data.to_json(_feed(slug))), "application/json")


@kiosk_bp.get("/data.json")
def open_data_catalog():
    config = current_app.config
    settings = open_data.CatalogSettings(
        publisher=config["OPEN_DATA_PUBLISHER"],
        contact_name=config["OPEN_DATA_CONTACT_NAME"],
        contact_email=config["OPEN_DATA_CONTACT_EMAIL"],
        bureau_code=config["OPEN_DATA_BUREAU_CODE"],
        program_code=config["OPEN_DATA_PROGRAM_CODE"],
        license=config["OPEN_DATA_LICENSE"],
    )
    offices = [(office, _links(office)) for office in open_data.publishing_offices(db.session)]
    body = open_data.catalog(
        offices,
        settings,
        catalog_url=url_for("kiosk.open_data_catalog", _external=True),
        now=clock.now(),
        min_responses=config["SCOREBOARD_MIN_RESPONSES"],
        quarters=config["OPEN_DATA_QUARTERS"],
    )
    return _answer(_json(body), "application/json")
