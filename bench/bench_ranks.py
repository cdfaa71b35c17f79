"""Benchmark (not a test): rank confidence sets of one large tier, the pruned search against the full pass.

A tier of p units (agencies of one level) with estimates and standard errors like a national round's (SEs
spread over a factor of about 4, as sample sizes differ). A = the full pass over every pair of every draw (the
method before 2026-12-03, still the path for tiers of up to 64 units; forced here by making every unit a
candidate); B = the pruned search (`analysis/ranks.py`, `_Draws`). Both give identical sets (checked here and in
tests/analysis/test_ranks.py). A/B/B/A, `--reps` times; median and range of the seconds and of B / A.

    python -m bench.bench_ranks --units 1000 --reps 2

With `--before FILE` (a copy of an earlier analysis/ranks.py): A = that version's `rank_sets`, B = this one's with
every unit's df set to 72 (as a round passes them: Student's t draws), both pruned; the ratio B / A is the cost
of the change.

    git show c9333f6:analysis/ranks.py > /tmp/ranks_before.py
    python -m bench.bench_ranks --units 1000 --reps 2 --before /tmp/ranks_before.py
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import time

import numpy as np

from analysis import ranks


def one(x: np.ndarray, s: np.ndarray, full: bool) -> tuple[float, ranks.RankSets]:
    saved = ranks._CANDIDATES
    ranks._CANDIDATES = len(x) if full else saved
    try:
        t0 = time.perf_counter()
        out = ranks.rank_sets(x, s, seed=2026)
        return time.perf_counter() - t0, out
    finally:
        ranks._CANDIDATES = saved


def versions(x: np.ndarray, s: np.ndarray, before: str, reps: int) -> None:
    """A/B/B/A: the earlier module's rank_sets (A) against this one's with df (B)."""
    spec = importlib.util.spec_from_file_location("ranks_before", before)
    assert spec is not None and spec.loader is not None
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    df = np.full(len(x), 72.0)
    times: dict[str, list[float]] = {"A": [], "B": []}
    ratios = []
    for _ in range(reps):
        pair: dict[str, list[float]] = {"A": [], "B": []}
        for label in "ABBA":
            t0 = time.perf_counter()
            if label == "A":
                old.rank_sets(x, s, seed=2026)
            else:
                ranks.rank_sets(x, s, seed=2026, df=df)
            pair[label].append(time.perf_counter() - t0)
            times[label].append(pair[label][-1])
        ratios += [pair["B"][0] / pair["A"][0], pair["B"][1] / pair["A"][1]]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {len(x)} units, "
          f"{ranks.DRAWS} draws; A = {before}, B = this version with df 72")
    for label in "AB":
        t = times[label]
        print(f"| {label} | {np.median(t):.2f} s ({min(t):.2f}-{max(t):.2f}) |")
    print(f"| B / A | {np.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f}) |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--before", help="an earlier analysis/ranks.py to time against this one")
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    x = rng.normal(82, 4, args.units)
    s = np.exp(rng.normal(0.3, 0.35, args.units))
    if args.before:
        versions(x, s, args.before, args.reps)
        return
    times: dict[bool, list[float]] = {True: [], False: []}
    ratios = []
    for _ in range(args.reps):
        pair = {}
        for full in (True, False, False, True):
            seconds, sets = one(x, s, full)
            times[full].append(seconds)
            pair.setdefault(full, []).append(seconds)
            pair.setdefault(("sets", full), sets)
        a, b = pair[("sets", True)], pair[("sets", False)]
        assert all(np.array_equal(getattr(a, f), getattr(b, f)) for f in ("low", "high", "sim_low", "sim_high"))
        ratios += [pair[False][0] / pair[True][0], pair[False][1] / pair[True][1]]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {args.units} units, "
          f"{ranks.DRAWS} draws, identical sets")
    for label, full in (("full pass (A)", True), ("pruned (B)", False)):
        t = times[full]
        print(f"| {label} | {np.median(t):.2f} s ({min(t):.2f}-{max(t):.2f}) |")
    print(f"| B / A | {np.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f}) |")


if __name__ == "__main__":
    main()
