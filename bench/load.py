"""Submissions under load: the kiosk API and the online form under gunicorn on loopback, driven by wrk, on
SQLite (WAL) and PostgreSQL, at 50 and 200 concurrent clients; the baseline is a bare Flask endpoint that
inserts one row with SQLAlchemy Core on the same server and database (bench/bare_app.py), measured in the
same run. Every request carries a fresh response id, so each one is a real insert, never a replay.

    python bench/load.py                                  # both databases, 50 and 200 clients, 10 s each
    python bench/load.py --db sqlite --clients 50 --seconds 5

Needs wrk (Debian: apt-get install wrk) and, for PostgreSQL, a server (--pg-admin-url). Rate limits are
switched off for the run (they would refuse a load generator on one address, which is their job). After each
run the rows stored are counted and compared with the 201/302 answers wrk saw.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import bare_app  # noqa: E402
from bench.harness import ANSWERS, Server, prepare_kiosk_round  # noqa: E402

LUA = r"""
local threads = {}
local counter = 0
local path = "%(path)s"
local headers = %(headers)s
local template = "%(template)s"
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  created, other, failed = 0, 0, 0
end
function request()
  counter = counter + 1
  local id = string.format("%(prefix)s-%%04x-4000-8000-%%012x", tid, counter)
  return wrk.format("POST", path, headers, string.format(template, id, tid * 10000000 + counter))
end
function response(status, hdrs, body)
  if status == 201 or status == 302 then created = created + 1
  elseif status >= 500 then failed = failed + 1
  else other = other + 1 end
end
function done(summary, latency, requests)
  local c, o, f = 0, 0, 0
  for _, t in ipairs(threads) do c = c + t:get("created"); o = o + t:get("other"); f = f + t:get("failed") end
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "seconds": %%.3f, "p50_ms": %%.2f, "p99_ms": %%.2f, ' ..
    '"created": %%d, "other": %%d, "server_errors": %%d, "socket_errors": %%d}\n', summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000, c, o, f,
    e.connect + e.read + e.write + e.timeout))
