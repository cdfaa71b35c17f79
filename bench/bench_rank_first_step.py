"""The first step of the simultaneous rank sets for p equal units, by simulation (a check, not a test).

    PYTHONPATH=. python -m bench.bench_rank_first_step --units 34 --df 72 --reps 6000 --seed 11
    PYTHONPATH=. python -m bench.bench_rank_first_step --units 34 --df 72 --reps 6000 --seed 12 --exact-se

With every unit equal, a simultaneous set misses exactly when the first step declares a pair ordered, i.e. when
the largest standardised difference of the estimates exceeds the critical value; this computes only that, for
normal and Student's t bootstrap draws and for numpy's interpolated quantile and the Monte-Carlo order
statistic (analysis/ranks.py uses t draws and the order statistic; with those, `rank_sets` makes the same
comparison at its first step). Units have true SE 1; a replication draws the estimates and, unless
`--exact-se`, SEs scaled by sqrt(chi2_df / df); the bootstrap uses those SEs, 1,000 draws per replication.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

DRAWS = 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=34)
    parser.add_argument("--df", type=float, default=72)
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--exact-se", action="store_true")
    args = parser.parse_args(argv)
    p, df = args.units, args.df
    rng = np.random.default_rng(args.seed)
    k = int(np.ceil(0.95 * (DRAWS + 1)))
    misses: dict[tuple[str, str], int] = {}
    for r in range(args.reps):
        e = rng.standard_normal(p)
        sh = np.ones(p) if args.exact_se else np.sqrt(rng.chisquare(df, p) / df)
        inv = 1 / np.sqrt(sh[:, None] ** 2 + sh[None, :] ** 2)
        largest = ((e[:, None] - e[None, :]) * inv).max()
        boot = np.random.default_rng([args.seed, r])
        n = boot.standard_normal((DRAWS, p))
        w = np.sqrt(boot.chisquare(df, (DRAWS, p)) / df)
        for draws, z in (("normal", n * sh), ("t", n / w * sh)):
            m = ((z[:, :, None] - z[:, None, :]) * inv).max(axis=(1, 2))
            for rule, c in (("interpolated", np.quantile(m, 0.95)), ("order statistic", np.sort(m)[k - 1])):
                misses[(draws, rule)] = misses.get((draws, rule), 0) + int(largest > c)
    print(f"{p} equal units, df {df:g}, {'true' if args.exact_se else 'estimated'} SEs, {args.reps} replications, "
          f"seed {args.seed}, load average {os.getloadavg()[0]:.1f}")
    for (draws, rule), miss in misses.items():
        cover = 1 - miss / args.reps
        print(f"- {draws} draws, {rule}: {100 * cover:.2f} % (± {196 * np.sqrt(cover * (1 - cover) / args.reps):.2f})")


if __name__ == "__main__":
    main()
