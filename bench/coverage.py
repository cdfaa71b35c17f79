"""Coverage simulation (not a test): how often do 95 % intervals contain the true agency index?

A synthetic population with known truth: 30 agencies, each with 20 offices of unequal size (lognormal,
log-SD 0.8) and an office effect on the logit scale (SD 0.35, correlated -0.4 with size, so the large
offices are less satisfied). Each replication samples 6 offices per agency (simple random, without
replacement) and 50 users per office; weights = office size / 50 * 20 / 6; strata = agency, PSU = office.
For every agency and method we record whether the interval holds the truth (the size-weighted share of
satisfied users), for the five factor indices and the overall SIPAS.

    python bench/coverage.py --reps 1000 --seed 1
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.special import expit

from analysis import Composite, Settings, build_totals, compute_indices

FACTORS = ["S1", "S2", "S3", "S4", "S5"]
BASE = np.array([1.9, 1.65, 2.0, 2.2, 1.35])


def population(rng, agencies=30, offices=20):
    log_size = rng.normal(0, 0.8, (agencies, offices))
    effect = 0.35 * (-0.4 * (log_size / 0.8) + np.sqrt(1 - 0.16) * rng.normal(0, 1, (agencies, offices)))
    agency_shift = rng.normal(0, 0.5, agencies)[:, None]
    p = expit(BASE[None, None, :] + (effect + agency_shift)[:, :, None])  # [A, O, K]
    size = np.exp(log_size) * 1000
    truth = (size[:, :, None] * p).sum(axis=1) / size.sum(axis=1)[:, None]  # [A, K]
    return size, p, truth


def replicate(rng, size, p, per_office=50, sampled_offices=6):
    a_n, o_n, k_n = p.shape
    rows = []
    for a in range(a_n):
        chosen = rng.choice(o_n, sampled_offices, replace=False)
        for o in chosen:
            y = rng.random((per_office, k_n)) < p[a, o]
            w = size[a, o] / per_office * o_n / sampled_offices
            rows.append((np.full(per_office, a), np.full(per_office, a * 1000 + o), np.full(per_office, w), y))
    group = np.concatenate([r[0] for r in rows])
    psu = np.concatenate([r[1] for r in rows])
    weight = np.concatenate([r[2] for r in rows])
    y = np.concatenate([r[3] for r in rows]).astype(float)
    return group, psu, weight, y


METHODS = {"korn_graubard_floor": "item", "korn_graubard": "item", "taylor_logit": "item", "wilson": "item",
           "clopper_pearson": "item"}
SIPAS_METHODS = ["taylor_logit_floor", "taylor_logit", "taylor_linear"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    size, p, truth = population(rng)
    truth_sipas = truth.mean(axis=1)
    cover = {m: [0, 0, 0] for m in list(METHODS) + [f"SIPAS:{m}" for m in SIPAS_METHODS]}  # in, below, above
    widths = {m: 0.0 for m in cover}
    start = time.perf_counter()
    sipas = Composite("SIPAS", {k: 0.2 for k in FACTORS})
    for _ in range(args.reps):
        group, psu, weight, y = replicate(rng, size, p)
        answered = np.ones_like(y, bool)
        totals = build_totals(group.astype(str), group.astype(str), psu.astype(str), weight, answered, y, FACTORS,
                              pair_items=list(range(5)))
        for method in METHODS:
            res = compute_indices(totals, Settings(item_interval=method, min_df=0))
            for a in range(truth.shape[0]):
                for k, code in enumerate(FACTORS):
                    r = res[str(a)][code]
                    t = 100 * truth[a, k]
                    _tally(cover[method], widths, method, r, t)
        for method in SIPAS_METHODS:
            res = compute_indices(totals, Settings(composites=(sipas,), composite_interval=method))
            for a in range(truth.shape[0]):
                _tally(cover[f"SIPAS:{method}"], widths, f"SIPAS:{method}", res[str(a)]["SIPAS"],
                       100 * truth_sipas[a])
    elapsed = time.perf_counter() - start
    print(f"reps = {args.reps}, agencies = {truth.shape[0]}, offices sampled 6 of 20 x 50 users, seed = {args.seed}")
    print(f"true factor indices {100 * truth.min():.1f}-{100 * truth.max():.1f} % "
          f"(median {100 * np.median(truth):.1f}); {elapsed:.1f} s\n")
    print("| index | method | coverage % | truth below % | truth above % | mean width (points) |")
    print("|---|---|---|---|---|---|")
    for method, (inside, below, above) in cover.items():
        total = inside + below + above
        kind, name = ("SIPAS", method.split(":")[1]) if method.startswith("SIPAS:") else ("factor (F1..F5)", method)
        print(f"| {kind} | {name} | {100 * inside / total:.1f} | {100 * below / total:.1f} | "
              f"{100 * above / total:.1f} | {widths[method] / total:.1f} |")


def _tally(counter, widths, method, r, truth):
    if r.ci is None:
        counter[1 if truth < r.estimate else 2] += 1
        return
    widths[method] += r.ci.high - r.ci.low
    if truth < r.ci.low:
        counter[1] += 1
    elif truth > r.ci.high:
        counter[2] += 1
    else:
        counter[0] += 1


if __name__ == "__main__":
    main()
