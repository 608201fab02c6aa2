"""Printable posters, QR downloads, the user's scope and link rotation on the admin site."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import pytest
from flask_babel import force_locale, gettext

from feedback.database import write_transaction
from feedback.i18n import VISITOR_TEXT
from feedback.models import Location
from tests.admin.conftest import PASSWORD, csrf_token, current_slug, sign_in

PUBLIC_URL = "https://feedback.example.gov"
ALPHA = "Alpha Passport Office"
BETA = "Beta Benefits Office"
QUESTION = {"en": "How was your visit today?", "es": "¿Cómo fue su visita hoy?"}
CALLS = {
    "en": "Scan with your phone to tell us how we did",
    "es": "Escanee con su teléfono para decirnos cómo lo hicimos",
}

ARTICLE = re.compile(r'<article class="poster[^"]*".*?</article>', re.S)


@pytest.fixture
def world(app, build, session, make_user, monkeypatch):
    """Office A (two active counters and a closed one) and office B; a manager of A, an admin."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC_URL)
    alpha, beta = build.office(ALPHA), build.office(BETA)
    alpha_survey = build.survey(question=QUESTION)
    a1 = build.location(code="A-1", office=alpha, survey=alpha_survey)
    a2 = build.location(code="A-2", office=alpha, survey=alpha_survey)
    a3 = build.location(code="A-3", office=alpha, survey=alpha_survey)
    b1 = build.location(code="B-1", office=beta, question={"en": "Did we help you?", "es": "¿Le ayudamos?"})
    with write_transaction(session):
        for location, name in (
            (a1, "Counter 1 - Applications"),
            (a2, "Counter 2 - Pick-up"),
            (a3, "Counter 3 - Closed"),
            (b1, "Window 1"),
        ):
            session.get(Location, location.id).name = name
        session.get(Location, a3.id).active = False
    make_user("manager@example.gov", "manager", [a1, a2, a3])
    make_user("admin@example.gov", "admin")
    return {"A-1": a1, "A-2": a2, "A-3": a3, "B-1": b1, "alpha": alpha, "beta": beta}


@pytest.fixture
def manager(signed_in_as, world):
    return signed_in_as("manager@example.gov")


@pytest.fixture
def admin(signed_in_as, world):
    return signed_in_as("admin@example.gov")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def posters(response) -> list[str]:
    return ARTICLE.findall(text(response))


def short_url(session, location) -> str:
    return f"{PUBLIC_URL.split('://', 1)[1]}/s/{current_slug(session, location)}"


def only(pattern: str, article: str) -> str:
    (found,) = re.findall(pattern, article, re.S)
    return found.strip()


# --- one poster ---------------------------------------------------------------------------------


def test_poster_shows_office_counter_question_qr_and_short_address(manager, session, world):
    response = manager.get("/admin/locations/A-1/poster")
    assert response.status_code == 200
    (poster,) = posters(response)
    assert only(r'<p class="office">(.*?)</p>', poster) == ALPHA
    assert only(r'<p class="counter">(.*?)</p>', poster) == "Counter 1 - Applications"
    assert only(r'<h1 lang="en">(.*?)</h1>', poster) == QUESTION["en"]
    # The survey asks in English and Spanish only: those two, whatever else the office offers.
    assert only(r'<p class="question-other" lang="es" dir="ltr">(.*?)</p>', poster) == QUESTION["es"]
    assert only(r'<p class="call" lang="en" dir="ltr">(.*?)</p>', poster) == CALLS["en"]
    assert only(r'<p class="call" lang="es" dir="ltr">(.*?)</p>', poster) == CALLS["es"]
    assert len(re.findall(r'<p class="call"', poster)) == 2 and 'class="poster many"' not in poster
    # The short address is the survey URL without its scheme, for people who cannot scan.
    written = only(r'<p class="url">(.*?)</p>', poster)
    assert written == short_url(session, world["A-1"])
    assert written == f"feedback.example.gov/s/{current_slug(session, world['A-1'])}"
    qr = only(r'<div class="qr"[^>]*>(.*?)</div>', poster)
    assert qr.startswith("<svg") and qr.endswith("</svg>") and "<?xml" not in qr
    assert ET.fromstring(qr).tag == "{http://www.w3.org/2000/svg}svg"
    assert f'aria-label="QR code for {written}"' in poster


