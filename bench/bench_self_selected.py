"""Benchmark (not a test): self-selected ratings (kiosk, no PSU) read from the database for the analysis.

Each kiosk respondent is its own PSU. The results service asks the database for one row per (agency, stratum,
weight, answer pattern) with its count (`sipas/services/results/totals.py`), so the work done in Python grows
with distinct patterns, not with ratings. This prints, for N ratings of the KIOSK_RT profile over 50 offices:

- A: `round_totals` for the self-selected group (the cells the analysis needs, every variance input);
- B (baseline): the minimal program reading the same answers once: one GROUP BY (agency, item, value) count
  over the same rows and database (enough for point estimates only, no variance);

alternated A/B/B/A over --reps repetitions; the figure is the median A/B ratio with its range. The ratings are
drawn from a skewed 1-5 distribution, and every distinct pattern is checked with the app's own answer
validator (`surveys.answers.check_answers`) before loading.

    python bench/bench_self_selected.py                       # 20,000 and 200,000 ratings, SQLite
    python bench/bench_self_selected.py --sizes 200000 --reps 3
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

import surveys  # noqa: E402
from sipas import create_app  # noqa: E402
from sipas.db import session_factory, session_scope  # noqa: E402
from sipas.models import AdminMap, AdminUnit, Agency, AgencyKind, Answer, Base, Level, Response, Round, RoundStatus  # noqa: E402
from sipas.results import SELF_SELECTED_GROUP  # noqa: E402
from sipas.services.analysis_plan import plan_for  # noqa: E402
from sipas.services.results.totals import round_totals  # noqa: E402
from surveys.answers import check_answers  # noqa: E402

OFFICES = 50


def load(url: str, n: int, seed: int):
    """A kiosk round of n ratings (6 items, 1-5) over OFFICES agencies; returns the app and the round code."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    engine = session_factory(app).kw["bind"]
    Base.metadata.create_all(engine)
    profile = surveys.load("KIOSK_RT")
    codes = [item.code for item in profile.items]
    rng = np.random.default_rng(seed)
    values = rng.choice([1, 2, 3, 4, 5], size=(n, len(codes)), p=[0.02, 0.03, 0.10, 0.40, 0.45])
    for pattern in np.unique(values, axis=0):
        clean, problems = check_answers(profile, dict(zip(codes, (int(v) for v in pattern))))
        assert not problems, problems
    with session_scope(app) as session:
        unit = AdminUnit(code="98", name="Bench", admin_map=AdminMap.NEW_34, level=Level.PROVINCE)
        made = [Agency(code=f"K{a:03d}", name=f"Office {a}", kind=AgencyKind.DEPARTMENT, level=Level.PROVINCE,
                       unit=unit) for a in range(OFFICES)]
        session.add_all([unit, *made])
        rnd = Round(code="KBENCH", name="kiosk bench", year=2026, method_version="KIOSK_RT", profile_key="KIOSK_RT",
                    admin_map=AdminMap.NEW_34, opens_on=date(2026, 1, 1), status=RoundStatus.OPEN,
                    channels=["kiosk"], agencies=made)
        session.add(rnd)
        session.flush()
        agency_ids = [a.id for a in made]
        round_id = rnd.id
    office = rng.integers(OFFICES, size=n)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.executemany("INSERT INTO responses (id, uuid, round_id, agency_id, channel, profile_key, weight, status, "
                        "content_hash, received_at) VALUES (?,?,?,?,?,?,?,?,?, CURRENT_TIMESTAMP)",
                        [(i + 1, str(uuid.UUID(int=i + 1)), round_id, agency_ids[office[i]], "kiosk", "KIOSK_RT", 1.0,
                          "valid", "x") for i in range(n)])
        cur.executemany("INSERT INTO answers (response_id, item_code, value) VALUES (?,?,?)",
                        [(i + 1, code, int(values[i, k])) for i in range(n) for k, code in enumerate(codes)])
        raw.commit()
    finally:
        raw.close()
    return app, "KBENCH"


def run_a(app, code: str) -> float:
    with session_scope(app) as session:
        rnd = session.scalar(select(Round).where(Round.code == code))
        plan = plan_for(surveys.load(rnd.profile_key))
        t0 = time.perf_counter()
        totals, _ = round_totals(session, rnd, plan, SELF_SELECTED_GROUP)
        elapsed = time.perf_counter() - t0
        assert totals.members.sum() > 0
    return elapsed


def run_b(app, code: str) -> float:
    with session_scope(app) as session:
        rnd = session.scalar(select(Round).where(Round.code == code))
        t0 = time.perf_counter()
        rows = session.connection().execute(
            select(Response.agency_id, Answer.item_code, Answer.value, func.count())
            .join(Response, Response.id == Answer.response_id).where(Response.round_id == rnd.id)
            .group_by(Response.agency_id, Answer.item_code, Answer.value)).all()
        elapsed = time.perf_counter() - t0
        assert rows
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            app, code = load(f"sqlite:///{tmp}/k.sqlite", n, args.seed)
            with session_scope(app) as session:
                rnd = session.scalar(select(Round).where(Round.code == code))
                totals, _ = round_totals(session, rnd, plan_for(surveys.load("KIOSK_RT")), SELF_SELECTED_GROUP)
                cells = len(totals.members)
            a_times, b_times = [], []
            for _ in range(args.reps):
                a1 = run_a(app, code)
                b1, b2 = run_b(app, code), run_b(app, code)
                a2 = run_a(app, code)
                a_times.append((a1 + a2) / 2)
                b_times.append((b1 + b2) / 2)
            ratios = [a / b for a, b in zip(a_times, b_times)]
            print(f"{n:>9,} ratings  {cells:>7,} pattern cells  A median {statistics.median(a_times):6.2f} s  "
                  f"B median {statistics.median(b_times):6.2f} s  A/B {statistics.median(ratios):.2f}x "
                  f"({min(ratios):.2f}-{max(ratios):.2f})", flush=True)


if __name__ == "__main__":
    main()
