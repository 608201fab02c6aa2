"""The admin site in Spanish (issue 13 item 11): every admin page, asked with ``Accept-Language: es``,
says ``<html lang="es">`` and shows no English UI text.

Two independent checks of each page's visible text (text nodes, and the ``aria-label``, ``title``
and ``placeholder`` a screen reader reads; the parts marked ``lang="en"`` on purpose, such as a
survey's English question, and ``<code>`` are left out):

1. no English msgid of the catalogue appears (a marked string rendered in the wrong language);
2. no text that is the same in the English page holds an English word: a word of the catalogue's
   English msgids that none of its Spanish translations uses (an unmarked string). The objects
   the pages show are named in Spanish so that their names never count.

Every GET page of the admin site is walked from the URL map, so pages added later are covered.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from werkzeug.routing import Rule

from feedback.database import write_transaction
from feedback.services import survey_links
from tests.admin.conftest import csrf_token, field_errors, sign_in
from tests.builders import add_api_token, add_device, add_location, add_office, add_survey, auth, response_body

PO = Path(__file__).resolve().parents[2] / "feedback/translations/es/LC_MESSAGES/messages.po"
ES = {"Accept-Language": "es-MX,es;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[sd]|\{[^}]*\}|<[^>]+>|&[a-z]+;")
WORD = re.compile(r"[A-Za-zÀ-ÿ]+")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
READ_ATTRIBUTES = ("aria-label", "title", "placeholder")
QUARTER = "FY2027Q1"


def _catalogue() -> tuple[set[str], set[str]]:
    """(English phrases of the catalogue, English-only words)."""
    with PO.open("rb") as f:
        catalogue = read_po(f, locale="es")
    english_words: set[str] = set()
    spanish_words: set[str] = set()
    phrases: set[str] = set()
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            spanish_words |= {w.lower() for w in WORD.findall(PLACEHOLDER.sub(" ", text or ""))}
        for text in ids:
            english_words |= {w.lower() for w in WORD.findall(PLACEHOLDER.sub(" ", text))}
            if text not in strings:  # a phrase whose Spanish differs: its English must never show
                phrases |= {p.strip() for p in PLACEHOLDER.split(text) if len(p.split()) >= 2 or p.strip() == text}
    return {p for p in phrases if len(p) > 3}, {w for w in english_words - spanish_words if len(w) > 2}


PHRASES, ENGLISH_WORDS = _catalogue()


class _Visible(HTMLParser):
    """The text a reader meets on the page, in pieces (text nodes and read attributes)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._stack: list[tuple[str, bool]] = []
        self._option: str | None = None  # the value of the <option> being read

    def _skipping(self) -> bool:
        return any(skip for _tag, skip in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        skip = tag in ("script", "style", "code", "kbd") or (tag != "html" and values.get("lang") == "en")
        if not skip and not self._skipping():
            self.pieces += [v for k, v in attrs if k in READ_ATTRIBUTES and v]
        self._option = values.get("value") if tag == "option" else None
        if tag not in VOID:
            self._stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                return

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text == self._option:  # a stored code offered as itself (Touchpoints' channel names)
            return
        if text and not self._skipping():
            self.pieces.append(text)


def visible(html: str) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    return parser.pieces


def english_in(spanish: str, english: str) -> list[str]:
    """What of the Spanish page is English UI text (see the module's docstring)."""
    pieces = visible(spanish)
    found = [p for p in pieces if p in PHRASES]
    text = " \n ".join(pieces)
    found += [phrase for phrase in PHRASES if len(phrase.split()) >= 3 and phrase in text]
    same = set(pieces) & set(visible(english))
    found += [p for p in same if {w.lower() for w in WORD.findall(p)} & ENGLISH_WORDS]
    return sorted(set(found))


def test_the_check_finds_english():
    """The checker itself: a page with an unmarked and a marked English string fails, a Spanish one passes."""
    page = '<html lang="es"><body><h1>{}</h1><p>{}</p><p lang="en">How did we do?</p></body></html>'
    assert english_in(page.format("Panel", "Ubicaciones"), page.format("Dashboard", "Locations")) == []
    assert english_in(page.format("Dashboard", "x"), page.format("Dashboard", "x")) == ["Dashboard"]
    unmarked = page.format("Panel", "Nothing happened yet")
    assert english_in(unmarked, page.format("Dashboard", "Nothing happened yet")) == ["Nothing happened yet"]


@pytest.fixture
def world(app, session, client, make_user):
    """One office with a counter, a kiosk, answers of today, an API token and a signed-in admin."""
    with write_transaction(session):
        office = add_office(session, "Oficina Norte", "America/Chicago")
        survey = add_survey(session, "Encuesta General", question={"en": "How did we do?", "es": "¿Cómo lo hicimos?"})
        location = add_location(session, "NTE-1", office=office, name="Ventanilla Uno", survey=survey)
        device, device_token = add_device(session, location, "tableta")
        survey_links.current_link(session, location)
    admin = make_user("jefa@ejemplo.gov", "admin")
    with write_transaction(session):
        add_api_token(session, admin, "informe")
    now = datetime.now(UTC)
    for minutes, rating in ((5, 5), (9, 1), (14, 4)):
        answer = client.post(
            "/api/v1/responses",
            json=response_body(rating, now - timedelta(minutes=minutes)),
            headers=auth(device_token),
        )
        assert answer.status_code == 201
    assert sign_in(client, "jefa@ejemplo.gov").status_code == 302
    return {"office": office, "location": location, "survey": survey, "device": device, "admin": admin}


def _value(name: str, world: dict):
    values = {
        "code": world["location"].code,
        "slug": world["office"].slug,
        "office_id": world["office"].id,
        "user_id": world["admin"].id,
        "survey_id": world["survey"].id,
        "device_id": world["device"].id,
        "quarter": QUARTER,
    }
    if name not in values:
        pytest.skip(f"no object for parameter {name!r}")  # an id of an object this world has none of
    return values[name]


def _pages(app, world) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or "GET" not in rule.methods or rule.rule.startswith("/admin/login"):
            continue
        if set(rule.arguments) - {"code", "slug", "office_id", "user_id", "survey_id", "device_id", "quarter"}:
            continue  # an alert, an upload file: no such object here (alerts/reporting have their own tests)
        urls.append(_url(rule, world))
    return sorted(urls)


def _url(rule: Rule, world: dict) -> str:
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(_value(name, world)), url)
    return url