def test_poster_speaks_each_language_the_counter_offers(manager, session, build, world):
    """Issue 17: a counter whose survey asks in Arabic and Vietnamese, in an office offering both
    (and Korean, which its survey lacks), prints the question and the call in each, Arabic right to left."""
    survey = build.survey(question={**QUESTION, "ar": "كيف كانت زيارتك اليوم؟", "vi": "Chuyến thăm hôm nay thế nào?"})
    with write_transaction(session):
        location = session.get(Location, world["A-1"].id)
        location.survey_id = survey.id
        location.office.visitor_languages = ["vi", "ko", "ar"]
    response = manager.get("/admin/locations/A-1/poster")
    assert response.status_code == 200
    (poster,) = posters(response)
    assert re.findall(r'<p class="call" lang="([a-z-]+)" dir="([a-z]+)">', poster) == [
        ("en", "ltr"),
        ("vi", "ltr"),
        ("ar", "rtl"),
    ]
    assert only(r'<p class="question-other" lang="ar" dir="rtl">(.*?)</p>', poster) == "كيف كانت زيارتك اليوم؟"
    with force_locale("ar"):
        assert only(r'<p class="call" lang="ar" dir="rtl">(.*?)</p>', poster) == gettext(VISITOR_TEXT["poster_call"])
    assert 'lang="es"' not in poster and 'class="poster many"' in poster  # the office does not offer Spanish


def test_poster_address_is_stable_until_rotated(manager, session, world):
    first = only(r'<p class="url">(.*?)</p>', posters(manager.get("/admin/locations/A-1/poster"))[0])
    again = only(r'<p class="url">(.*?)</p>', posters(manager.get("/admin/locations/a-1/poster"))[0])
    assert first == again == short_url(session, world["A-1"])


@pytest.mark.parametrize(("paper", "size"), [("a4", "A4"), ("letter", "letter")])
def test_paper_choice_links_its_print_stylesheet(manager, client, paper, size):
    page = manager.get(f"/admin/locations/A-1/poster?paper={paper}").get_data(as_text=True)
    other = "letter" if paper == "a4" else "a4"
    assert f'href="/static/admin/poster-{paper}.css" media="print"' in page
    assert f"poster-{other}.css" not in page
    assert f'class="paper-{paper}"' in page
    css = client.get(f"/static/admin/poster-{paper}.css")
    assert css.status_code == 200
    assert re.search(rf"@page\s*\{{[^}}]*\bsize:\s*{size}\b", css.get_data(as_text=True))


@pytest.mark.parametrize("query", ["", "?paper=tabloid", "?paper=../admin"])
def test_paper_defaults_to_letter(manager, query):
    page = manager.get(f"/admin/locations/A-1/poster{query}").get_data(as_text=True)
    assert 'href="/static/admin/poster-letter.css" media="print"' in page
    assert "poster-a4.css" not in page


# --- an office's posters -------------------------------------------------------------------------


def test_office_posters_print_one_poster_per_active_location(manager, session, world):
    response = manager.get("/admin/offices/alpha-passport-office/posters?paper=a4")
    assert response.status_code == 200
    page = text(response)
    assert 'href="/static/admin/poster-a4.css" media="print"' in page
    items = posters(response)
    assert [only(r'<p class="counter">(.*?)</p>', p) for p in items] == [
        "Counter 1 - Applications",
        "Counter 2 - Pick-up",
    ]  # not the closed A-3
    assert [only(r'<p class="url">(.*?)</p>', p) for p in items] == [
        short_url(session, world["A-1"]),
        short_url(session, world["A-2"]),
    ]
    assert all(only(r'<p class="office">(.*?)</p>', p) == ALPHA for p in items)
    assert all(only(r'<h1 lang="en">(.*?)</h1>', p) == QUESTION["en"] for p in items)


def test_office_posters_page_has_unique_element_ids(manager):
    """Several inline SVGs on one page must not repeat an id (invalid HTML; breaks assistive tech)."""
    page = manager.get("/admin/offices/alpha-passport-office/posters").get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]*)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_office_posters_show_only_the_managers_locations(new_client, world, make_user):
    make_user("a2.only@example.gov", "manager", [world["A-2"]])
    client = new_client()
    sign_in(client, "a2.only@example.gov", PASSWORD)
    items = posters(client.get("/admin/offices/alpha-passport-office/posters"))
    assert [only(r'<p class="counter">(.*?)</p>', p) for p in items] == ["Counter 2 - Pick-up"]


