"""Confidence sets for ranks (Mogstad, Romano, Shaikh & Wilhelm, Review of Economic Studies 2024).

A rank is a function of every unit's estimate, so its uncertainty is read off pairwise comparisons: with
confidence intervals for all differences theta_j - theta_k that hold jointly, unit j's rank lies in
[1 + #{k surely above j}, p - #{k surely below j}]. The joint intervals use the 1 - alpha quantile of the largest
standardised difference max (Z_j - Z_k) / sd(theta_j - theta_k) under Z_j = se_j * T_j, found by a seeded
parametric bootstrap, with the step-down refinement (recompute the quantile over the comparisons not yet decided,
until no new one is decided), as in the authors' R package `csranks`. T_j is standard normal where the standard
errors are known (`csranks`), and Student's t with the unit's design degrees of freedom where they are estimated,
as the published interval uses: with the normal, the largest of 1,122 differences of 34 provinces whose SEs rest
on 72 df covered 93 % instead of 95 % (docs/analysis.md, "Coverage of the rank sets"). The critical value is the
ceil(level * (draws + 1))-th smallest bootstrap maximum, the Monte-Carlo test's order statistic: where the
bootstrap law is the statistic's own (all units equal, SEs known) the statistic is exchangeable with the draws,
so the coverage is at least `level` exactly, with no interpolation error.

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
#: Units per draw whose comparisons are always computed (those of largest |Z| / se; see `_Draws`).
_CANDIDATES = 32


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


def rank_sets(estimates, ses, *, seed: int | np.random.SeedSequence, df=None, level: float = 0.95,
              draws: int = DRAWS, stepdown: bool = True) -> RankSets:
    """Marginal and simultaneous confidence sets for the ranks of p units from estimates and standard errors.

    `df`: each unit's design degrees of freedom (those of its published interval); the bootstrap draws the unit
    from Student's t with them. None, or a unit's df missing or not positive: the normal (the SE taken as known).
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
    s = np.where(known, s, 0.0)
    z = _Draws(_unit_draws(np.random.default_rng(seed), draws, p, df) * s, s, inv_sd)
    above = _simultaneous(t, z, inv_sd, pairs, level, stepdown)
    row, col = _marginal(t, z, inv_sd, pairs, level, stepdown)
    return RankSets(rank, 1 + col.sum(axis=1), p - row.sum(axis=1), 1 + above.sum(axis=0), p - above.sum(axis=1))


def _unit_draws(rng: np.random.Generator, draws: int, p: int, df) -> np.ndarray:
    """[draws x p] standard draws: normal, then Student's t in the columns of units with a positive df.

    The normals are drawn first and the same way as before df were used, so sets computed without df keep their
    values for a given seed.
    """
    out = rng.standard_normal((draws, p))
    if df is None:
        return out
    dfs = np.broadcast_to(np.asarray(df, float), (p,))
    heavy = np.flatnonzero(np.isfinite(dfs) & (dfs > 0))
    if heavy.size:
        out[:, heavy] = rng.standard_t(dfs[heavy], (draws, heavy.size))
    return out