end
"""


def lua_string(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def lua_script(path: str, headers: dict, template: str, prefix: str) -> str:
    table = "{" + ", ".join(f'["{lua_string(k)}"] = "{lua_string(v)}"' for k, v in headers.items()) + "}"
    # %% in the body template stays a literal percent for Lua's string.format
    return LUA % {"path": path, "headers": table, "template": lua_string(template), "prefix": prefix}


def run_wrk(url: str, script: str, clients: int, seconds: int, threads: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    done = subprocess.run(["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds}s", "--timeout", "10s",
                           "-s", f.name, url], capture_output=True, text=True, timeout=seconds + 60)
    Path(f.name).unlink()
    found = re.search(r"^RESULT (\{.*\})$", done.stdout, re.M)
    if not found:
        raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
    result = json.loads(found.group(1))
    result["rps"] = result["requests"] / result["seconds"]
    return result


def kiosk_case(target) -> tuple[str, dict, str]:
    body = json.dumps(target.body("ID", 0)).replace("%", "%%")
    body = body.replace('"ID"', '"%s"').replace('"device_seq": 0', '"device_seq": %d')
    return "/api/v1/responses", {"Content-Type": "application/json", "Authorization": f"Bearer {target.token}"}, body


def online_case(base: str, target) -> tuple[str, dict, str]:
    """A real browser session: its cookie and CSRF token, every question answered."""
    import requests
    web = requests.Session()
    page = web.get(f"{base}/r/{target.round}/{target.agency}", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in web.cookies)
    fields = "&".join(f"{code}={value}" for code, value in ANSWERS.items())
    body = f"csrf_token={token}&response_id=%s&{fields}".replace("%s", "\0").replace("%", "%%").replace("\0", "%s")
    return (f"/r/{target.round}/{target.agency}",
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}, body)


def paced(port: int, path: str, headers: dict, template: str, clients: int, rate: float, seconds: int) -> dict:
    """Open loop: `clients` connections each send on a fixed schedule, `rate` requests/s in all, whatever the
    server's speed; latency is measured from the scheduled send time (no coordinated omission)."""
    import http.client
    import threading
    import time
    latencies, statuses, lock = [], {}, threading.Lock()
    interval = clients / rate
    start = time.monotonic() + 0.5
    prefix = uuid.uuid4().hex[:8]

    def client(c: int) -> None:
        conn = None
        k = 0
        while True:
            due = start + (c / clients) * interval + k * interval
            if due > start + seconds:
                break
            time.sleep(max(0.0, due - time.monotonic()))
            body = template % ((f"{prefix}-{c:04x}-4000-8000-{k:012x}", c * 10000000 + k) if "%d" in template
                               else (f"{prefix}-{c:04x}-4000-8000-{k:012x}",))
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("POST", path, body.replace("%%", "%"), headers)
                reply = conn.getresponse()
                reply.read()
                status = reply.status
                if reply.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                status, conn = 0, None
            with lock:
                latencies.append(time.monotonic() - due)
                statuses[status] = statuses.get(status, 0) + 1
            k += 1

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ordered = sorted(latencies)
    return {"offered_rps": rate, "sent": len(ordered), "p50_ms": 1000 * ordered[len(ordered) // 2],
            "p99_ms": 1000 * ordered[int(len(ordered) * 0.99)], "statuses": statuses}


def count_prefix(url: str, table: str, column: str, prefix: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(text(f"SELECT count(*) FROM {table} WHERE {column} LIKE :p"), {"p": prefix + "%"})
    finally:
        engine.dispose()


paced_rows: list[dict] = []


def measure(db: str, url: str, args, workdir: Path) -> list[dict]:
    target = prepare_kiosk_round(url)
    bare_app.prepare(url)
    env = {"SIPAS_DATABASE_URL": url, "SIPAS_SECRET_KEY": "bench-load",
           "SIPAS_JOBS_URL": f"sqlite:///{workdir / f'jobs-{db}.sqlite'}"}
    rows = []
    for app_spec, cases in (("bench.bare_app:create()", ("bare insert",)),
                            ("sipas:create_app()", ("kiosk API", "online form"))):
        server = Server(app_spec, env, workers=args.workers, threads=args.threads,
                        log=workdir / f"gunicorn-{db}.log").start()
        try:
            for case in cases:
                if case == "bare insert":
                    path, headers, template = kiosk_case(target)
                    path, table, column = "/bare", "bench_bare", "id"
                elif case == "kiosk API":
                    path, headers, template = kiosk_case(target)
                    table, column = "responses", "uuid"
                else:
                    path, headers, template = online_case(server.url, target)
                    table, column = "responses", "uuid"
                if args.paced and case != "online form":
                    for rate in args.paced:
                        r = paced(server.port, path, headers, template, max(args.clients), rate, args.seconds)
                        r.update(db=db, case=case, clients=max(args.clients))
                        paced_rows.append(r)
                        print(f"  {db:10} {case:12} open loop {rate:5.0f} req/s offered by {r['clients']} clients: "
                              f"p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:7.1f} ms  statuses {r['statuses']}",
                              flush=True)
                for clients in args.clients:
                    warm = uuid.uuid4().hex[:8]
                    run_wrk(server.url + path, lua_script(path, headers, template, warm), clients, args.warmup,
                            args.wrk_threads)
                    prefix = uuid.uuid4().hex[:8]
                    result = run_wrk(server.url + path, lua_script(path, headers, template, prefix), clients,
                                     args.seconds, args.wrk_threads)
                    result.update(db=db, case=case, clients=clients, stored=count_prefix(url, table, column, prefix))
                    rows.append(result)
                    print(f"  {db:10} {case:12} {clients:4} clients: {result['rps']:7.0f} req/s  "
                          f"p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:7.1f} ms  "
                          f"stored {result['stored']}/{result['created']} confirmed  "
                          f"5xx {result['server_errors']}  other {result['other']}  socket errors "
                          f"{result['socket_errors']}", flush=True)
        finally:
            server.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", default="50,200", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (the README deploys 4)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread when > 1)")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=5, help="seconds of load before each measured run "
                        "(workers finish importing the app, caches fill)")
    parser.add_argument("--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--paced", type=lambda s: [float(x) for x in s.split(",")], default=[],
                        help="also an open-loop run at these total rates (req/s), by the largest client count, "
                             "for the kiosk API and the bare insert, e.g. 50,100")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="sipas-load-"))
    print(f"gunicorn -w {args.workers}{f' --threads {args.threads}' if args.threads > 1 else ''} on 127.0.0.1, "
          f"wrk -t{args.wrk_threads}, {args.seconds} s per run after a {args.warmup} s warm-up; logs in {workdir}")
    rows = []
    if args.db in ("sqlite", "both"):
        rows += measure("sqlite", f"sqlite:///{workdir / 'load.sqlite'}", args, workdir)
    if args.db in ("postgresql", "both"):
        admin = create_engine(args.pg_admin_url, isolation_level="AUTOCOMMIT")
        name = f"sipas_load_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            rows += measure("postgresql", args.pg_admin_url.rsplit("/", 1)[0] + f"/{name}", args, workdir)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print("\nratio to the bare insert endpoint on the same database and client count (req/s; p99 in ms):")
    print(f"  {'database':10} {'case':12} {'clients':>7} {'req/s':>7} {'ratio':>6} {'p50':>7} {'p99':>8}")
    for row in rows:
        base = next(r for r in rows if r["db"] == row["db"] and r["clients"] == row["clients"]
                    and r["case"] == "bare insert")
        row["ratio"] = row["rps"] / base["rps"]
        print(f"  {row['db']:10} {row['case']:12} {row['clients']:7} {row['rps']:7.0f} {row['ratio']:6.2f} "
              f"{row['p50_ms']:7.1f} {row['p99_ms']:8.1f}")
    # wrk stops counting at the deadline while up to `clients` requests are still in flight: those may be
    # stored without their answer being counted, so stored may exceed confirmed by at most that many.
    lost = [r for r in rows if not r["created"] <= r["stored"] <= r["created"] + r["clients"]]
    print("\nevery confirmed response stored (stored - confirmed <= requests in flight at the deadline)"
          if not lost else f"\nMISMATCH confirmed vs stored: {lost}")
    if args.json:
        args.json.write_text(json.dumps({"closed_loop": rows, "open_loop": paced_rows}, indent=1))
    shutil.rmtree(workdir, ignore_errors=True) if not lost else None


if __name__ == "__main__":
    main()
