"""Real database faults for tests, on SQLite and PostgreSQL alike.

``hold_write_lock`` keeps writers out the way another process would (a long SQLite write
transaction; a PostgreSQL table lock that lets readers in). ``TcpProxy`` stands between the
app and a server (PostgreSQL, Redis) so a test can cut the connection and bring it back.
"""

from __future__ import annotations

import socket
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
