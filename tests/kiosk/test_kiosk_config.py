"""The kiosk's config: every visitor text from the survey and the catalogues, with an ETag."""

from __future__ import annotations

from feedback.database import write_transaction
from tests.builders import add_survey_version, auth


def test_config_has_both_languages_and_etag(client, build):
    _device, token = build.device(code="HOU-C1", scale="faces4")
    response = client.get("/api/v1/kiosk/config", headers=auth(token))
    assert response.status_code == 200
    config = response.get_json()
    assert config["location"]["code"] == "HOU-C1"
    assert config["survey"]["points"] == 4 and config["survey"]["positive_from"] == 3
    assert config["text"]["en"]["labels"] == ["Very dissatisfied", "Dissatisfied", "Satisfied", "Very satisfied"]
    assert config["text"]["es"]["labels"] == ["Muy insatisfecho", "Insatisfecho", "Satisfecho", "Muy satisfecho"]
    assert config["text"]["es"]["question"] == "¿Cómo lo hicimos hoy?"
    assert config["text"]["es"]["choices"]["negative"]["efficiency"] == "Tardó demasiado"
    assert config["text"]["en"]["language_name"] == "English" and config["text"]["es"]["language_name"] == "Español"
    assert config["timing"]["thanks_seconds"] == 3 and config["timing"]["followup_seconds"] == 10
    assert config["pra"] is None
    etag = response.headers["ETag"]

    unchanged = client.get("/api/v1/kiosk/config", headers={**auth(token), "If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.data == b""


def test_changed_question_changes_etag(client, session, build):
    device, token = build.device()
    first = client.get("/api/v1/kiosk/config", headers=auth(token))
    with write_transaction(session):
        add_survey_version(
            session,
            device.location.survey,
            scale="faces5",
            question={"en": "New question?", "es": "¿Nueva pregunta?"},
            followup_choices=(),
        )
    second = client.get("/api/v1/kiosk/config", headers={**auth(token), "If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert second.get_json()["text"]["en"]["question"] == "New question?"
    assert second.headers["ETag"] != first.headers["ETag"]


def test_config_requires_a_device_token(client):
    response = client.get("/api/v1/kiosk/config")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_kiosk_shell_and_service_worker(client):
    page = client.get("/kiosk")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<script type="module"' in html and "<script>" not in html  # no inline script
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    worker = client.get("/kiosk/sw.js")
    assert worker.status_code == 200
    assert worker.headers["Service-Worker-Allowed"] == "/kiosk"
    body = worker.get_data(as_text=True)
    assert "__VERSION__" not in body and '"/static/kiosk/kiosk.js"' in body and '"/kiosk"' in body


def test_shell_is_small(client):
    total = len(client.get("/kiosk").data)
    for name in ("kiosk.css", "kiosk.js", "outbox.js", "sender.js", "faces.js", "icon.svg"):
        response = client.get(f"/static/kiosk/{name}")
        assert response.status_code == 200
        total += len(response.data)
        response.close()
    assert total < 100 * 1024
