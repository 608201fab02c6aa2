"""The public scoreboard /scores/<office-slug>: opt-in, figures from the rollups, this quarter and last,
small counts withheld, no comments, every visitor language, HTTP caching (ETag, 304, the shared cache)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from babel.dates import format_date

from feedback.database import write_transaction
from feedback.i18n import LANGUAGE_NAMES, html_lang, text_direction
from feedback.models import Location, Office
from feedback.services import standards
from feedback.services.fiscal import FiscalQuarter
from feedback.services.stats import wilson_interval
from kiosk_app.scoreboard import page_cache
from tests.helpers.responses import put

_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
_CELL = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)
_TAG = re.compile(r"<[^>]+>")


def table(body: str) -> dict[str, list[str]]:
    """The scores table as {row heading: [cell texts]} (heading row under "")."""
    part = body[body.index('<table class="scores"') : body.index("</table>")]
    rows = {}
    for row in _ROW.findall(part):
        cells = [" ".join(html.unescape(_TAG.sub("", c)).split()) for c in _CELL.findall(row)]
        rows[cells[0] if '<th scope="row"' in row else ""] = cells[1:] if '<th scope="row"' in row else cells
    return rows


def pct(value: float) -> str:
    return f"{round(value * 100)}%"


@pytest.fixture(autouse=True)
def _fresh_cache(app):
    page_cache(app).clear()
    yield
    page_cache(app).clear()


@pytest.fixture
def quarters():
    """This quarter and last in Chicago's local time (the tests' office)."""
    from zoneinfo import ZoneInfo

    today = datetime.now(UTC).astimezone(ZoneInfo("America/Chicago")).date()
    this = FiscalQuarter.of(today)
    return this, this.previous()


@pytest.fixture
def office(session, build, quarters):
    """A Chicago office that publishes its scoreboard (target 80 %): Counter 1 with 40 answers this
    quarter (34 positive) and 20 last quarter (10 positive), Counter 2 with 5 this quarter, and a
    switched-off Counter 3."""
    this, last = quarters
    office = build.office("Chicago Passport Agency", "America/Chicago")
    c1 = build.location("CHI-1", office=office)
    c2 = build.location("CHI-2", office=office)
    c3 = build.location("CHI-3", office=office)
    with write_transaction(session):
        stored = session.get(Office, office.id)
        stored.scoreboard_public, stored.csat_target = True, 0.8
        session.get(Location, c1.id).name = "Counter 1 - Applications"
        session.get(Location, c2.id).name = "Counter 2 - Renewals"
        session.get(Location, c3.id).name = "Counter 3 - Closed"
        session.get(Location, c3.id).active = False
    put(session, c1, [5] * 30 + [4] * 4 + [1] * 6, this.start, comment="The clerk Mrs Smith was rude to me")
    put(session, c1, [5] * 10 + [2] * 10, last.start)
    put(session, c2, [5, 5, 5, 1, 1], this.start)
    put(session, c3, [1] * 30, this.start)
    return office


def test_unknown_or_unpublished_office_is_404(client, session, build, office):
    assert client.get("/scores/no-such-office").status_code == 404
    other = build.office("Dallas Passport Agency", "America/Chicago")
    assert client.get(f"/scores/{other.slug}").status_code == 404
    assert client.get(f"/scores/{office.slug}").status_code == 200


def test_figures_match_the_data(client, office, quarters):
    this, last = quarters
    response = client.get(f"/scores/{office.slug}?lang=en")
    assert response.status_code == 200 and response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    rows = table(body)
    assert rows[""] == [
        "Counter",
        "Satisfied this quarter",
        "Likely range (95%)",
        "Responses this quarter",
        "Target",
        "Result",
        "Satisfied last quarter",
        "Responses last quarter",
    ]
    c1 = wilson_interval(34, 40)
    assert rows["Counter 1 - Applications"] == [
        "85%",
        f"{pct(c1.low)} to {pct(c1.high)}",
        "40",
        "80%",
        "Meets the target",
        "50%",
        "20",
    ]
    assert (pct(c1.low), pct(c1.high)) == ("71%", "93%")
    # 5 answers: no share, no range, no verdict; last quarter nothing at all
    assert rows["Counter 2 - Renewals"] == [
        "Not enough responses yet",
        "–",
        "5",
        "80%",
        "Not enough responses yet",
        "No responses yet",
        "0",
    ]
    # the office: 37 of 45 this quarter (82 %), 10 of 20 last quarter; the switched-off counter is left out
    total = wilson_interval(37, 45)
    assert rows["All counters"] == [
        "82%",
        f"{pct(total.low)} to {pct(total.high)}",
        "45",
        "80%",
        "Meets the target",
        "50%",
        "20",
    ]
    assert "Counter 3" not in body
    assert f"Fiscal year {this.fiscal_year}, quarter {this.quarter}" in body
    assert f"Fiscal year {last.fiscal_year}, quarter {last.quarter}" in body
    assert format_date(last.start, "long", locale="en") in html.unescape(body)
    assert '<html lang="en" dir="ltr">' in body
    assert '<th scope="row"' in body and "<caption" in body and "<h1>" in body
    assert "likely range" in body.lower() and "95% confidence" in body


def test_below_target_and_too_close_to_tell(client, session, office):
    with write_transaction(session):
        session.get(Office, office.id).csat_target = 0.95  # 34/40: the interval tops out at 93 %
    rows = table(client.get(f"/scores/{office.slug}").get_data(as_text=True))
    assert rows["Counter 1 - Applications"][3:5] == ["95%", "Below the target"]
    with write_transaction(session):  # a target change files the page anew (no cache to clear)
        session.get(Office, office.id).csat_target = 0.9  # the interval (71 %, 93 %) still reaches 90 %
    rows = table(client.get(f"/scores/{office.slug}").get_data(as_text=True))
    assert rows["Counter 1 - Applications"][3:5] == ["90%", "Too close to tell"]


def test_no_comment_and_nothing_about_a_visitor(client, office):
    body = client.get(f"/scores/{office.slug}").get_data(as_text=True)
    assert "Smith" not in body and "rude" not in body
    assert "CHI-1" not in body  # internal codes neither
    response = client.get(f"/scores/{office.slug}")
    assert "Set-Cookie" not in response.headers  # a public, cacheable page


def test_spanish_by_parameter_and_by_browser(client, office, quarters):
    this, _last = quarters
    spanish = client.get(f"/scores/{office.slug}?lang=es")
    body = html.unescape(spanish.get_data(as_text=True))
    assert '<html lang="es" dir="ltr">' in body
    rows = table(spanish.get_data(as_text=True))
    first = rows["Counter 1 - Applications"]
    assert first[0] == "85 %" and first[3] == "80 %"  # Spanish number format ...
    assert "85\xa0%" in body  # ... with a no-break space
    assert format_date(this.start, "long", locale="es") in body  # e.g. "1 de octubre de 2026"
    assert 'href="?lang=en"' in body and 'aria-current="true"' in body
    by_browser = client.get(f"/scores/{office.slug}", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert '<html lang="es" dir="ltr">' in by_browser.get_data(as_text=True)
    assert "Accept-Language" in by_browser.headers["Vary"]
    english = client.get(f"/scores/{office.slug}", headers={"Accept-Language": "en-US"})
    assert '<html lang="en" dir="ltr">' in english.get_data(as_text=True)


def texts(body: str) -> set[str]:
    """The page's visible text pieces (between tags), outside the ``<head>``."""
    page = body[body.index("<body") :]
    return {" ".join(html.unescape(t).split()) for t in re.split(r"<[^>]+>", page)} - {""}


