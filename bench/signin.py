"""Kiosk posts during a burst of wrong sign-ins, on SQLite behind a real gunicorn (issue 11, item 5).

Sign-in checks a deliberately slow password hash (scrypt). If that check runs inside the write
transaction, SQLite's single write lock is held for it, and every kiosk post queues behind each
wrong guess in turn. The baseline, measured in the same run against the same server, is the kiosk
post latency with no sign-ins; the figure is the ratio of the worst (and median) post during a
burst of parallel wrong sign-ins (each for a different unknown address, so each costs a hash) to
that baseline. The per-address sign-in limit is lifted for the run: it is a separate defence.

    .venv/bin/python -m bench.signin [--burst 30] [--posts 40]
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import socket
import statistics
import subprocess
import threading
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from http.cookiejar import CookieJar

from bench import report

_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post_tap(base: str, token: str) -> float:
    body = json.dumps(
        {"id": str(uuid.uuid4()), "rating": 4, "language": "en", "client_time": datetime.now(UTC).isoformat()}
    ).encode()
    request = urllib.request.Request(
        f"{base}/api/v1/responses",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as resp:
        assert resp.status == 201, resp.status
    return time.perf_counter() - start


def _wrong_sign_in(base: str, n: int, ready: threading.Barrier, outcomes: list) -> None:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = opener.open(f"{base}/admin/login", timeout=60).read().decode()
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page)
    token = re.search(r'value="([^"]+)"', match.group(0)).group(1)
    data = f"email=nobody{n}%40example.gov&password=wrong-password-{n}&csrf_token={token}".encode()
    ready.wait()
    try:
        opener.open(f"{base}/admin/login", data=data, timeout=120)
    except urllib.error.HTTPError as exc:
        outcomes.append(exc.code)  # 401 wrong password (hashed), 429 refused before hashing


def measure(base: str, token: str, burst: int, posts: int) -> dict:
    for _ in range(5):  # warm up every worker's connection pool
        _post_tap(base, token)
    alone = [_post_tap(base, token) for _ in range(posts)]
    ready = threading.Barrier(burst + 1)
    outcomes: list[int] = []
    threads = [threading.Thread(target=_wrong_sign_in, args=(base, n, ready, outcomes)) for n in range(burst)]
    for thread in threads:
        thread.start()
    ready.wait()
    during = []
    while any(t.is_alive() for t in threads) or not during:
        during.append(_post_tap(base, token))
    for thread in threads:
        thread.join()
    return {"alone": alone, "during": during, "outcomes": outcomes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=30)
    parser.add_argument("--posts", type=int, default=40)
    parser.add_argument("--no-write", action="store_true", help="print, do not update docs/PERFORMANCE.md")
    args = parser.parse_args()
    with report.fresh_database("sqlite") as (url, _info):
        instance = report.instance_dir()
        env = report.app_env(
            url,
            instance,
            LOGIN_LIMIT_PER_IP="100000 per minute",
            WEB_CONCURRENCY=4,
            GUNICORN_THREADS=4,
            GUNICORN_ACCESSLOG="/dev/null",
            ALERTS_ON_INGEST="false",
        )
        report.migrate(url, env)
        token = report.enroll(url, locations=1, devices_per_location=1, instance=instance)["devices"][0]["token"]
        port = _free_port()
        env["PORT"] = str(port)
        server = subprocess.Popen(
            [str(report.VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=report.ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{base}/kiosk/manifest.webmanifest", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)
            result = measure(base, token, args.burst, args.posts)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    alone, during = result["alone"], result["during"]
    answers = ", ".join(f"{result['outcomes'].count(code)} x {code}" for code in sorted(set(result["outcomes"])))
    rows = [
        ["kiosk post, no sign-ins (baseline)", len(alone), f"{statistics.median(alone) * 1000:.0f}", "1.0",
         f"{max(alone) * 1000:.0f}", "1.0"],
        [f"kiosk post during {args.burst} parallel wrong sign-ins", len(during),
         f"{statistics.median(during) * 1000:.0f}", f"{statistics.median(during) / statistics.median(alone):.1f}",
         f"{max(during) * 1000:.0f}", f"{max(during) / statistics.median(alone):.1f}"],
    ]  # fmt: skip
    body = "\n".join(
        [
            f"Command: `{report.command_line('bench.signin')}`; {report.now_utc()}; {report.machine()}; "
            f"{report.versions()}. SQLite, gunicorn 4 workers x 4 threads, production-cost scrypt.",
            "",
            report.table(["", "posts", "median ms", "x baseline", "max ms", "max x baseline median"], rows),
            "",
            f"The sign-ins were answered: {answers} (429: refused before the password check).",
        ]
    )
    print(body)
    if not args.no_write:
        report.write_section("signin", body)


if __name__ == "__main__":
    main()
