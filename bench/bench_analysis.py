"""Benchmark (not a test): the full SIPAS analysis against a bare numpy bincount pass on the same arrays.

Synthetic national-scale data: N responses, thousands of agencies over three levels, 8 offices (PSUs)
per agency, strata = level, unequal weights, the 34 analysed items of SIPAS_2640 with 5 % missing.
"Full analysis" = cell indexing + grouped sums + every index of every group (all, levels, agencies) with
intervals, differences from the whole with Holm verdicts, and SIPAS rank intervals (2,000 draws).
The baseline is one np.bincount per item of the weighted scores over a precomputed cell index: the least
work any method must do. Figures are ratios to that baseline measured in the same run.

    python bench/bench_analysis.py --sizes 1000000 10000000
    python bench/bench_analysis.py --sizes 1000000 --db sqlite --db postgresql
"""
from __future__ import annotations

import argparse
import gc
import os
import time
import tracemalloc

import numpy as np

import surveys
from analysis.sums import build_totals
from sipas.services.analysis_plan import plan_for, scores
from sipas.services.results.tree import DEFAULT_GROUPINGS, Unit, channel_group_results


def synthetic(n: int, agencies: int, rng: np.random.Generator):
    plan = plan_for(surveys.load("SIPAS_2640"))
    profile = surveys.load("SIPAS_2640")
    agency = rng.integers(0, agencies, n).astype(np.int32)
    level = (agency % 3).astype(np.int32)  # 0 province, 1 district, 2 commune
    psu = (agency.astype(np.int64) * 8 + rng.integers(0, 8, n)).astype(np.int64)
    weight = np.exp(rng.normal(3, 0.6, agencies * 8))[psu].astype(float)
    effect = rng.normal(0, 0.35, agencies * 8)[psu].astype(np.float32)
    values = np.empty((n, len(plan.items)), dtype=np.float32)
    for k, code in enumerate(plan.items):
        item = profile.item(code)
        u = rng.random(n, dtype=np.float32)
        p = 1 / (1 + np.exp(-(1.8 + effect)))
        if item.scale.key == "sat5":
            sat = u < p
            v = np.where(sat, np.where(rng.random(n, dtype=np.float32) < 0.35, 5, 4),
                         rng.choice(np.array([3, 2, 1], np.float32), n, p=[0.7, 0.22, 0.08]))
        else:
            v = (u < p).astype(np.float32)
        v[rng.random(n, dtype=np.float32) < 0.05] = np.nan
        values[:, k] = v
    # Multiple-choice blocks: at most max_choices options chosen, as the app's validator requires; the options
    # chosen beyond it (a random subset of the chosen ones) become "not chosen".
    for block in profile.blocks:
        cols = [k for k, code in enumerate(plan.items) if code in {i.code for i in profile.block_items(block.code)}]
        if not cols:
            continue
        chosen = values[:, cols] == 1
        keys = np.where(chosen, rng.random(chosen.shape, dtype=np.float32), np.inf)
        rank = keys.argsort(axis=1).argsort(axis=1)
        block_values = values[:, cols]
        block_values[chosen & (rank >= block.max_choices)] = 0
        values[:, cols] = block_values
    return plan, agency, level, psu, weight, values


def check_valid(plan, values: np.ndarray, rows: int = 2000) -> None:
    """Refuse to benchmark data the app would refuse: the first `rows` rows through the app's own validator."""
    profile = surveys.load("SIPAS_2640")
    for r in range(min(rows, len(values))):
        answers = {code: int(v) for code, v in zip(plan.items, values[r]) if not np.isnan(v)}
        _, problems = surveys.check_answers(profile, answers)
        if problems:
            raise SystemExit(f"synthetic row {r} would be refused by the app: {problems}")