def test_every_admin_page_is_spanish_for_a_spanish_browser(app, client, world):
    pages = [*_pages(app, world), "/admin/no-such-page"]
    checked = []
    for url in pages:
        spanish = client.get(url, headers=ES)
        if spanish.mimetype != "text/html":
            continue  # downloads: CSV, JSON, PNG, SVG
        html = spanish.get_data(as_text=True)
        assert '<html lang="es">' in html, url
        english = client.get(url, headers=EN).get_data(as_text=True)
        assert '<html lang="en">' in english, url
        assert english_in(html, english) == [], url
        checked.append(url)
    for needed in (
        "/admin/",
        "/admin/locations/NTE-1",
        "/admin/compare",
        "/admin/offices",
        "/admin/kiosks",
        "/admin/users",
        "/admin/tokens",
        "/admin/audit",
        "/admin/surveys",
        "/admin/comments",
        "/admin/alerts",
        "/admin/standards",
        "/admin/reporting",
        "/admin/no-such-page",
    ):
        assert any(url == needed or url.startswith(needed + "?") for url in checked), needed


def test_sign_in_page_and_its_errors_in_spanish(app, new_client):
    client = new_client()
    page = client.get("/admin/login", headers=ES).get_data(as_text=True)
    assert '<html lang="es">' in page and "Iniciar sesión" in page and "Contraseña" in page
    assert english_in(page, client.get("/admin/login", headers=EN).get_data(as_text=True)) == []


def test_chart_labels_and_axis_text_follow_the_locale(client, world):
    html = client.get("/admin/locations/NTE-1", headers=ES).get_data(as_text=True)
    for spanish in ("Tabla de datos", "Respuestas por día de la semana y hora", "Lun", "Calificaciones", "Día"):
        assert spanish in html, spanish
    for english in ("Data table", ">Mon<", "Weekday", "Most chosen first"):
        assert english not in html, english


def test_the_services_refusals_reach_a_spanish_form_in_spanish(client, world):
    """The rules' messages come from the domain services, in the request's language (the command
    line gets English: tests/test_cli.py)."""
    token = csrf_token(client, "/admin/offices/new", headers=ES)
    data = {"csrf_token": token, "name": "Oficina Sur", "timezone": "Marte/Olimpo", "hours_mon": "16:00-08:00"}
    refused = client.post("/admin/offices/new", data=data, headers=ES)
    assert refused.status_code == 422
    errors = field_errors(refused)
    assert "No es una zona horaria IANA (por ejemplo, America/Chicago)." in errors
    assert "16:00-08:00: el final debe ser posterior al inicio." in errors
    assert "Corrija los campos marcados a continuación." in refused.get_data(as_text=True)


def test_a_refused_sign_in_in_spanish(new_client, make_user):
    make_user("otra@ejemplo.gov", "manager")
    client = new_client()
    refused = sign_in_as(client, "otra@ejemplo.gov", "not-the-password")
    assert "Correo electrónico o contraseña incorrectos." in refused.get_data(as_text=True)


def sign_in_as(client, email: str, password: str):
    token = csrf_token(client, "/admin/login", headers=ES)
    return client.post("/admin/login", data={"csrf_token": token, "email": email, "password": password}, headers=ES)


def test_an_alert_rule_refused_in_spanish(client, world):
    token = csrf_token(client, "/admin/alerts/rules/NTE-1", headers=ES)
    form = {
        "csrf_token": token,
        "burst_enabled": "y",
        "burst_negatives": "9",
        "burst_of_last": "6",
        "burst_within_minutes": "20",
        "burst_recipients": "",
        "below_target_window_days": "14",
        "below_target_recipients": "",
        "silence_minutes": "2",
        "silence_recipients": "",
    }
    refused = client.post("/admin/alerts/rules/NTE-1", data=form, headers=ES)
    assert refused.status_code == 422
    assert set(field_errors(refused)) == {
        "No puede ser mayor que el número de calificaciones consideradas.",
        "Un número entero de 5 a 1440.",
    }
