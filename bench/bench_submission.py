"""What one online-form submission costs as the round grows: 10k, 100k, 1M responses already stored (SQLite).

    python bench/bench_submission.py --sizes 10000 100000 1000000 --requests 200 --reps 3

A: the app's online form, `POST /r/<round>/<agency>` through Flask's test client, with its CSRF token and
cookie, each request a new response with its own random answers (the real case: the burst check finds no
identical ones), 1 response row + 6 answer rows (KIOSK_RT questionnaire). B (baseline): a minimal Flask
endpoint that reads the same form body and writes exactly the same rows with the standard library's `sqlite3`
(no ORM, no validation, no burst check), same database file, same settings (WAL, synchronous=FULL, foreign
keys). Blocks alternate A/B/B/A, `--reps` times; each block times `--requests` submissions. Printed: median
and range of ms per submission, and the ratio baseline / app (the share of the baseline's throughput the app
reaches) per adjacent A/B pair. Nothing here is a timed test.

The stored responses are bulk-loaded with the same 6 answer rows each, spread over the last 30 days, with
their own content hashes. Between sizes nothing refreshes SQLite's statistics (no ANALYZE): the state a
database is in before its first results recomputation runs `PRAGMA optimize`.

Beside the submission, the burst check alone: the app's query (ix_responses_burst), and the same query forced
through the round index, which is the plan SQLite chose before that index existed (the issue measured
1.1 ms at 8,500 responses and 161 ms at 1,000,000 with it).
"""
from __future__ import annotations

import argparse
import hashlib
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask import Flask, request

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import prepare_kiosk_round  # noqa: E402
from sipas import create_app  # noqa: E402
from sipas.db import session_factory  # noqa: E402
from sipas.services import invitations  # noqa: E402

ITEMS = ["S0", "S1", "S2", "S3", "S4", "S5"]
_ISO = "%Y-%m-%d %H:%M:%S.%f"


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def baseline_app(path: str, round_id: int, agency_id: int) -> Flask:
    """The minimal endpoint: the same form body in, the same 1 + 6 rows out, stdlib sqlite3, one transaction."""
    app = Flask("bare")
    conn = _connect(path)

    @app.post("/bare")
    def bare():
        form = request.form
        rid = form["response_id"]
        answers = [(item, int(form[item])) for item in ITEMS if form.get(item)]
        now = datetime.now(timezone.utc).replace(tzinfo=None).strftime(_ISO)
        conn.execute("BEGIN")
        cur = conn.execute(
            "INSERT INTO responses (uuid, round_id, agency_id, channel, profile_key, received_at, weight, status, "
            "content_hash) VALUES (?, ?, ?, 'online', 'KIOSK_RT', ?, 1.0, 'valid', ?)",
            (rid, round_id, agency_id, now, hashlib.sha256(rid.encode()).hexdigest()))
        conn.executemany("INSERT INTO answers (response_id, item_code, value) VALUES (?, ?, ?)",
                         [(cur.lastrowid, item, value) for item, value in answers])
        conn.execute("COMMIT")
        return "", 302

    return app


def grow(path: str, round_id: int, agency_id: int, target: int, rng: random.Random) -> float:
    """Add stored responses (6 answers each) until the round holds `target`; returns the seconds it took."""
    conn = _connect(path)
    have = conn.execute("SELECT count(*) FROM responses WHERE round_id = ?", (round_id,)).fetchone()[0]
    start_id = conn.execute("SELECT coalesce(max(id), 0) FROM responses").fetchone()[0]
    t0 = time.perf_counter()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    chunk = 100_000
    for first in range(have, target, chunk):
        ids = range(start_id + 1 + first - have, start_id + 1 + min(target, first + chunk) - have)
        answers = {i: [rng.randint(1, 5) for _ in ITEMS] for i in ids}
        responses = [(i, str(uuid.UUID(int=rng.getrandbits(128))), round_id, agency_id,
                      (now - timedelta(seconds=rng.randint(0, 30 * 86400))).strftime(_ISO),
                      hashlib.sha256(repr(answers[i]).encode() + str(i).encode()).hexdigest()) for i in ids]
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO responses (id, uuid, round_id, agency_id, channel, profile_key, received_at, "
                         "weight, status, content_hash) VALUES (?, ?, ?, ?, 'online', 'KIOSK_RT', ?, 1.0, 'valid', ?)",
                         responses)
        conn.executemany("INSERT INTO answers (response_id, item_code, value) VALUES (?, ?, ?)",
                         [(i, item, v) for i in ids for item, v in zip(ITEMS, answers[i])])
        conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - t0


