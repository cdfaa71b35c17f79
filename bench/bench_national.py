"""A national round (VN-2026 of `sipas demo load --national`, about 36,500 respondents, 34 provinces) analysed
with every grouping (provinces with rank sets included) and its workbook written, on SQLite.

Run: .venv/bin/python -m bench.bench_national [--scale 1.0] [--cycles 2] [--database FILE]
Prints the load time, then A/B/B/A cycles: A = the minimal baseline (one GROUP BY over the round's answers, the
read every analysis needs), B = compute_round + store + report_data + build_workbook; the median of each with
its range and the ratio B/A. The target is B under 10 s on the 2-core machine.

Before timing, the results job's work on VN-2024 is done once (`refresh_now`): its own provisional set and its
re-estimate on the 2025 map, stored, which VN-2026's changes read (as in production, where the job stored it
when VN-2024's responses last changed). B asserts that every province's change was read from it.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from sqlalchemy import func, select

from sipas import create_app, migrate
from sipas.db import session_scope
from sipas.models import Answer, Response
from sipas.recompute import refresh_now
from sipas.services import demo_national
from sipas.services.catalog import get_round
from sipas.services.results import store
from sipas.services.results.compute import compute_round, remap_due
from sipas.services.workbook import build_workbook, report_data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--cycles", type=int, default=2)
    parser.add_argument("--database", help="A SQLite file already holding the national demo (skips the load).")
    args = parser.parse_args()

    folder = tempfile.mkdtemp()
    url = f"sqlite:///{args.database or os.path.join(folder, 'national.sqlite')}"
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "DEMO_ON_FIRST_START": False})
    t0 = time.perf_counter()
    with app.app_context(), session_scope(app) as session:
        if not demo_national.national_loaded(session):
            counts = demo_national.load_national(session, scale=args.scale)
            print(f"loaded {counts} in {time.perf_counter() - t0:.1f} s")
    with app.app_context(), session_scope(app) as session:
        earlier = get_round(session, "VN-2024")
        earlier_id, due = earlier.id, remap_due(session, earlier) is not None
    if due:
        t0 = time.perf_counter()
        refresh_now(app, earlier_id)
        print(f"the job's work on VN-2024 (own set + re-estimate on new_34, stored) {time.perf_counter() - t0:.1f} s")

    def baseline() -> float:
        with app.app_context(), session_scope(app) as session:
            rnd = get_round(session, "VN-2026")
            t = time.perf_counter()
            session.execute(select(Response.agency_id, Response.psu, Answer.item_code, Answer.value, func.count())
                            .join(Response, Response.id == Answer.response_id).where(Response.round_id == rnd.id)
                            .group_by(Response.agency_id, Response.psu, Answer.item_code, Answer.value)).all()
            elapsed = time.perf_counter() - t
            print(f"  A {elapsed:.2f} s", flush=True)
            return elapsed

    def national() -> float:
        with app.app_context(), session_scope(app) as session:
            rnd = get_round(session, "VN-2026")
            t = time.perf_counter()
            results = compute_round(session, rnd)
            store.save(session, rnd, results)  # the workbook reads stored results; rolled back below
            data = report_data(session, rnd, with_data=False)
            build_workbook(data, "vi", path=os.path.join(folder, "report.xlsx"))
            elapsed = time.perf_counter() - t
            session.rollback()
            provinces = results.groups_by("province")
            assert len(provinces) == 34 and all(g.change["SIPAS"].basis == "re_estimated" for g in provinces)
            print(f"  B {elapsed:.2f} s", flush=True)
            return elapsed

    a, b = [], []
    for _ in range(args.cycles):
        a.append(baseline())
        b.append(national())
        b.append(national())
        a.append(baseline())
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"A baseline (GROUP BY over the answers): median {ma:.2f} s (range {min(a):.2f}-{max(a):.2f}), n={len(a)}")
    print(f"B analysis + workbook: median {mb:.2f} s (range {min(b):.2f}-{max(b):.2f}), n={len(b)}")
    print(f"ratio B/A: {mb / ma:.1f}")


if __name__ == "__main__":
    main()
