"""Benchmark (not a test): the dashboard answers from stored results, against a static page of the same app.

Two databases, each with its rounds' results computed and stored first (what the job runner does):
- the Lai Châu demo (scale 1), dashboards of LCU-2024, LCU-2026 and the kiosk round;
- a synthetic national-size round (36,500 responses, 500 agencies over three levels: a larger forest plot
  than a national round's 34 provinces), loaded with bench/dbload.py.
The app runs in this process behind werkzeug's threaded server on a port from the OS; one client asks for
the pages one after another, logged in as the analyst. Baseline: /static/app.css from the same server, the
cost of a request with no application work. Requests alternate A/B/B/A (dashboard, baseline, baseline,
dashboard) over --reps repetitions of --n requests each; p50/p95 per page are printed with the ratio to the
baseline's p95 (median and range over the repetitions).

    python bench/bench_dashboard.py                  # demo and synthetic national-size round, SQLite
    python bench/bench_dashboard.py --reps 5 --n 40
"""
from __future__ import annotations

import argparse
import http.cookiejar
import logging
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from sipas import create_app  # noqa: E402
from sipas.db import session_factory, session_scope  # noqa: E402
from sipas.models import Base, Role, Round  # noqa: E402
from sipas.recompute import refresh_now  # noqa: E402

PASSWORD = "kiem-tra-toc-do-2026"


def _app(url: str, folder: str):
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                       "RATELIMIT_ENABLED": False, "DEMO_ON_FIRST_START": False,
                       "JOBS_URL": f"sqlite:///{folder}/jobs.sqlite", "EXPORT_DIR": f"{folder}/exports"})


def _compute_all(app) -> dict[str, float]:
    """Store every round's results as the job runner would; returns seconds per round."""
    with session_scope(app) as session:
        rounds = [(r.id, r.code) for r in session.scalars(select(Round).order_by(Round.year, Round.id))]
    took = {}
    for round_id, code in rounds:
        t0 = time.perf_counter()
        refresh_now(app, round_id, force=True)
        took[code] = time.perf_counter() - t0
    return took


def demo_database(folder: str):
    from sipas.services.demo import load_demo
    app = _app(f"sqlite:///{folder}/demo.sqlite", folder)
    Base.metadata.create_all(session_factory(app).kw["bind"])
    with session_scope(app) as session:
        load_demo(session, scale=1.0)
    return app, ["LCU-2024", "LCU-2026", "LCU-KIOSK-2026"], "analyst", "demo-sipas-2026"


def national_size_database(folder: str, n: int, agencies: int):
    from bench.dbload import load_synthetic_round
    from sipas.services import accounts
    url = f"sqlite:///{folder}/national.sqlite"
    load_synthetic_round(url, n, agencies, seed=7)
    app = _app(url, folder)
    with session_scope(app) as session:
        accounts.create_user(session, "bench", PASSWORD, [Role.ANALYST], full_name="Bench")
    return app, ["BENCH"], "bench", PASSWORD


class Client:
    """Sequential requests with the login cookie."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def login(self, username: str, password: str) -> None:
        data = urllib.parse.urlencode({"username": username, "password": password}).encode()
        self.opener.open(self.base + "/auth/login", data=data).read()

    def time(self, path: str) -> float:
        t0 = time.perf_counter()
        with self.opener.open(self.base + path) as response:
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path}: {response.status}")
        return time.perf_counter() - t0


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(app, pages: list[str], user: str, password: str, n: int, reps: int) -> list[dict]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = Client(f"http://127.0.0.1:{server.server_port}")
        client.login(user, password)
        baseline_path = "/static/app.css"
        rows = []
        for code in pages:
            path = f"/dashboard/{code}"
            client.time(path), client.time(baseline_path)  # warm-up: the first view parses the stored set
            page_p95, base_p95, page_p50, ratios = [], [], [], []
            for _ in range(reps):
                a, b = [], []
                for i in range(n):
                    order = (path, baseline_path, baseline_path, path) if i % 2 == 0 else \
                        (baseline_path, path, path, baseline_path)
                    for p in order:
                        (a if p == path else b).append(client.time(p))
                page_p95.append(_p(a, 0.95))
                page_p50.append(_p(a, 0.5))
                base_p95.append(_p(b, 0.95))
                ratios.append(_p(a, 0.95) / _p(b, 0.95))
            rows.append({"page": path, "p50_ms": 1000 * statistics.median(page_p50),
                         "p95_ms": 1000 * statistics.median(page_p95), "p95_range_ms": (1000 * min(page_p95),
                                                                                        1000 * max(page_p95)),
                         "baseline_p95_ms": 1000 * statistics.median(base_p95),
                         "ratio": statistics.median(ratios), "ratio_range": (min(ratios), max(ratios))})
        return rows
    finally:
        server.shutdown()
        thread.join(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=30, help="requests of each page per repetition (x2: A/B/B/A)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--national-n", type=int, default=36_500)
    parser.add_argument("--national-agencies", type=int, default=500)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        for build in (lambda: demo_database(folder),
                      lambda: national_size_database(folder, args.national_n, args.national_agencies)):
            app, pages, user, password = build()
            took = _compute_all(app)
            print("stored results computed (job runner, s):", {k: round(v, 2) for k, v in took.items()})
            for row in measure(app, pages, user, password, args.n, args.reps):
                print(f"{row['page']:<28} p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms "
                      f"(range {row['p95_range_ms'][0]:.1f}-{row['p95_range_ms'][1]:.1f})  baseline p95 "
                      f"{row['baseline_p95_ms']:5.1f} ms  ratio {row['ratio']:.1f}x "
                      f"({row['ratio_range'][0]:.1f}-{row['ratio_range'][1]:.1f})")
            session_factory(app).kw["bind"].dispose()


if __name__ == "__main__":
    main()