def _block(post, n: int, rng: random.Random) -> float:
    """ms per submission over n submissions, each a new response with random answers."""
    t0 = time.perf_counter()
    for _ in range(n):
        data = {item: str(rng.randint(1, 5)) for item in ITEMS}
        status = post(str(uuid.uuid4()), data)
        if status != 302:
            raise RuntimeError(f"submission answered {status}")
    return (time.perf_counter() - t0) * 1000 / n


def _check_ms(path: str, round_id: int, sql: str, n: int = 300) -> float:
    """Median ms of the burst check's query on a fresh connection (no statistics unless optimize ran)."""
    conn = _connect(path)
    since = (datetime.now(timezone.utc).replace(tzinfo=None) - invitations.BURST_WINDOW).strftime(_ISO)
    times = []
    for k in range(n):
        digest = hashlib.sha256(str(k).encode()).hexdigest()
        t0 = time.perf_counter()
        conn.execute(sql, (round_id, digest, since)).fetchone()
        times.append((time.perf_counter() - t0) * 1000)
    conn.close()
    return statistics.median(times)


APP_CHECK = ("SELECT count(*) FROM (SELECT id FROM responses WHERE round_id = ? AND content_hash = ? "
             "AND received_at >= ? LIMIT 2)")
OLD_PLAN_CHECK = ("SELECT count(*) FROM (SELECT id FROM responses INDEXED BY ix_responses_round_agency "
                  "WHERE round_id = ? AND content_hash = ? AND received_at >= ? LIMIT 2)")


def _fmt(values: list[float], digits: int = 2) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=200, help="submissions per timed block")
    parser.add_argument("--reps", type=int, default=3, help="A/B/B/A repetitions")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "bench.sqlite")
        url = f"sqlite:///{path}"
        target = prepare_kiosk_round(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "DEMO_ON_FIRST_START": False,
                          "RATELIMIT_ENABLED": False})
        with _connect(path) as conn:
            round_id, agency_id = conn.execute(
                "SELECT r.id, a.id FROM rounds r, agencies a WHERE r.code = ? AND a.code = ?",
                (target.round, target.agency)).fetchone()
        client = app.test_client()
        form_url = f"/r/{target.round}/{target.agency}"
        page = client.get(form_url).get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

        def post_app(rid, data):
            return client.post(form_url, data={"csrf_token": token, "response_id": rid, **data}).status_code

        bare = baseline_app(path, round_id, agency_id).test_client()

        def post_bare(rid, data):
            return bare.post("/bare", data={"csrf_token": token, "response_id": rid, **data}).status_code

        _block(post_app, 50, rng), _block(post_bare, 50, rng)  # warm-up: imports, statement caches
        print(f"SQLite {sqlite3.sqlite_version}, {args.requests} submissions per block, A/B/B/A × {args.reps}")
        print("| stored responses | load (s) | online form (ms) | baseline (ms) | baseline / form | "
              "burst check (ms) | same check, old plan (ms) |")
        print("|---|---|---|---|---|---|---|")
        for size in args.sizes:
            loaded = grow(path, round_id, agency_id, size, rng)
            a, b, ratios = [], [], []
            for _ in range(args.reps):
                for order in ((post_app, post_bare), (post_bare, post_app)):
                    pair = {}
                    for post in order:
                        pair[post] = _block(post, args.requests, rng)
                    a.append(pair[post_app])
                    b.append(pair[post_bare])
                    ratios.append(pair[post_bare] / pair[post_app])
            check = _check_ms(path, round_id, APP_CHECK)
            old = _check_ms(path, round_id, OLD_PLAN_CHECK, n=20 if size >= 500_000 else 100)
            print(f"| {size:,} | {loaded:.0f} | {_fmt(a)} | {_fmt(b)} | {_fmt(ratios)} | {check:.3f} | {old:.2f} |",
                  flush=True)
        session_factory(app).kw["bind"].dispose()


if __name__ == "__main__":
    main()