class _Draws:
    """The bootstrap draws of one tier, with what lets a per-draw maximum skip most comparisons exactly.

    By Cauchy-Schwarz |Z_j - Z_k| / sqrt(s_j^2 + s_k^2) <= sqrt(u_j^2 + u_k^2) with u = Z / s, so once the
    comparisons of unit j with the `_CANDIDATES` units of largest |u| in a draw are known, the others of that
    draw cannot exceed sqrt(u_j^2 + tau^2) (tau: the largest |u| left out). Only the (draw, unit) rows whose bound
    beats the maximum found among the candidates are computed in full (about 1 % of them). Every value that
    enters a maximum is the same floating-point product as in a full pass, so the maxima, quantiles and sets are
    identical, at a fraction of the cost: a full pass is draws x p x p products (10^9 for 1,000 agencies of a
    tier, each step of the step-down), this one about draws x p x `_CANDIDATES`.

    A family is (mask [rows x p], sign): the comparisons sign * (Z_j - Z_k) / sd_jk where the mask holds.
    """

    def __init__(self, z: np.ndarray, s: np.ndarray, inv_sd: np.ndarray):
        self.z, self.s2, self.inv_sd = z, s ** 2, inv_sd
        draws, p = z.shape
        self.pruned = p > 2 * _CANDIDATES
        if not self.pruned:
            return
        with np.errstate(invalid="ignore", divide="ignore"):
            u = np.abs(np.where(s > 0, z / np.where(s > 0, s, 1.0), 0.0))
        order = np.argpartition(-u, _CANDIDATES, axis=1)
        self.cand = order[:, :_CANDIDATES]
        tau = u[np.arange(draws), order[:, _CANDIDATES]]
        # A small relative margin covers the rounding of the products the bounds are compared with.
        self.bound = np.where(s > 0, np.sqrt(u ** 2 + tau[:, None] ** 2), 0.0) * (1 + 1e-9) + 1e-12
        self.bound_any = np.where(s > 0, np.sqrt(u ** 2 + u.max(axis=1, keepdims=True) ** 2), 0.0) * (1 + 1e-9) \
            + 1e-12

    def draw_maxima(self, family: np.ndarray) -> np.ndarray:
        """Per draw: the largest (Z_j - Z_k) / sd_jk over the ordered pairs of `family` [p x p], or 0: [draws].

        The candidates' comparisons among themselves give a value reached in the draw; only units whose bound
        against anyone beats it can hold a larger one, and only their rows are computed in full.
        """
        everyone = np.arange(self.z.shape[1])
        if not self.pruned:
            return self.row_maxima(everyone, [(family, 1.0)]).max(axis=1)
        cand = self.cand
        zc = np.take_along_axis(self.z, cand, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            prod = (zc[:, :, None] - zc[:, None, :]) * (1.0 / np.sqrt(self.s2[cand][:, :, None]
                                                                       + self.s2[cand][:, None, :]))
        found = np.where(family[cand[:, :, None], cand[:, None, :]], prod, 0.0).max(axis=(1, 2))
        b_idx, j_idx = np.nonzero(self.bound_any > found[:, None])
        return np.maximum(found, self._full_rows(b_idx, j_idx, everyone, [(family, 1.0)], found))

    def _full_rows(self, b_idx: np.ndarray, r_idx: np.ndarray, rows: np.ndarray,
                   families: list[tuple[np.ndarray, float]], out: np.ndarray) -> np.ndarray:
        """Every comparison of the (draw, row) pairs given, each draw's largest kept in `out` [draws] or
        each pair's in `out` [draws x rows]."""
        out = out.copy()
        step = max(1, _BLOCK // (4 * self.z.shape[1]))  # a quarter block: several temporaries alive at once
        for start in range(0, len(b_idx), step):
            b, r = b_idx[start:start + step], r_idx[start:start + step]
            prod = (self.z[b, rows[r]][:, None] - self.z[b]) * self.inv_sd[rows[r]]
            best = np.maximum.reduce([np.where(mask[r], prod if sign > 0 else -prod, 0.0).max(axis=1)
                                      for mask, sign in families])
            if out.ndim == 1:
                np.maximum.at(out, b, best)
            else:
                out[b, r] = np.maximum(out[b, r], best)
        return out

    def row_maxima(self, rows: np.ndarray, families: list[tuple[np.ndarray, float]]) -> np.ndarray:
        """Per draw and row j in `rows`: the largest comparison of j in its families, or 0: [draws x rows]."""
        if not self.pruned:
            return np.concatenate(list(self._dense_blocks(rows, families)), axis=0)
        out = self._candidate_maxima(rows, families)
        b_idx, r_idx = np.nonzero(self.bound[:, rows] > out)
        return self._full_rows(b_idx, r_idx, rows, families, out)

    def _candidate_maxima(self, rows: np.ndarray, families: list[tuple[np.ndarray, float]]) -> np.ndarray:
        draws, p = self.z.shape
        out = np.zeros((draws, len(rows)))
        # A quarter block: six temporaries of this size are alive at once.
        step = max(1, _BLOCK // (4 * max(len(rows), 1) * _CANDIDATES))
        row_offset = (np.arange(len(rows)) * p)[None, :, None]
        flat = [(mask.ravel(), sign) for mask, sign in families]
        s2_rows = self.s2[rows][None, :, None]
        for start in range(0, draws, step):
            cand = self.cand[start:start + step]
            zb = self.z[start:start + step]
            d = zb[:, rows, None] - np.take_along_axis(zb, cand, axis=1)[:, None, :]
            # 1 / sd computed as `rank_sets` computes it (same operations, same bits), not gathered.
            with np.errstate(invalid="ignore", divide="ignore"):
                prod = d * (1.0 / np.sqrt(s2_rows + self.s2[cand][:, None, :]))
            where = row_offset + cand[:, None, :]
            block = out[start:start + step]
            for mask, sign in flat:
                np.maximum(block, np.where(mask.take(where), prod if sign > 0 else -prod, 0.0).max(axis=2),
                           out=block)
        return out

    def _dense_blocks(self, rows: np.ndarray, families: list[tuple[np.ndarray, float]]):
        """Every comparison of every row, a block of draws at a time."""
        scales = [np.where(mask, sign * self.inv_sd[rows], 0.0)[None] for mask, sign in families]
        step = max(1, _BLOCK // (max(len(rows), 1) * self.z.shape[1]))
        for start in range(0, self.z.shape[0], step):
            zb = self.z[start:start + step]
            d = zb[:, rows, None] - zb[:, None, :]
            yield np.maximum.reduce([(d * sc).max(axis=2) for sc in scales])


def _critical(stat: np.ndarray, level: float) -> np.ndarray:
    """The level-quantile over draws (axis 0) of a per-draw maximum, never below 0.

    The quantile is the k-th smallest of the B draws with k = ceil(level * (B + 1)) (infinite when k > B:
    too few draws to decide anything), not an interpolated one: a statistic exchangeable with the draws exceeds
    it with probability (B + 1 - k) / (B + 1) <= 1 - level (the Monte-Carlo test), where numpy's default
    interpolation exceeds 1 - level (94.9 % coverage for B = 1,000).
    Comparisons outside a family enter the maximum as 0 rather than being dropped: a critical value is used
    clipped at 0 (a unit is never declared above another with a negative difference), and clipping the quantile
    at 0 gives the same as taking it over maxima clipped at 0.
    """
    draws = stat.shape[0]
    k = int(np.ceil(round(level * (draws + 1), 9)))
    if k > draws:
        return np.full(stat.shape[1:], np.inf)
    return np.maximum(np.partition(stat, k - 1, axis=0)[k - 1], 0.0)


def _simultaneous(t: np.ndarray, z: _Draws, inv_sd: np.ndarray, pairs: np.ndarray, level: float,
                  stepdown: bool) -> np.ndarray:
    """Ordered pairs (j, k) decided "j above k" by the step-down max-t procedure over all pairs."""
    decided = np.zeros_like(pairs)
    family = pairs.copy()
    while family.any():
        c = float(_critical(z.draw_maxima(family), level))
        new = family & (t > c)
        if not new.any():
            break
        decided |= new
        family &= ~new
        if not stepdown:
            break
    return decided


def _marginal(t: np.ndarray, z: _Draws, inv_sd: np.ndarray, pairs: np.ndarray, level: float,
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
        c[todo] = _critical(z.row_maxima(todo, [(fam_row[todo], 1.0), (fam_col[todo], -1.0)]),
                            level)
        new_row, new_col = fam_row & (t > c[:, None]), fam_col & (-t > c[:, None])
        row |= new_row
        col |= new_col
        fam_row &= ~new_row
        fam_col &= ~new_col
        changed = new_row.any(axis=1) | new_col.any(axis=1)
        todo = np.flatnonzero(changed & (fam_row.any(axis=1) | fam_col.any(axis=1))) if stepdown else todo[:0]
    return row, col
