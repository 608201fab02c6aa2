"""Nodes reading from a PostgreSQL streaming replica (``.ci/replica`` starts one and sets
``DATABASE_REPLICA_URL``; ``DATABASE_URL`` is its primary). The variable is taken out of the
environment here, so the suite's own app reads the primary alone; each test builds nodes that
read from the replica (or from an address where none answers), with the suite's schema."""

from __future__ import annotations

import os
import re
from collections import Counter

import pytest
from sqlalchemy import event, make_url, text

from feedback.extensions import db
from tests.builders import PASSWORD
from tests.conftest import OwnContextClient
from tests.dbfaults import isolated_app

REPLICA_URL = os.environ.pop("DATABASE_REPLICA_URL", None)
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


# Collected only where a replica runs (``.ci/replica``): elsewhere there is nothing to test against.
collect_ignore_glob = [] if REPLICA_URL and os.environ.get("DATABASE_URL", "").startswith("postgres") else ["test_*.py"]


def replica_url_for(database_url: str, replica: str) -> str:
    """``database_url`` (the suite's schema in its options) on the replica's host and port."""
    where = make_url(replica)
    return make_url(database_url).set(host=where.host, port=where.port).render_as_string(hide_password=False)


@pytest.fixture
def node(app, database_url, tmp_path):
    """``node(replica_url=None, **config)``: an app on the suite's primary reading from the replica."""
    count = iter(range(100))

    def make(replica: str | None = None, **config):
        url = replica_url_for(database_url, replica or REPLICA_URL)
        return isolated_app(
            app, database_url, tmp_path / f"node{next(count)}", DATABASE_REPLICA_URL=url, ROLLUP_FOLD="off", **config
        )

    return make


class Statements:
    """SQL statements per engine ("primary", "replica") that read ``table``."""

    def __init__(self):
        self.seen: Counter[str] = Counter()
        self._engines = []

    def watch(self, name, engine, table="response_hourly"):
        def count(_conn, _cursor, statement, *_args):
            if table in statement and statement.lstrip().upper().startswith(("SELECT", "WITH", "(")):
                self.seen[name] += 1

        event.listen(engine, "before_cursor_execute", count)
        self._engines.append((engine, count))

    def reset(self):
        self.seen.clear()

    def close(self):
        for engine, count in self._engines:
            event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def statements():
    found = Statements()
    yield found
    found.close()


def watch(statements, node_app, table="response_hourly"):
    from feedback import replica

    with node_app.app_context():
        statements.watch("primary", db.engine, table)
    replica_engine = replica.engine(node_app)
    assert replica_engine is not None
    statements.watch("replica", replica_engine, table)


def browser(node_app):
    return OwnContextClient(node_app, node_app.response_class, use_cookies=True)


def sign_in(client, email):
    page = client.get("/admin/login").get_data(as_text=True)
    token = next(g for g in _CSRF.search(page).groups() if g)
    answer = client.post("/admin/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302


def replay(paused: bool) -> None:
    """Pause or resume the replica's replay of the primary's WAL."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(make_url(REPLICA_URL).set(drivername="postgresql+psycopg"))
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()"))
        conn.commit()
    engine.dispose()
