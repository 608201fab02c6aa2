"""Kiosk tap -> thank-you time in headless Chromium, online and offline, and page weight.

The app is served in-process on 127.0.0.1 (werkzeug, threaded) against a fresh
SQLite database. Each tap is timed in the page from the click event's timestamp
to the next animation frame after the thank-you screen is shown
(performance marks set by static/kiosk/kiosk.js). The baseline, measured in the
same browser and run, is a bare page whose click handler only swaps two
elements, timed the same way: the ratio shows what the kiosk adds (the IndexedDB
outbox write) over the browser's own input-to-frame cost.

    .venv/bin/python -m bench.kiosk [--taps 100] [--no-write]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from bench import report

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
BARE_PAGE = """<!doctype html><html><body>
<button id="b" style="width:200px;height:200px">Tap</button><p id="t" hidden>Thank you!</p>
<script>
document.getElementById('b').addEventListener('click', (e) => {
  performance.mark('kiosk-tap', {startTime: e.timeStamp});
  document.getElementById('b').hidden = true; document.getElementById('t').hidden = false;
  performance.mark('kiosk-thanks');
  requestAnimationFrame(() => performance.mark('kiosk-thanks-frame'));
  setTimeout(() => { document.getElementById('b').hidden = false; document.getElementById('t').hidden = true; }, 50);
});
</script></body></html>"""
READ_MARK = """() => {
  const tap = performance.getEntriesByName('kiosk-tap').pop();
  const frame = performance.getEntriesByName('kiosk-thanks-frame').pop();
  return tap && frame ? frame.startTime - tap.startTime : null;
}"""


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed_taps(page, taps, selector, ready_selector):
    times = []
    for _ in range(taps):
        page.wait_for_selector(ready_selector)
        page.evaluate("() => performance.clearMarks()")
        page.click(selector)
        deadline = time.monotonic() + 10
        value = None
        while value is None and time.monotonic() < deadline:
            value = page.evaluate(READ_MARK)
        if value is None:
            raise RuntimeError("no thank-you mark within 10 s")
        times.append(value)
    return times


def serve(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def run(taps: int) -> dict:
    from playwright.sync_api import sync_playwright

    from bench.sites import Sites
    from feedback.app import create_app
    from feedback.config import normalize_database_url
    from feedback.database import write_transaction
    from feedback.extensions import db

    results = {}
    with report.fresh_database("sqlite") as (url, _info):
        report.migrate(url)
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": normalize_database_url(url),
                "SECRET_KEY": "bench",
                "INSTANCE_PATH": report.instance_dir(),
                "KIOSK_THANKS_SECONDS": 0.15,
                "KIOSK_IDLE_SECONDS": 3600,
                "KIOSK_HEARTBEAT_SECONDS": 60,
            }
        )
        with app.app_context():
            with write_transaction(db.session):
                sites = Sites(db.session)
                office, _ = sites.office("Bench office", "America/Chicago")
                survey = sites.survey("Bench kiosk", "faces5", followup_choices=())
                code = sites.kiosk_link(sites.location("BENCH-1", office, survey))
            db.session.remove()
        server, base = serve(app)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                page = context.new_page()
                page.goto(f"{base}/kiosk/enroll/{code}")
                page.wait_for_url("**/kiosk")
                # Taking input again: the question shown and its input guard passed (static/kiosk/guard.js).
                ready = "#app[data-guard='off'] #screen-question:not([hidden]) .rate:not([disabled])"
                page.wait_for_selector(ready)
                deadline = time.monotonic() + 15
                while not page.evaluate("navigator.serviceWorker.controller !== null") and time.monotonic() < deadline:
                    time.sleep(0.1)
                rate = ".rate[data-rating='5']"
                timed_taps(page, 5, rate, ready)  # warm-up
                results["online"] = timed_taps(page, taps, rate, ready)
                context.set_offline(True)
                results["offline"] = timed_taps(page, taps, rate, ready)
                context.set_offline(False)

                bare = context.new_page()
                bare.set_content(BARE_PAGE)
                timed_taps(bare, 5, "#b", "#b:not([hidden])")
                results["bare"] = timed_taps(bare, taps, "#b", "#b:not([hidden])")

                # Page weight: a cold load with no service worker and no HTTP cache.
                cold = browser.new_context(viewport={"width": 1280, "height": 800}, service_workers="block")
                cold_page = cold.new_page()
                token = page.evaluate("localStorage.getItem('kiosk.token')")
                cold_page.goto(f"{base}/livez")
                cold_page.evaluate("(t) => localStorage.setItem('kiosk.token', t)", token)
                sizes = []
                cold_page.on(
                    "requestfinished",
                    lambda r: sizes.append((r.url, r.sizes()["responseBodySize"], r.sizes()["responseHeadersSize"])),
                )
                cold_page.goto(f"{base}/kiosk")
                cold_page.wait_for_selector(ready)
                cold_page.wait_for_timeout(500)
                results["bytes"] = sizes
                cold.close()
                browser.close()
        finally:
            server.shutdown()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=100)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    started = time.time()
    results = run(args.taps)

    def stats(values):
        return statistics.median(values), percentile(values, 0.95)

    bare_median, bare_p95 = stats(results["bare"])
    rows = []
    for mode in ("online", "offline"):
        med, p95 = stats(results[mode])
        rows.append(
            [mode, args.taps, f"{med:.1f} ms", f"{p95:.1f} ms", f"{med / bare_median:.2f}", "yes" if med < 50 else "NO"]
        )
    rows.append(["bare page (baseline)", args.taps, f"{bare_median:.1f} ms", f"{bare_p95:.1f} ms", "1.00", ""])
    body_bytes = sum(b for _u, b, _h in results["bytes"])
    header_bytes = sum(h for _u, _b, h in results["bytes"])
    per_file = "\n".join(f"  - `{u.split('//', 1)[1].split('/', 1)[1]}`: {b:,} B" for u, b, _h in results["bytes"])
    text = report.header(
        "Kiosk tap to thank-you",
        "bench.kiosk",
        started,
        "headless Debian Chromium, 1280x800, survey without follow-up, SQLite, werkzeug threaded "
        "server in-process; time = click event timestamp -> first animation frame after the "
        "thank-you screen is shown",
    )
    text += "\n" + report.table(["mode", "taps", "median", "p95", "median / baseline", "goal < 50 ms"], rows)
    text += (
        f"\n\nPage weight (cold load, no service worker, uncompressed): **{body_bytes + header_bytes:,} bytes** "
        f"({body_bytes:,} B bodies + {header_bytes:,} B headers) in {len(results['bytes'])} requests, "
        f"goal < 102,400: {'met' if body_bytes + header_bytes < 102400 else 'NOT met'}.\n{per_file}\n"
    )
    print(text)
    if not args.no_write:
        report.write_section("kiosk", text)


if __name__ == "__main__":
    main()
