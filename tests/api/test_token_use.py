"""The read API never needs a write lock: a token's last use is recorded after the answer, at
most once a minute, and a failure to record it never fails the read (issue 11, item 1)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select

from feedback.extensions import db
from feedback.models import ApiToken
from tests.builders import auth
from tests.dbfaults import hold_write_lock

URL = "/api/v1/summary"
RANGE = {"from": "2026-01-05", "to": "2026-01-11"}


def last_used(session, user) -> datetime | None:
    session.rollback()
    session.expire_all()
    return session.scalar(select(ApiToken.last_used_at).where(ApiToken.user_id == user.id))


def get_in_thread(client, *args, **kwargs):
    """Run ``client.get`` in a thread; (thread, box) where box[0] is the answer once it came."""
    box = []
    thread = threading.Thread(target=lambda: box.append(client.get(*args, **kwargs)), daemon=True)
    thread.start()
    return thread, box


def test_reads_answer_while_another_connection_holds_the_write_lock(app, client, build, session, database_url):
    """SQLite refused the token's UPDATE at once (a read upgraded to a write: "database is locked",
    500); PostgreSQL made the read wait for the lock. Reads must need no write lock at all."""
    user, token = build.user_token("admin")
    with hold_write_lock(database_url, table="api_tokens"):
        thread, box = get_in_thread(client, URL, query_string=RANGE, headers=auth(token))
        thread.join(10)  # a hang detector, not a timing threshold: the read takes milliseconds
        answered = not thread.is_alive()
    thread.join(30)
    assert answered, "the read waited for the write lock"
    [response] = box
    assert response.status_code == 200, response.get_data(as_text=True)
    assert last_used(session, user) is None  # recorded after the answer, not inside it
    response.close()  # the server has sent the answer
    assert last_used(session, user) is not None


def test_last_use_is_recorded_at_most_once_a_minute(app, client, build, session):
    user, token = build.user_token("admin")
    writes = []

    def count_writes(_conn, _cursor, statement, *_):
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", count_writes)
    try:
        for _ in range(3):
            with client.get(URL, query_string=RANGE, headers=auth(token)) as response:
                assert response.status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count_writes)
    assert len(writes) == 1
    first = last_used(session, user)
    assert first is not None and abs(datetime.now(UTC) - first) < timedelta(minutes=5)


def test_a_failure_to_record_the_use_never_fails_the_read(app, client, build, session, monkeypatch, caplog):
    from feedback.services import api_tokens

    def broken(*_args, **_kwargs):
        raise RuntimeError("the database refused the write")

    monkeypatch.setattr(api_tokens, "record_api_token_use", broken)
    user, token = build.user_token("admin")
    with client.get(URL, query_string=RANGE, headers=auth(token)) as response:
        assert response.status_code == 200
    assert last_used(session, user) is None
    assert "API token use" in caplog.text
