"""Benchmark (not a test): the grouped sums of the analysis core (`analysis.sums.build_totals`) against the
per-item method it replaced and a bare pass, on the same arrays.

Synthetic respondents (as bench_analysis.py: agencies, 8 PSUs each, 34 items with 0/1 scores, 5 % missing,
14 composite items). Baseline: one `np.bincount` per item of the weighted scores over a precomputed cell
index (the least work any method must do). A = the per-item method used until 2026-12-03 (five bincounts per
item with their products, three per ordered pair of composite items), B = `build_totals` now (respondents
sorted once by (group, PSU), a block's four sums as one `np.add.reduceat` over contiguous rows, squares only
for items with scores other than 0/1, cross-moments as one matrix product per group). Both label groups and
PSUs themselves; the baseline is given its cell index. Order A/B/B/A, `--reps` times, the baseline before
each; median and range of seconds and ratios.

    python -m bench.bench_totals --rows 1000000 --reps 2
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from analysis.design import Totals
from analysis.sums import build_totals


def per_item(group, stratum, psu, w, a, score, items, *, pair_items) -> Totals:
    """The method before: five weighted sums per item, three per ordered pair of composite items."""
    names, g_idx = np.unique(group, return_inverse=True)
    s_names, s_idx = np.unique(stratum, return_inverse=True)
    p_names, p_idx = np.unique(psu, return_inverse=True)
    cells, c_idx = np.unique(g_idx.astype(np.int64) * len(p_names) + p_idx, return_inverse=True)
    n, k_items = len(cells), a.shape[1]
    sums = {name: np.zeros((n, k_items)) for name in ("wsum", "ysum", "n_answered", "n_score", "n_score2")}
    for k in range(k_items):
        ak = a[:, k]
        sk = np.where(ak, np.nan_to_num(np.asarray(score[:, k], float)), 0.0)
        sums["wsum"][:, k] = np.bincount(c_idx, w * ak, minlength=n)
        sums["ysum"][:, k] = np.bincount(c_idx, w * sk, minlength=n)
        sums["n_answered"][:, k] = np.bincount(c_idx, ak, minlength=n)
        sums["n_score"][:, k] = np.bincount(c_idx, sk, minlength=n)
        sums["n_score2"][:, k] = np.bincount(c_idx, sk * sk, minlength=n)
    kc, n_g = len(pair_items), len(names)
    pn, pd, pc = (np.zeros((n_g, kc, kc)) for _ in range(3))
    for i, k in enumerate(pair_items):
        sk = np.where(a[:, k], np.nan_to_num(np.asarray(score[:, k], float)), 0.0)
        for j, m in enumerate(pair_items):
            both = a[:, k] & a[:, m]
            sm = np.where(a[:, m], np.nan_to_num(np.asarray(score[:, m], float)), 0.0)
            pn[:, i, j] = np.bincount(g_idx, both, minlength=n_g)
            pd[:, i, j] = np.bincount(g_idx, both * sk, minlength=n_g)
            pc[:, i, j] = np.bincount(g_idx, both * sk * sm, minlength=n_g)
    return Totals(list(names), items, cells // len(p_names), s_idx[:0], cells % len(p_names),
                  np.bincount(c_idx), stratum_psus=np.zeros(len(s_names)), pair_items=pair_items, pair_n=pn,
                  pair_d=pd, pair_c=pc, **sums)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--agencies", type=int, default=3000)
    parser.add_argument("--reps", type=int, default=2)
    args = parser.parse_args()
    rng = np.random.default_rng(3)
    n, k_items, pairs = args.rows, 34, list(range(14))
    group = rng.integers(0, args.agencies, n)
    psu = group * 8 + rng.integers(0, 8, n)
    w = np.exp(rng.normal(0, 0.5, n))
    a = rng.random((n, k_items)) > 0.05
    score = (rng.random((n, k_items)) < 0.8).astype(np.float32)
    items = [f"I{k}" for k in range(k_items)]
    cell = np.unique(psu, return_inverse=True)[1]
    seconds: dict[str, list[float]] = {"baseline": [], "A": [], "B": []}
    ratio: dict[str, list[float]] = {"A": [], "B": []}
    for _ in range(args.reps):
        for label in ("A", "B", "B", "A"):
            t0 = time.perf_counter()
            for k in range(k_items):
                np.bincount(cell, w * score[:, k])
            base = time.perf_counter() - t0
            t0 = time.perf_counter()
            out = (per_item if label == "A" else build_totals)(group, group % 3, psu, w, a, score, items,
                                                               pair_items=pairs)
            t = time.perf_counter() - t0
            seconds["baseline"].append(base)
            seconds[label].append(t)
            ratio[label].append(t / base)
            del out
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {n:,} respondents, "
          f"{args.agencies:,} agencies, {k_items} items, {len(pairs)} composite items")
    for label, name in (("baseline", "bare bincount pass"), ("A", "per-item sums (before)"), ("B", "build_totals")):
        t = seconds[label]
        extra = f" | {np.median(ratio[label]):.1f}x ({min(ratio[label]):.1f}-{max(ratio[label]):.1f})" \
            if label in ratio else " | 1"
        print(f"| {name} | {np.median(t):.2f} s ({min(t):.2f}-{max(t):.2f}){extra} |")


if __name__ == "__main__":
    main()