# Words that are the same in English and the language (Tagalog keeps "Counter", as its survey does).
SAME_WORD = {"tl": {"Counter"}}


@pytest.mark.parametrize("code", ["zh", "vi", "ko", "tl", "ar"])
def test_every_visitor_language_leaves_no_english(client, office, code):
    """Issue 17: the scoreboard is visitor-facing, so it speaks each of the office's visitor
    languages (with the page's ``lang`` and ``dir``), not English and Spanish only."""
    english = client.get(f"/scores/{office.slug}?lang=en").get_data(as_text=True)
    names = {office.name, "Counter 1 - Applications", "Counter 2 - Renewals", *LANGUAGE_NAMES.values()}
    words = {t for t in texts(english) if re.search(r"[A-Za-z]{2}", t)} - names
    body = client.get(f"/scores/{office.slug}?lang={code}").get_data(as_text=True)
    assert f'<html lang="{html_lang(code)}" dir="{text_direction(code)}">' in body
    assert (texts(body) & words) - SAME_WORD.get(code, set()) == set()
    assert f'href="?lang={code}" aria-current="true"' in body
    # The page for an address with no scoreboard speaks the language too.
    english_missing = client.get("/scores/no-such-office?lang=en").get_data(as_text=True)
    missing = client.get(f"/scores/no-such-office?lang={code}")
    assert missing.status_code == 404
    body = missing.get_data(as_text=True)
    assert f'<html lang="{html_lang(code)}" dir="{text_direction(code)}">' in body
    words = {t for t in texts(english_missing) if re.search(r"[A-Za-z]{2}", t)} - names
    assert texts(body) & words == set(), code