def run(n: int, agencies: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    plan, agency, level, psu, weight, values = synthetic(n, agencies, rng)
    check_valid(plan, values)
    answered, score = scores(plan, list(plan.items), values)
    score = score.astype(np.float32)
    input_mb = (answered.nbytes + score.nbytes + weight.nbytes + agency.nbytes + psu.nbytes) / 2 ** 20

    # Baseline: one bincount per item over a precomputed compact cell index.
    cell_idx = np.unique(psu, return_inverse=True)[1]  # psu already nests agency
    t0 = time.perf_counter()
    for k in range(score.shape[1]):
        np.bincount(cell_idx, weight * score[:, k])
    baseline = time.perf_counter() - t0

    def full_analysis():
        totals = build_totals(agency, level, psu, weight, answered, score, list(plan.items),
                              pair_items=list(plan.pair_items))
        units = {g: Unit(("province", "district", "commune")[int(g) % 3]) for g in totals.groups}
        # The whole round, its levels and its agencies (synthetic agencies have no province).
        return totals, channel_group_results(plan, totals, units, "sampled", DEFAULT_GROUPINGS, seed=1)

    gc.collect()
    t0 = time.perf_counter()
    build_totals(agency, level, psu, weight, answered, score, list(plan.items), pair_items=list(plan.pair_items))
    t_totals = time.perf_counter() - t0
    t0 = time.perf_counter()
    _, groups = full_analysis()
    full = time.perf_counter() - t0
    # Memory in a second pass: tracemalloc slows numpy down, so it never runs while timing.
    gc.collect()
    tracemalloc.start()
    full_analysis()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"n": n, "agencies": agencies, "items": len(plan.items), "groups": len(groups), "baseline_s": baseline,
            "totals_s": t_totals, "full_s": full, "ratio": full / baseline, "peak_mb": peak / 2 ** 20,
            "input_mb": input_mb}


def run_db(kind: str, n: int, agencies: int, seed: int) -> dict:
    """Load n synthetic responses into a fresh database, then time the stored-round analysis."""
    from bench.dbload import load_synthetic_round
    url, cleanup = _database(kind)
    try:
        t_load, app, rnd_code = load_synthetic_round(url, n, agencies, seed)
        from sipas.db import session_scope
        from sipas.services.catalog import get_round
        from sipas.services.results import store
        from sipas.services.results.compute import compute_round
        with app.app_context(), session_scope(app) as session:
            rnd = get_round(session, rnd_code)
            t0 = time.perf_counter()
            result = compute_round(session, rnd)
            t_db = time.perf_counter() - t0
            store.save(session, rnd, result)
            # The full report workbook (every sheet but the data sheet, which bench_xlsx.py measures).
            import tempfile

            from sipas.services.workbook import build_workbook, report_data
            t0 = time.perf_counter()
            data = report_data(session, rnd, with_data=False)
            with tempfile.TemporaryDirectory() as folder:
                build_workbook(data, "vi", path=os.path.join(folder, "report.xlsx"))
            t_report = time.perf_counter() - t0
        return {"db": kind, "n": n, "load_s": t_load, "analyse_s": t_db, "groups": len(result.groups),
                "report_s": t_report}
    finally:
        cleanup()


def _database(kind: str):
    import tempfile
    import uuid as uuidlib
    if kind == "sqlite":
        import shutil
        folder = tempfile.mkdtemp()
        return f"sqlite:///{folder}/bench.sqlite", lambda: shutil.rmtree(folder, ignore_errors=True)
    from sqlalchemy import create_engine, text
    base = os.environ.get("SIPAS_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"sipas_bench_{uuidlib.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def cleanup():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    from sqlalchemy.engine import make_url
    return make_url(base).set(database=name).render_as_string(hide_password=False), cleanup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--agencies", type=int, default=3000)
    parser.add_argument("--db", action="append", choices=["sqlite", "postgresql"], default=[])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; numpy {np.__version__}")
    print("| responses | agencies | items | groups | baseline bincount (s) | grouped sums (s) | full analysis (s) "
          "| full / baseline | peak memory (MiB) | input arrays (MiB) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        r = run(n, args.agencies, args.seed)
        print(f"| {r['n']:,} | {r['agencies']:,} | {r['items']} | {r['groups']:,} | {r['baseline_s']:.3f} | "
              f"{r['totals_s']:.3f} | {r['full_s']:.3f} | {r['ratio']:.1f}x | {r['peak_mb']:.0f} | "
              f"{r['input_mb']:.0f} |", flush=True)
    for kind in args.db:
        for n in args.sizes:
            r = run_db(kind, n, args.agencies, args.seed)
            print(f"in-database {r['db']}: {r['n']:,} responses loaded in {r['load_s']:.0f} s; "
                  f"analyse_round (GROUP BY + statistics, {r['groups']:,} groups) {r['analyse_s']:.1f} s; "
                  f"full report workbook (gather + every sheet but the data) {r['report_s']:.1f} s, "
                  f"{r['report_s'] / r['analyse_s']:.2f}x the analysis", flush=True)


if __name__ == "__main__":
    main()
