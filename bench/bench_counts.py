"""Benchmark (not a test): `sipas analyze --round` as a user runs it, reading the maintained counts (B) against
reading every answer (A, the reference path), on one synthetic round loaded into SQLite or PostgreSQL.

The round is bench/dbload.py's: N SIPAS_2640 questionnaires, 3,000 agencies x 8 PSUs, 3 strata; or with --kiosk
N KIOSK_RT ratings (no PSU: each its own PSU, read as answer patterns) over --agencies offices. Printed: the
load time, the first fold-in (a rebuild of the counts), then A/B/B/A alternated runs of the CLI command (the
fold-in it does first included: nothing new to fold, one signature check), median and range, with the load
average. A is B with the counts path switched off in this process (`counted.current` returns None).

    python -m bench.bench_counts --db postgresql --n 1000000 --cycles 1
    python -m bench.bench_counts --db postgresql --kiosk --n 10000000 --agencies 300
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from bench.bench_analysis import _database
from bench.dbload import load_kiosk_round, load_synthetic_round


def _analyze(app, code: str, folder: str) -> float:
    runner = app.test_cli_runner()
    t0 = time.perf_counter()
    result = runner.invoke(args=["analyze", "--round", code, "--output", os.path.join(folder, "out.json")])
    elapsed = time.perf_counter() - t0
    if result.exit_code != 0:
        raise RuntimeError(result.output)
    return elapsed


def run(kind: str, n: int, cycles: int, agencies: int, kiosk: bool = False) -> None:
    from sipas.recompute import fold_counts
    from sipas.services.results import counted
    url, cleanup = _database(kind)
    try:
        t_load, app, code = load_kiosk_round(url, n, agencies, seed=1) if kiosk else \
            load_synthetic_round(url, n, agencies, seed=1)
        what = "KIOSK_RT ratings" if kiosk else "questionnaires"
        print(f"{kind}: {n:,} {what} loaded in {t_load:.0f} s (load average {os.getloadavg()[0]:.1f})",
              flush=True)
        with app.app_context():
            from sipas.db import session_scope
            from sipas.services.catalog import get_round
            with session_scope(app) as session:
                round_id = get_round(session, code).id
            t0 = time.perf_counter()
            fold_counts(app, round_id)
            print(f"{kind}: first fold-in (rebuild) {time.perf_counter() - t0:.1f} s "
                  f"(load average {os.getloadavg()[0]:.1f})", flush=True)
            counts_current = counted.current
            times: dict[str, list[float]] = {"A answers": [], "B counts": []}
            with tempfile.TemporaryDirectory() as folder:
                for _ in range(cycles):
                    for label in ("A answers", "B counts", "B counts", "A answers"):
                        counted.current = counts_current if label.startswith("B") else (lambda *a, **k: None)
                        times[label].append(_analyze(app, code, folder))
                        print(f"  {label}: {times[label][-1]:.1f} s (load average {os.getloadavg()[0]:.1f})",
                              flush=True)
            counted.current = counts_current
        for label, found in times.items():
            print(f"{kind} {n:,} {label}: median {statistics.median(found):.1f} s "
                  f"(range {min(found):.1f}-{max(found):.1f}, {len(found)} runs)", flush=True)
        print(f"{kind} {n:,}: answers / counts = "
              f"{statistics.median(times['A answers']) / statistics.median(times['B counts']):.1f}x", flush=True)
    finally:
        cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", action="append", choices=["sqlite", "postgresql"], default=[])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--agencies", type=int, default=3000)
    parser.add_argument("--cycles", type=int, default=1, help="A/B/B/A cycles")
    parser.add_argument("--kiosk", action="store_true", help="KIOSK_RT ratings (no PSU) over --agencies offices")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    for kind in args.db or ["sqlite"]:
        run(kind, args.n, args.cycles, args.agencies, args.kiosk)


if __name__ == "__main__":
    main()
