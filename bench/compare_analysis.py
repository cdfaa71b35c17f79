"""Benchmark (not a test): the full analysis of a synthetic round, timed, with its results saved so that two
versions of the code can be compared number by number.

Run it once per checkout from a directory outside both (PYTHONPATH picks the code), then compare the results:

    cd /tmp && PYTHONPATH=/path/to/old python /path/to/this/bench/compare_analysis.py --rows 300000 --save before.pkl
    cd /tmp && PYTHONPATH=/path/to/this python /path/to/this/bench/compare_analysis.py --rows 300000 \
        --save after.pkl --against before.pkl

Prints the bare pass (one bincount per item, as bench_analysis.py), the grouped sums and the full analysis
(indices of every group of the round, its levels and agencies, differences from the whole, rank sets), and with
--against the largest difference of any estimate or interval bound and whether every rank set is identical.
"""
from __future__ import annotations

import argparse
import os
import pickle
import time

import numpy as np

from analysis.sums import build_totals
from bench.bench_analysis import synthetic
from sipas.services.analysis_plan import scores
from sipas.services.results.tree import DEFAULT_GROUPINGS, Unit, channel_group_results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--agencies", type=int, default=3000)
    parser.add_argument("--save", required=True)
    parser.add_argument("--against")
    args = parser.parse_args()
    plan, agency, level, psu, weight, values = synthetic(args.rows, args.agencies, np.random.default_rng(1))
    answered, score = scores(plan, list(plan.items), values)
    score = score.astype(np.float32)
    cell = np.unique(psu, return_inverse=True)[1]
    t0 = time.perf_counter()
    for k in range(score.shape[1]):
        np.bincount(cell, weight * score[:, k])
    base = time.perf_counter() - t0
    t0 = time.perf_counter()
    totals = build_totals(agency, level, psu, weight, answered, score, list(plan.items),
                          pair_items=list(plan.pair_items))
    t_totals = time.perf_counter() - t0
    units = {g: Unit(("province", "district", "commune")[int(g) % 3]) for g in totals.groups}
    groups = channel_group_results(plan, totals, units, "sampled", DEFAULT_GROUPINGS, seed=1)
    full = time.perf_counter() - t0
    print(f"{args.rows:,} responses, {args.agencies:,} agencies, load average {os.getloadavg()[0]:.1f}: bare pass "
          f"{base:.2f} s, grouped sums {t_totals:.2f} s, full analysis {full:.2f} s ({full / base:.0f}x)")
    results = [(g.by, g.key, {c: (i.estimate, i.ci.low if i.ci else None, i.ci.high if i.ci else None)
                              for c, i in g.indices.items()}, g.rank) for g in groups]
    with open(args.save, "wb") as out:
        pickle.dump(results, out)
    if args.against:
        with open(args.against, "rb") as handle:
            other = pickle.load(handle)
        worst, same_ranks = 0.0, len(other) == len(results)
        for mine, theirs in zip(results, other):
            for code, numbers in mine[2].items():
                worst = max([worst] + [abs(a - b) for a, b in zip(numbers, theirs[2][code]) if a is not None
                                       and b is not None])
            same_ranks &= mine[3] == theirs[3]
        print(f"against {args.against}: largest difference {worst:.2e}, rank sets identical: {same_ranks}")


if __name__ == "__main__":
    main()