# --- QR downloads ----------------------------------------------------------------------------------


def test_qr_png_download(manager):
    response = manager.get("/admin/locations/A-1/qr.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert response.headers["Content-Disposition"] == 'attachment; filename="A-1-survey-qr.png"'


def test_qr_svg_download(manager):
    response = manager.get("/admin/locations/A-1/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = ET.fromstring(response.data)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert response.headers["Content-Disposition"] == 'attachment; filename="A-1-survey-qr.svg"'
    # It brings its own white ground, so it still scans when placed on a coloured page.
    ground, code = list(svg)
    assert ground.tag.endswith("rect") and ground.get("fill") == "white"
    assert (ground.get("width"), ground.get("height")) == ("100%", "100%")
    assert code.tag.endswith("path") and code.get("fill") == "#000000"


# --- scope ---------------------------------------------------------------------------------------


def location_pages(code: str) -> list[str]:
    return [f"/admin/locations/{code}/poster", f"/admin/locations/{code}/qr.png", f"/admin/locations/{code}/qr.svg"]


def rotate(client, code: str):
    return client.post(
        f"/admin/locations/{code}/rotate-link", data={"csrf_token": csrf_token(client, "/admin/"), "confirm": "1"}
    )


def test_a_manager_sees_only_their_offices_locations(manager, session, world):
    for path in location_pages("A-1") + location_pages("A-3") + ["/admin/offices/alpha-passport-office/posters"]:
        assert manager.get(path).status_code == 200, path
    for path in [*location_pages("B-1"), "/admin/offices/beta-benefits-office/posters"]:
        response = manager.get(path)
        assert response.status_code == 404, path
        assert BETA not in text(response)
    # Another office's location answers exactly like one that does not exist.
    for path in [*location_pages("NOPE-1"), "/admin/offices/nope/posters"]:
        assert manager.get(path).status_code == 404, path

    before = current_slug(session, world["B-1"])
    assert rotate(manager, "B-1").status_code == 404
    assert current_slug(session, world["B-1"]) == before
    assert rotate(manager, "A-1").status_code == 302


def test_an_admin_sees_every_location(admin, world):
    for code in ("A-1", "A-2", "A-3", "B-1"):
        for path in location_pages(code):
            assert admin.get(path).status_code == 200, path
    for slug in ("alpha-passport-office", "beta-benefits-office"):
        assert admin.get(f"/admin/offices/{slug}/posters").status_code == 200
    assert rotate(admin, "B-1").status_code == 302
    assert admin.get("/admin/locations/NOPE-1/poster").status_code == 404


def listed_codes(response) -> list[str]:
    return re.findall(r'<th scope="row">([^<]+)</th>', response.get_data(as_text=True))


def test_index_lists_only_the_users_locations(manager, admin):
    mine = manager.get("/admin/")
    assert listed_codes(mine) == ["A-1", "A-2", "A-3"]
    assert BETA not in text(mine) and "B-1" not in text(mine)
    assert listed_codes(admin.get("/admin/")) == ["A-1", "A-2", "A-3", "B-1"]


# --- link rotation ---------------------------------------------------------------------------------


def test_rotate_link_retires_the_old_address(manager, new_client, session, world):
    manager.get("/admin/locations/A-1/poster")
    old = current_slug(session, world["A-1"])
    visitor = new_client()
    assert visitor.get(f"/s/{old}").status_code == 200

    response = rotate(manager, "A-1")
    assert response.status_code == 302 and response.location == "/admin/"
    assert "A-1: a new survey link was made" in text(manager.get("/admin/"))
    new = current_slug(session, world["A-1"])
    assert new and new != old

    gone = visitor.get(f"/s/{old}")
    assert gone.status_code == 410
    assert ALPHA in text(gone)
    assert visitor.get(f"/s/{new}").status_code == 200
    # The poster and the other counters follow: A-1 shows the new address, A-2 keeps its own.
    poster = posters(manager.get("/admin/locations/A-1/poster"))[0]
    assert only(r'<p class="url">(.*?)</p>', poster) == f"feedback.example.gov/s/{new}"
    assert current_slug(session, world["A-2"]) != new
