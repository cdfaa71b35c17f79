"""Coverage of the rank confidence sets (analysis/ranks.py), by simulation.

    PYTHONPATH=. python -m bench.bench_rank_coverage [--reps 1000] [--seed 20261203]

Each scenario fixes true values theta_j and true standard errors s_j of p units. A replication draws the
estimates theta_j + s_j * N(0, 1) and, because a published standard error is itself estimated, a standard
error s_j * sqrt(chi2_df / df) with df the unit's design degrees of freedom (PSUs minus strata). The rank sets
are computed from that SE after the method's floor (analysis.ranks.ranking_se: the design effect floored at 1)
and the df of the published interval, with the replication's own bootstrap seed, exactly as a round's analysis
does. A replication covers
- simultaneously when every unit's true rank (competition rank of theta, ties sharing the best rank) lies in
  its simultaneous set;
- marginally for unit j when j's true rank lies in its marginal set.
The method promises >= 95 % for both (per unit for the marginal sets). Printed: the simultaneous coverage and
the lowest and median marginal coverage over units, each with a 95 % Monte-Carlo interval (Wilson), and the
mean width of the sets.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
from scipy import special

from analysis.ranks import competition_ranks, rank_sets, ranking_se


@dataclass(frozen=True)
class Scenario:
    name: str
    theta: np.ndarray  # true values on the 0-100 scale
    se: np.ndarray  # true design standard errors
    deff: np.ndarray  # true design effects (below 1 the published SE is floored above the true one)
    df: int  # design degrees of freedom behind each SE


def _index(logit: np.ndarray) -> np.ndarray:
    return 100.0 * special.expit(logit)


def scenarios(seed: int) -> list[Scenario]:
    """The national league tables (34 and 63 provinces, about 1,100 and 580 respondents each, design effect
    1.5), the least favourable case for the simultaneous sets (all provinces equal), a thin tier of 17
    departments (30 respondents each, design effect 0.8 so the floor binds), then (added later, so the first
    four keep their draws) 34 provinces of which half are tied at the median and 63 provinces all equal."""
    rng = np.random.default_rng(seed)
    out = []
    for p, n in ((34, 1100), (63, 580)):
        theta = _index(1.4 + rng.normal(0, 0.35, p))
        se = 100 * np.sqrt(theta / 100 * (1 - theta / 100) / n * 1.5)
        out.append(Scenario(f"{p} provinces, spread like the demo", theta, se, np.full(p, 1.5), n // 15 - 1))
    theta = np.full(34, 80.0)
    out.append(Scenario("34 provinces, all equal", theta, np.full(34, 100 * np.sqrt(0.16 / 1100 * 1.5)),
                        np.full(34, 1.5), 72))
    theta = _index(1.6 + rng.normal(0, 0.5, 17))
    se = 100 * np.sqrt(theta / 100 * (1 - theta / 100) / 30 * 0.8)
    out.append(Scenario("17 departments, 30 respondents, deff 0.8", theta, se, np.full(17, 0.8), 9))
    theta = _index(1.4 + rng.normal(0, 0.35, 34))
    theta[::2] = np.median(theta)  # 17 provinces tied at the median, the other 17 spread around them
    se = 100 * np.sqrt(theta / 100 * (1 - theta / 100) / 1100 * 1.5)
    out.append(Scenario("34 provinces, half tied at the median", theta, se, np.full(34, 1.5), 72))
    out.append(Scenario("63 provinces, all equal", np.full(63, 80.0), np.full(63, 100 * np.sqrt(0.16 / 580 * 1.5)),
                        np.full(63, 1.5), 37))
    return out


def simulate(sc: Scenario, reps: int, seed: int, exact_se: bool = False) -> dict[str, np.ndarray | float]:
    """Coverage indicators over `reps` replications of one scenario (`exact_se`: the published SE is the true
    one, to tell the method's own coverage from the effect of estimating the SE)."""
    rng = np.random.default_rng(seed)
    true_rank = competition_ranks(sc.theta)
    p = sc.theta.size
    sim_cover = np.zeros(reps, bool)
    marg_cover = np.zeros((reps, p), bool)
    width = np.zeros((reps, 2))
    boot = np.random.SeedSequence(seed).spawn(reps)
    for r in range(reps):
        est = sc.theta + sc.se * rng.standard_normal(p)
        se_hat = sc.se if exact_se else sc.se * np.sqrt(rng.chisquare(sc.df, p) / sc.df)
        published = ranking_se(se_hat, sc.deff, np.full(p, np.nan), np.full(p, np.nan))
        sets = rank_sets(est, published, seed=boot[r], df=np.full(p, sc.df))
        marg_cover[r] = (sets.low <= true_rank) & (true_rank <= sets.high)
        sim_cover[r] = bool(((sets.sim_low <= true_rank) & (true_rank <= sets.sim_high)).all())
        width[r] = (np.mean(sets.high - sets.low + 1), np.mean(sets.sim_high - sets.sim_low + 1))
    marginal = marg_cover.mean(axis=0)
    return {"simultaneous": float(sim_cover.mean()), "marginal_min": float(marginal.min()),
            "marginal_median": float(np.median(marginal)), "width": width.mean(axis=0)}


def wilson(share: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % interval of a Monte-Carlo proportion."""
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--only", type=int, nargs="*", help="scenario numbers (0-5) to run; all by default")
    parser.add_argument("--exact-se", action="store_true", help="publish the true SE (no estimation noise)")
    args = parser.parse_args(argv)
    print(f"rank-set coverage, {args.reps} replications, seed {args.seed}, level 0.95"
          + (", true SEs" if args.exact_se else ", estimated SEs"))
    for i, sc in enumerate(scenarios(args.seed)):
        if args.only and i not in args.only:
            continue
        res = simulate(sc, args.reps, args.seed + 1 + i, args.exact_se)
        lo, hi = wilson(res["simultaneous"], args.reps)
        mlo, _ = wilson(res["marginal_min"], args.reps)
        print(f"- {sc.name}: simultaneous {100 * res['simultaneous']:.1f} % (MC 95 % {100 * lo:.1f}-{100 * hi:.1f}); "
              f"marginal per unit: lowest {100 * res['marginal_min']:.1f} % (MC lower bound {100 * mlo:.1f}), "
              f"median {100 * res['marginal_median']:.1f} %; mean set size marginal {res['width'][0]:.1f}, "
              f"simultaneous {res['width'][1]:.1f} of {sc.theta.size}")


if __name__ == "__main__":
    main()
