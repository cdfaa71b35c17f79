"""Confidence sets for ranks (Mogstad, Romano, Shaikh & Wilhelm, Review of Economic Studies 2024).

A rank is a function of every unit's estimate, so its uncertainty is read off pairwise comparisons: with
confidence intervals for all differences theta_j - theta_k that hold jointly, unit j's rank lies in
[1 + #{k surely above j}, p - #{k surely below j}]. The joint intervals use the 1 - alpha quantile of the largest
standardised difference max (Z_j - Z_k) / sd(theta_j - theta_k) under Z ~ N(0, diag(se^2)), found by a seeded
parametric bootstrap, with the step-down refinement (recompute the quantile over the comparisons not yet decided,
until no new one is decided), as in the authors' R package `csranks`.

- Marginal set (one unit): the comparisons of that unit with every other, in both directions. It covers the unit's
  true rank with probability >= level.
- Simultaneous set (the league table): all ordered pairs at once. The sets of all units cover all true ranks
  together with probability >= level.

Estimates are treated as independent (diagonal covariance): provinces are separate strata of the national design,
and an agency's offices are its own PSUs. A unit whose standard error is missing or zero can be ordered against
nobody: its comparisons are left out of every family and its sets span the whole tier.
Rank 1 is the highest estimate; ties share the smaller rank (1, 2, 2, 4).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

#: Bootstrap draws for the critical values (the `csranks` default).
DRAWS = 1000
#: Elements of one [draws x p x p] block of standardised differences held in memory at once.
_BLOCK = 4_000_000


@dataclass(frozen=True)
class RankSets:
    """Point ranks and their marginal and simultaneous confidence sets for one tier (arrays of length p)."""

    rank: np.ndarray
    low: np.ndarray
    high: np.ndarray
    sim_low: np.ndarray
    sim_high: np.ndarray


def competition_ranks(values) -> np.ndarray:
    """Rank 1 = highest, on unrounded values; ties share the best rank (1, 2, 2, 4)."""
    return stats.rankdata(-np.asarray(values, float), method="min").astype(int)


def ranking_se(se, deff, ci_low, ci_high, level: float = 0.95) -> np.ndarray:
    """The standard error a rank uses: the one behind the published interval, on the 0-100 scale.

    The published intervals floor the design effect at 1 (never narrower than a simple random sample of the same
    answers): the floored variance is V * max(1, 1 / deff), since deff = V / V_srs. Where the design variance is
    zero (every answer alike, deff 0 or unknown) the interval falls back to Clopper-Pearson; its half-width over
    the normal quantile stands in, so no unit is ever ranked as if known exactly. NaN where there is neither.
    """
    se, deff = np.asarray(se, float), np.asarray(deff, float)
    ci_low, ci_high = np.asarray(ci_low, float), np.asarray(ci_high, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        floored = se * np.sqrt(np.maximum(1.0, 1.0 / deff))
        from_interval = (ci_high - ci_low) / (2 * special.ndtri(0.5 + level / 2))
    usable = np.isfinite(floored) & (floored > 0)
    fallback = np.where(np.isfinite(from_interval) & (from_interval > 0), from_interval, np.nan)
    return np.where(usable, floored, fallback)


def rank_sets(estimates, ses, *, seed: int | np.random.SeedSequence, level: float = 0.95, draws: int = DRAWS,
              stepdown: bool = True) -> RankSets:
    """Marginal and simultaneous confidence sets for the ranks of p units from estimates and standard errors.

    The seed fixes the bootstrap draws, so the same round (and its exported file) gives the same sets.
    """
    x = np.asarray(estimates, float)
    if not np.isfinite(x).all():
        raise ValueError("every ranked unit needs an estimate")
    p = x.size
    rank = competition_ranks(x)
    if p <= 1:
        ones = np.ones(p, int)
        return RankSets(rank, ones, ones.copy(), ones.copy(), ones.copy())
    s = np.asarray(ses, float)
    known = np.isfinite(s) & (s > 0)
    sd = np.sqrt(np.where(known, s, 0.0)[:, None] ** 2 + np.where(known, s, 0.0)[None, :] ** 2)
    pairs = known[:, None] & known[None, :] & ~np.eye(p, dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        inv_sd = np.where(pairs, 1.0 / sd, 0.0)
    t = (x[:, None] - x[None, :]) * inv_sd  # t[j, k] > c: j is surely above k
    z = np.random.default_rng(seed).standard_normal((draws, p)) * np.where(known, s, 0.0)
    above = _simultaneous(t, z, inv_sd, pairs, level, stepdown)
    row, col = _marginal(t, z, inv_sd, pairs, level, stepdown)
    return RankSets(rank, 1 + col.sum(axis=1), p - row.sum(axis=1), 1 + above.sum(axis=0), p - above.sum(axis=1))


def _blocks(z: np.ndarray, rows: np.ndarray):
    """Bootstrap differences Z_j - Z_k for j in `rows` and every k, [draws x rows x p], a block of draws at a time."""
    step = max(1, _BLOCK // (max(len(rows), 1) * z.shape[1]))
    for start in range(0, z.shape[0], step):
        zb = z[start:start + step]
        yield zb[:, rows, None] - zb[:, None, :]


def _critical(stats_of_blocks, level: float) -> np.ndarray:
    """The level-quantile over draws (axis 0) of a per-draw maximum, never below 0.

    Comparisons outside a family enter the maximum as 0 rather than being dropped: a critical value is used
    clipped at 0 (a unit is never declared above another with a negative difference), and clipping the quantile
    at 0 gives the same as taking it over maxima clipped at 0.
    """
    stat = np.concatenate(list(stats_of_blocks), axis=0)
    return np.maximum(np.quantile(stat, level, axis=0), 0.0)


def _simultaneous(t: np.ndarray, z: np.ndarray, inv_sd: np.ndarray, pairs: np.ndarray, level: float,
                  stepdown: bool) -> np.ndarray:
    """Ordered pairs (j, k) decided "j above k" by the step-down max-t procedure over all pairs."""
    decided = np.zeros_like(pairs)
    family = pairs.copy()
    everyone = np.arange(len(t))
    while family.any():
        scale = np.where(family, inv_sd, 0.0)[None]
        c = float(_critical(((d * scale).max(axis=(1, 2)) for d in _blocks(z, everyone)), level))
        new = family & (t > c)
        if not new.any():
            break
        decided |= new
        family &= ~new
        if not stepdown:
            break
    return decided


def _marginal(t: np.ndarray, z: np.ndarray, inv_sd: np.ndarray, pairs: np.ndarray, level: float,
              stepdown: bool) -> tuple[np.ndarray, np.ndarray]:
    """For each unit i alone: which k it is surely above (row[i, k]) and which are surely above it (col[i, k]).

    Unit i's family is its comparisons with every other unit in both directions; all units are run at once,
    each with its own critical value. A step recomputes the critical values of the units whose family shrank.
    """
    row, col = np.zeros_like(pairs), np.zeros_like(pairs)
    fam_row, fam_col = pairs.copy(), pairs.copy()
    c = np.zeros(len(t))
    todo = np.flatnonzero(fam_row.any(axis=1) | fam_col.any(axis=1))
    while todo.size:
        up = np.where(fam_row[todo], inv_sd[todo], 0.0)[None]
        down = np.where(fam_col[todo], -inv_sd[todo], 0.0)[None]
        c[todo] = _critical((np.maximum((d * up).max(axis=2), (d * down).max(axis=2)) for d in _blocks(z, todo)),
                            level)
        new_row, new_col = fam_row & (t > c[:, None]), fam_col & (-t > c[:, None])
        row |= new_row
        col |= new_col
        fam_row &= ~new_row
        fam_col &= ~new_col
        changed = new_row.any(axis=1) | new_col.any(axis=1)
        todo = np.flatnonzero(changed & (fam_row.any(axis=1) | fam_col.any(axis=1))) if stepdown else todo[:0]
    return row, col