def test_the_offices_languages_only(client, session, office):
    with write_transaction(session):
        session.get(Office, office.id).visitor_languages = ["ar", "es"]
    body = client.get(f"/scores/{office.slug}?lang=zh", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in body  # Chinese is not offered: the browser's language
    assert re.findall(r'href="\?lang=([a-z]+)"', body) == ["en", "es", "ar"]
    english = client.get(f"/scores/{office.slug}?lang=ko").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in english


def test_cache_headers_and_conditional_get(client, office):
    first = client.get(f"/scores/{office.slug}?lang=en")
    assert first.headers["Cache-Control"] == "public, max-age=300"
    etag = first.headers["ETag"]
    assert etag
    again = client.get(f"/scores/{office.slug}?lang=en", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    spanish = client.get(f"/scores/{office.slug}?lang=es", headers={"If-None-Match": etag})
    assert spanish.status_code == 200 and spanish.headers["ETag"] != etag


def test_the_cache_keeps_the_page_until_its_figures_change(client, session, app, office, quarters, monkeypatch):
    this, _last = quarters
    url = f"/scores/{office.slug}?lang=en"
    before = client.get(url)
    renders = []
    real = standards.scoreboard
    monkeypatch.setattr(standards, "scoreboard", lambda *a, **k: renders.append(1) or real(*a, **k))
    cached = client.get(url)
    assert cached.get_data() == before.get_data() and cached.headers["ETag"] == before.headers["ETag"]
    assert renders == []  # kept, not read again
    c2 = session.get(Location, session.query(Location.id).filter_by(code="CHI-2").scalar())
    put(session, c2, [5] * 10, this.start, hour=11)  # counted in the rollups: the page is stale
    fresh = client.get(url)
    assert renders == [1]
    assert table(fresh.get_data(as_text=True))["Counter 2 - Renewals"][2] == "15"
    assert fresh.headers["ETag"] != before.headers["ETag"]
    assert client.get(url).headers["ETag"] == fresh.headers["ETag"] and renders == [1]
    monkeypatch.setitem(app.config, "SCOREBOARD_CACHE_SECONDS", 0)
    assert client.get(url).headers["Cache-Control"] == "public, max-age=0"
    assert client.get(url) and renders == [1, 1, 1]  # not kept at all
    # Withdrawing the scoreboard works at once, cache or not.
    monkeypatch.setitem(app.config, "SCOREBOARD_CACHE_SECONDS", 300)
    client.get(url)
    with write_transaction(session):
        session.get(Office, office.id).scoreboard_public = False
    assert client.get(url).status_code == 404


def test_threshold_is_configurable(client, app, office, monkeypatch):
    monkeypatch.setitem(app.config, "SCOREBOARD_MIN_RESPONSES", 5)
    rows = table(client.get(f"/scores/{office.slug}").get_data(as_text=True))
    assert rows["Counter 2 - Renewals"][:2] == [
        "60%",
        f"{pct(wilson_interval(3, 5).low)} to {pct(wilson_interval(3, 5).high)}",
    ]
    assert rows["Counter 2 - Renewals"][4] == "Too close to tell"


def test_office_without_active_counters(client, session, build):
    office = build.office("Empty Office", "America/Chicago")
    with write_transaction(session):
        session.get(Office, office.id).scoreboard_public = True
    body = client.get(f"/scores/{office.slug}").get_data(as_text=True)
    assert "no counters collecting feedback" in body


def test_demo_offices_publish_scoreboards_and_demo_links_print_them(runner, client, session):
    assert runner.invoke(args=["demo", "load", "--weeks", "1"]).exit_code == 0
    result = runner.invoke(args=["demo", "links"])
    assert result.exit_code == 0
    urls = [line.split()[-1] for line in result.output.splitlines() if "/scores/" in line]
    assert len(urls) == 3
    for url in urls:
        page = client.get(url.split("127.0.0.1:8000", 1)[1])
        assert page.status_code == 200
        rows = table(page.get_data(as_text=True))
        assert rows["All counters"][3] == "85%"  # the demo offices' target
    session.rollback()
    office = session.query(Office).filter_by(slug="houston-passport-agency").one()
    assert (office.csat_target, office.weekly_response_target, office.scoreboard_public) == (0.85, 150, True)
