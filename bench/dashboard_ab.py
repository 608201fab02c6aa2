"""Dashboard pages, this code against an earlier commit on the same data in the same run.

The machines are shared, so a page's time alone says little across days (the same commit's home
page measured 43 ms one morning and 105 ms that afternoon). This fills one database per kind with
``bench/bulkgen.py`` (as ``bench.dashboard`` does), then times every page with goal of
``bench.dashboard`` by the baseline commit (a ``git worktree`` of ``--baseline``) and by this work
tree in turn, alternating which goes first, each in its own process on the same data; the ratio
new/old is the figure. Schema: this tree's migrations; a baseline that predates a table ignores it.

    .venv/bin/python -m bench.dashboard_ab --baseline ccb975b --size 10000000
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import report
from bench.dashboard import BEYOND, counters_for, fill_office, pages

OFFICE_LOCATIONS = 8
DAYS = 400
PER_OPEN_DAY = 36.0
# Run in each tree's own interpreter process, so each measures its own code.
MEASURE = """
import json, sys
import bench.dashboard as d
url, instance, targets, runs = json.loads(sys.argv[1])
targets = [(name, path, tuple(who)) for name, path, who in targets]
print("RESULT " + json.dumps(d.measure(url, instance, targets, runs, 1)))
"""


def measure_in(tree: Path, env: dict, url: str, targets: list, runs: int) -> dict:
    done = subprocess.run(
        [str(report.VENV_BIN / "python"), "-c", MEASURE, json.dumps([url, env["INSTANCE_PATH"], targets, runs])],
        cwd=tree,
        env={**env, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    found = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not found:
        raise SystemExit(f"measuring in {tree} failed:\n{done.stderr[-4000:]}")
    return json.loads(found[0].removeprefix("RESULT "))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", required=True, help="the commit to compare with")
    ap.add_argument("--databases", default="sqlite,postgresql")
    ap.add_argument("--size", type=int, default=10_000_000, help="target stored responses")
    ap.add_argument("--rounds", type=int, default=4, help="measurements per tree, alternating")
    ap.add_argument("--runs", type=int, default=6, help="timed requests per page per round")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if not (1 <= args.size <= 20_000_000 and 2 <= args.rounds <= 20 and 1 <= args.runs <= 50):
        raise SystemExit("--size up to 20 M, --rounds 2..20, --runs 1..50 (every run is bounded)")
    started = time.time()
    baseline = subprocess.run(
        ["git", "rev-parse", "--short", args.baseline], cwd=report.ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    today = datetime.now(UTC).date()
    first_day, end = today - timedelta(days=DAYS), today - timedelta(days=1)
    start = end - timedelta(days=364)
    n_total = counters_for(args.size, OFFICE_LOCATIONS, first_day, DAYS, PER_OPEN_DAY)
    rows = []
    with tempfile.TemporaryDirectory(prefix="feedback-baseline-") as folder:
        old = Path(folder) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(old), baseline], cwd=report.ROOT, check=True, capture_output=True
        )
        trees = {"baseline": old, "this tree": report.ROOT}
        try:
            for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
                with report.fresh_database(kind) as (url, info):
                    env = report.app_env(url)
                    report.migrate(url, env)
                    enrolled, filled, _comments = fill_office(
                        kind, url, info, env, n_total, OFFICE_LOCATIONS, first_day, DAYS, PER_OPEN_DAY
                    )
                    every = pages(enrolled["office"], enrolled["codes"], start, end)
                    targets = [t for t in every if not t[0].startswith(BEYOND)]
                    print(f"[{kind}] {filled['responses']:,} responses; measuring", flush=True)
                    medians: dict[str, dict[str, list[float]]] = {tree: {} for tree in trees}
                    for r in range(args.rounds):
                        for tree in list(trees) if r % 2 == 0 else list(trees)[::-1]:
                            for name, st in measure_in(trees[tree], env, url, targets, args.runs).items():
                                medians[tree].setdefault(name, []).append(st["median"])
                    for name, _path, _who in targets:
                        before = statistics.median(medians["baseline"][name])
                        after = statistics.median(medians["this tree"][name])
                        rows.append([kind, name, f"{before:.1f}", f"{after:.1f}", f"{after / before:.2f}"])
                        print(f"[{kind}] {name}: {before:.1f} -> {after:.1f} ms ({after / before:.2f})", flush=True)
                    rows.append([kind, f"(data: {filled['responses']:,} responses, {n_total} counters)", "", "", ""])
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=report.ROOT, check=False)
    settings = (
        f"the data of bench.dashboard (bench/bulkgen.py, {DAYS} days, {PER_OPEN_DAY:g} responses per location per "
        f"open weekday, the measured office of {OFFICE_LOCATIONS} counters over {start}..{end}); baseline: commit "
        f"{baseline} in a git worktree; each round measures each tree in its own process (one warm-up and "
        f"{args.runs} timed requests per page, pages in order, Flask test client), {args.rounds} rounds, the order "
        f"of the trees alternating; a figure is the median of the rounds' medians"
    )
    text = "\n".join(
        [
            "### Dashboard pages against an earlier commit, same data, same run\n",
            report.header(
                f"Dashboard pages: this tree against {baseline}", "bench.dashboard_ab", started, settings
            ).replace("### ", "#### ", 1),
            "",
            report.table(["database", "page", f"{baseline} median ms", "this tree median ms", "ratio"], rows),
        ]
    )
    print(text)
    if not args.no_write:
        report.write_section("dashboard-ab", text)


if __name__ == "__main__":
    main()
