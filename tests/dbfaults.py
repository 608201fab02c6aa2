"""Real database faults for tests, on SQLite and PostgreSQL alike.

``hold_write_lock`` keeps writers out the way another process would (a long SQLite write
transaction; a PostgreSQL table lock that lets readers in). ``TcpProxy`` stands between the
app and a server (PostgreSQL, Redis) so a test can cut the connection and bring it back.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from contextlib import contextmanager, suppress

import sqlalchemy
from sqlalchemy.pool import NullPool


def is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite")


@contextmanager
def hold_write_lock(database_url: str, table: str = "responses"):
    """While inside, no other connection can write (SQLite: the whole file; PostgreSQL: ``table``);
    readers are not blocked, as with WAL and PostgreSQL's MVCC."""
    engine = sqlalchemy.create_engine(database_url, poolclass=NullPool)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if is_sqlite(database_url):
            cursor.execute("BEGIN IMMEDIATE")  # the connect hook turned the driver's own BEGIN off
        else:
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")  # writes wait, reads go on
        yield
    finally:
        raw.rollback()
        raw.close()
        engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TcpProxy:
    """A TCP relay on 127.0.0.1:``port`` to ``target``. ``cut()`` closes the listening socket and
    every relayed connection (clients then get "connection refused", like a server that is down);
    ``restore()`` listens again on the same port."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1", port: int | None = None):
        self.target = (target_host, target_port)
        self.port = port or free_port()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None

    @property
    def up(self) -> bool:
        return self._listener is not None

    def start(self) -> TcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    restore = start

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            _close(listener)
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _close(sock)

    stop = cut

    @contextmanager
    def down(self):
        """Cut while inside, restored after."""
        self.cut()
        try:
            yield
        finally:
            self.restore()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    _close(client)
                    _close(upstream)
                    continue
                self._sockets |= {client, upstream}
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                _close(sock)
            with self._lock:
                self._sockets -= {src, dst}


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def make_read_only(path) -> None:
    """The file can no longer be opened for writing (as root, whom permissions do not stop: the
    immutable attribute; else the permission bits). Open descriptors keep what they had."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    else:
        os.chmod(path, 0o444)


def make_writable(path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        os.chmod(path, 0o644)


def unreachable_url(database_url: str, tmp_path) -> str:
    """A database of the same kind that refuses connections: a PostgreSQL port nothing listens
    on; a SQLite file in a folder that does not exist (it cannot be opened or made)."""
    if is_sqlite(database_url):
        return f"sqlite:///{tmp_path / 'missing' / 'feedback.db'}"
    url = sqlalchemy.engine.make_url(database_url)
    return url.set(host="127.0.0.1", port=free_port()).render_as_string(hide_password=False)


def through_proxy(database_url: str, proxy: TcpProxy) -> str:
    url = sqlalchemy.engine.make_url(database_url)
    return url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


def with_pg_options(database_url: str, *settings: str) -> str:
    """The PostgreSQL URL with more ``-c name=value`` session settings in its ``options``."""
    url = sqlalchemy.engine.make_url(database_url)
    options = " ".join([url.query.get("options", ""), *(f"-c{s}" for s in settings)]).strip()
    return url.update_query_dict({"options": options}).render_as_string(hide_password=False)


def create_tables(database_url: str) -> None:
    from feedback.config import normalize_database_url
    from feedback.extensions import db

    engine = sqlalchemy.create_engine(normalize_database_url(database_url), poolclass=NullPool)
    db.metadata.create_all(engine)
    engine.dispose()


@contextmanager
def isolated_app(suite_app, database_url: str, instance_path, **config):
    """An app of its own on ``database_url`` (tables made by the caller, or none), for faults the
    suite's database must not suffer. The extensions are module-wide (Flask-Limiter keeps one
    storage), so they are given back to the suite's app afterwards."""
    from feedback.app import create_app
    from feedback.extensions import db, limiter

    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(instance_path),
        "PUBLIC_URL": "http://127.0.0.1:8000",
        # As the suite's app: a tap is folded before its answer, so no folding thread of this app
        # is still at work on a shared database when the suite's cleanup empties it.
        "ROLLUP_FOLD": "inline",
        **config,
    }
    app = create_app(settings)
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        probe = app.extensions.get("readiness_engine")
        if probe is not None:
            probe.dispose()
        limiter.init_app(suite_app)  # the suite's storage again (its hooks are registered once)
        limiter._storage_dead = False  # Flask-Limiter's flag: a fallback begun here is not the suite's
