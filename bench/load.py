"""Submissions under load: the kiosk API and the online form under gunicorn on loopback, against a minimal
endpoint writing exactly the same rows (bench/bare_app.py: stdlib sqlite3 or psycopg, no ORM), on SQLite (WAL,
synchronous=FULL) and PostgreSQL, same server settings, same client.

    python bench/load.py                                # both databases, 3 repetitions of 8 s per run
    python bench/load.py --db sqlite --reps 5 --seconds 10 --clients 16

Three servers run side by side: the baseline, the app with rate limits off, and the app with its production
rate limits on (the figure that says what limiting costs: every request comes from its own address through one
trusted proxy, as kiosks and phones do, so no request is refused and each is counted against its limits).
Runs alternate baseline / app / app+limits, then the reverse order, `--reps` times; printed are requests per
second, median (range), and the ratio app / baseline per repetition (adjacent runs), median (range), with the
load average. Every request is a new response: a fresh id, and answers drawn at random (the online form's real
case: the burst check finds no run of identical answers, apart from the chance repeats of 6 answers on 5
levels). After each run the rows stored are counted against the 201/302 answers seen.

The client is closed-loop (each connection sends again when answered), `--client-procs` processes of threads
with http.client (wrk is not needed; the same client drives all three servers).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import Server, prepare_kiosk_round  # noqa: E402

ITEMS = ["S0", "S1", "S2", "S3", "S4", "S5"]
SERVERS = ("baseline", "app", "app, limits on")


def _request(case: str, server: str, ctx: dict, rng: random.Random, rid: str, seq: int) -> tuple[str, dict, str]:
    """(path, headers, body) of one new response: its own id and random answers."""
    answers = {item: rng.randint(1, 5) for item in ITEMS}
    headers: dict[str, str] = {}
    if server == "app, limits on":  # its own address, behind one trusted proxy (SIPAS_TRUSTED_PROXY_HOPS=1)
        headers["X-Forwarded-For"] = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    if case == "kiosk API":
        body = json.dumps({"id": rid, "round": ctx["round"], "agency": ctx["agency"],
                           "service_point": ctx["service_point"], "channel": "kiosk", "profile": "KIOSK_RT",
                           "answers": answers, "device_seq": seq})
        headers.update({"Content-Type": "application/json", "Authorization": f"Bearer {ctx['token']}"})
        return ("/bare/kiosk" if server == "baseline" else "/api/v1/responses"), headers, body
    body = urlencode({"csrf_token": ctx["csrf"], "response_id": rid, **answers})
    headers.update({"Content-Type": "application/x-www-form-urlencoded", "Cookie": ctx["cookie"]})
    return ("/bare/form" if server == "baseline" else f"/r/{ctx['round']}/{ctx['agency']}"), headers, body


def _client_process(port: int, case: str, server: str, ctx: dict, threads: int, seconds: float, prefix: str,
                    proc: int) -> dict:
    """One client process: `threads` closed-loop connections until the deadline; statuses and latencies."""
    deadline = time.monotonic() + seconds
    lock, latencies, statuses = threading.Lock(), [], {}

    def loop(t: int) -> None:
        rng, conn, k = random.Random(f"{prefix}{proc}{t}"), None, 0
        while time.monotonic() < deadline:
            k += 1
            rid = f"{prefix}-{proc:04x}-4{t:03x}-8000-{k:012x}"
            path, headers, body = _request(case, server, ctx, rng, rid, (proc * 100 + t) * 1_000_000 + k)
            t0 = time.monotonic()
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("POST", path, body.encode(), headers)
                reply = conn.getresponse()
                reply.read()
                status = reply.status
                if reply.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                status, conn = 0, None
            with lock:
                latencies.append(time.monotonic() - t0)
                statuses[status] = statuses.get(status, 0) + 1

    workers = [threading.Thread(target=loop, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return {"latencies": latencies, "statuses": statuses}


def run(pool: ProcessPoolExecutor, port: int, case: str, server: str, ctx: dict, args, seconds: float) -> dict:
    prefix = uuid.uuid4().hex[:8]
    per_proc = max(1, args.clients // args.client_procs)
    t0 = time.monotonic()
    parts = list(pool.map(_client_process, *zip(*[(port, case, server, ctx, per_proc, seconds, prefix, p)
                                                  for p in range(args.client_procs)])))
    elapsed = time.monotonic() - t0
    latencies = sorted(x for p in parts for x in p["latencies"])
    statuses: dict[int, int] = {}
    for p in parts:
        for status, n in p["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    created = statuses.get(201, 0) + statuses.get(302, 0)
    return {"prefix": prefix, "rps": created / elapsed, "created": created, "statuses": statuses,
            "p50_ms": 1000 * latencies[len(latencies) // 2], "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)]}


def _stored(url: str, prefix: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM responses WHERE uuid LIKE :p"), {"p": prefix + "%"})
    finally:
        engine.dispose()


def _form_context(server: Server, target) -> dict:
    """A real browser's cookie and CSRF token from the form page (same SECRET_KEY on both app servers)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", f"/r/{target.round}/{target.agency}")
    reply = conn.getresponse()
    page = reply.read().decode()
    cookie = "; ".join(c.split(";", 1)[0] for c in reply.headers.get_all("Set-Cookie") or [])
    conn.close()
    return {"csrf": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1), "cookie": cookie}


def _servers(url: str, target, args, workdir: Path, db: str) -> dict[str, Server]:
    common = {"SIPAS_DATABASE_URL": url, "SIPAS_SECRET_KEY": "bench-load", "BENCH_ROUND": target.round,
              "SIPAS_JOBS_URL": f"sqlite:///{workdir / f'jobs-{db}.sqlite'}"}
    specs = {"baseline": ("bench.bare_app:create()", {}),
             "app": ("sipas:create_app()", {}),
             "app, limits on": ("sipas:create_app()", {"SIPAS_RATELIMIT_ENABLED": "true",
                                                       "SIPAS_TRUSTED_PROXY_HOPS": "1"})}
    return {name: Server(spec, {**common, **extra}, workers=args.workers, threads=args.threads,
                         log=workdir / f"gunicorn-{db}.log") for name, (spec, extra) in specs.items()}


def measure(db: str, url: str, args, workdir: Path, pool: ProcessPoolExecutor) -> list[dict]:
    target = prepare_kiosk_round(url)
    servers = _servers(url, target, args, workdir, db)
    rows: list[dict] = []
    try:
        for server in servers.values():
            server.start()
        ctx = {"round": target.round, "agency": target.agency, "service_point": target.service_point,
               "token": target.token, **_form_context(servers["app"], target)}
        for case in args.cases:
            for name, server in servers.items():  # warm-up: imports, caches, connection pools
                run(pool, server.port, case, name, ctx, args, args.warmup)
            for rep in range(args.reps):
                for name in (SERVERS if rep % 2 == 0 else SERVERS[::-1]):
                    r = run(pool, servers[name].port, case, name, ctx, args, args.seconds)
                    r.update(db=db, case=case, server=name, rep=rep, load=os.getloadavg()[0],
                             stored=_stored(url, r["prefix"]))
                    rows.append(r)
                    print(f"  {db:10} {case:11} {name:15} rep {rep}: {r['rps']:6.0f} req/s  p50 {r['p50_ms']:6.1f} ms"
                          f"  p99 {r['p99_ms']:7.1f} ms  stored {r['stored']}/{r['created']}  statuses "
                          f"{r['statuses']}  load {r['load']:.1f}", flush=True)
    finally:
        for server in servers.values():
            server.stop()
    return rows


def _fmt(values: list[float], digits: int = 2) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def summary(rows: list[dict]) -> list[str]:
    lines = ["| database | case | baseline req/s | app req/s | app / baseline | app+limits req/s | "
             "app+limits / baseline | app p50 / p99 ms | load avg |", "|---|---|---|---|---|---|---|---|---|"]
    for db in dict.fromkeys(r["db"] for r in rows):
        for case in dict.fromkeys(r["case"] for r in rows if r["db"] == db):
            mine = [r for r in rows if r["db"] == db and r["case"] == case]
            by = {name: {r["rep"]: r for r in mine if r["server"] == name} for name in SERVERS}
            reps = sorted(by["baseline"])
            rps = {name: [by[name][k]["rps"] for k in reps] for name in SERVERS}
            ratio = [by["app"][k]["rps"] / by["baseline"][k]["rps"] for k in reps]
            limited = [by["app, limits on"][k]["rps"] / by["baseline"][k]["rps"] for k in reps]
            p50 = statistics.median(by["app"][k]["p50_ms"] for k in reps)
            p99 = statistics.median(by["app"][k]["p99_ms"] for k in reps)
            loads = [r["load"] for r in mine]
            lines.append(f"| {db} | {case} | {_fmt(rps['baseline'], 0)} | {_fmt(rps['app'], 0)} | {_fmt(ratio)} | "
                         f"{_fmt(rps['app, limits on'], 0)} | {_fmt(limited)} | {p50:.0f} / {p99:.0f} | "
                         f"{min(loads):.1f}–{max(loads):.1f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--cases", default="kiosk API,online form", type=lambda s: s.split(","))
    parser.add_argument("--clients", type=int, default=16, help="closed-loop connections in all")
    parser.add_argument("--client-procs", type=int, default=2, help="client processes (threads split among them)")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--reps", type=int, default=3, help="repetitions of baseline/app/app+limits (and back)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load per server before measuring")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (the README deploys 4)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread when > 1)")
    parser.add_argument("--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sipas-load-"))
    print(f"gunicorn -w {args.workers} on 127.0.0.1; {args.clients} closed-loop clients in {args.client_procs} "
          f"processes; {args.seconds} s per run, {args.reps} × (baseline, app, app+limits | reversed); "
          f"load average {os.getloadavg()}; logs in {workdir}", flush=True)
    rows: list[dict] = []
    with ProcessPoolExecutor(args.client_procs) as pool:
        if args.db in ("sqlite", "both"):
            rows += measure("sqlite", f"sqlite:///{workdir / 'load.sqlite'}", args, workdir, pool)
        if args.db in ("postgresql", "both"):
            admin = create_engine(args.pg_admin_url, isolation_level="AUTOCOMMIT")
            name = f"sipas_load_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                rows += measure("postgresql", args.pg_admin_url.rsplit("/", 1)[0] + f"/{name}", args, workdir, pool)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    print("\n" + "\n".join(summary(rows)))
    # The client stops counting at its deadline: no request is in flight then (each thread waits for its answer).
    lost = [r for r in rows if r["stored"] != r["created"] or r["statuses"].get(0) or
            any(s >= 500 for s in r["statuses"])]
    print("\nevery confirmed response stored, no 5xx, no socket errors" if not lost else f"\nMISMATCH: {lost}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    shutil.rmtree(workdir, ignore_errors=True) if not lost else None


if __name__ == "__main__":
    main()
