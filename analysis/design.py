"""Design-based estimation of ratios and their linear combinations from grouped sufficient statistics.

Every index SIPAS reports is a ratio p = sum(w*a*s) / sum(w*a) (a: answered, s: score in [0, 1]) or a
linear combination of such ratios (factor means, the overall SIPAS). Their Taylor-linearised variance
needs only sums per (group, PSU) — the "cells" below — so the database can compute the inputs with
GROUP BY and nothing here walks respondents one by one.

Conventions follow R's `survey` package (docs/statistics.md §2-6): PSUs sampled with replacement, no
finite-population correction; groups are domains of the full design, so a stratum's PSUs without a
group member still count in n_h; df = PSUs - strata holding group members; a stratum with one PSU is a
certainty unit whose respondents become the sampling units (done by `certainty_psus`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Totals:
    """Sufficient statistics of one grouping (e.g. by agency) for K items.

    Cell arrays have one row per (group, PSU) holding members of the group.
    """

    groups: list[str]
    items: list[str]
    cell_group: np.ndarray  # int [C]
    cell_stratum: np.ndarray  # int [C], index into stratum_psus
    cell_psu: np.ndarray  # int [C], PSU id (unique across strata)
    members: np.ndarray  # float [C]: respondents of the group in the cell (answered or not)
    wsum: np.ndarray  # float [C, K]: sum of w * answered
    ysum: np.ndarray  # float [C, K]: sum of w * answered * score
    n_answered: np.ndarray  # float [C, K]: number answered
    n_score: np.ndarray  # float [C, K]: unweighted sum of scores
    n_score2: np.ndarray  # float [C, K]: unweighted sum of squared scores
    stratum_psus: np.ndarray  # int [H]: PSUs per stratum in the FULL design
    #: Unweighted cross-moments for items used in composites (the i.i.d. variance floor):
    #: pair_items lists the item indices; arrays [G, Kc, Kc] of sum(a_k a_l), sum(a_k a_l s_k), sum(a_k a_l s_k s_l).
    pair_items: list[int] = field(default_factory=list)
    pair_n: np.ndarray | None = None
    pair_d: np.ndarray | None = None
    pair_c: np.ndarray | None = None
    #: PSUs each cell stands for (None: one each). A cell may hold m respondents who are each their own PSU
    #: (self-selected ratings, certainty units) with identical answers and weight: their linearised values
    #: are identical, so the cell's sum of squares is (cell total)^2 / m and its stratum counts m PSUs. This
    #: lets the database hand over one row per answer pattern instead of one per respondent.
    cell_count: np.ndarray | None = None

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return len(self.groups)

    def psus_per_cell(self) -> np.ndarray:
        """PSUs each cell stands for: float [C]."""
        return np.ones(len(self.cell_group)) if self.cell_count is None else np.asarray(self.cell_count, float)


def certainty_psus(stratum: np.ndarray, psu: np.ndarray, respondent: np.ndarray) -> np.ndarray:
    """Replace the PSU of every respondent in a one-PSU stratum by the respondent itself.

    A single-office agency is a certainty PSU: the randomness is which users were interviewed
    (docs/statistics.md §4, samplics `certainty`, = R with the lonely stratum's PSU ids replaced by row ids).
    Returns PSU labels as strings, unique across strata.
    """
    stratum = np.asarray(stratum).astype(str)
    psu = np.asarray(psu).astype(str)
    pairs = np.char.add(np.char.add(stratum, "\x1f"), psu)
    uniq_pairs, first = np.unique(pairs, return_index=True)
    strata_of_pairs = stratum[first]
    s_uniq, s_counts = np.unique(strata_of_pairs, return_counts=True)
    lonely = set(s_uniq[s_counts == 1])
    # object dtype: a fixed-width numpy string array would silently truncate the longer labels below.
    out = pairs.astype(object)
    if lonely:
        mask = np.isin(stratum, list(lonely))
        out[mask] = np.char.add(np.char.add(stratum[mask], "\x1f#"), np.asarray(respondent).astype(str)[mask])
    return out.astype(str)


#: Respondents per block of the grouped sums (bounds the float copies made of a block's answers and scores).
_BLOCK_ROWS = 65_536


def build_totals(group: np.ndarray, stratum: np.ndarray, psu: np.ndarray, weight: np.ndarray,
                 answered: np.ndarray, score: np.ndarray, items: list[str], *,
                 pair_items: list[int] | None = None, group_names: list[str] | None = None) -> Totals:
    """Totals from respondent-level arrays (used for files; the database path builds the same with SQL).

    group: group label per respondent (or, with group_names, its index into them); stratum, psu: design labels
    (psu already made unique across strata and certainty-adjusted); weight: positive; answered: bool [N, K];
    score: float [N, K] (ignored where not answered; NaN where answered counts as 0).
    """
    group = np.asarray(group)
    if group_names is None:
        names, g_idx = _factorised(group)
    else:
        names = np.asarray(group_names)
        g_idx = group if group.dtype.kind in "iu" else np.searchsorted(names, group.astype(str))
    s_names, s_idx = _factorised(np.asarray(stratum))
    p_names, p_idx = _factorised(np.asarray(psu))
    psu_stratum = np.zeros(len(p_names), dtype=int)
    psu_stratum[p_idx] = s_idx
    # One sort of the respondents by (group, PSU) labels the cells and makes each cell, and each group, a
    # contiguous run: the sums below then read rows in order (a bincount over cells scattered in memory is
    # several times slower) and the cross-moments are one matrix product per group.
    key = g_idx.astype(np.int64) * len(p_names) + p_idx
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, dtype=np.int64)
    cells = key[starts]
    blocks = _Blocks(order, starts, np.asarray(answered, bool), score, np.asarray(weight, float))
    sums = blocks.sums(len(cells), cells // len(p_names), len(names), list(pair_items or []))
    totals = Totals(groups=[str(x) for x in names], items=list(items), cell_group=(cells // len(p_names)).astype(int),
                    cell_stratum=psu_stratum[cells % len(p_names)], cell_psu=(cells % len(p_names)).astype(int),
                    members=np.diff(np.r_[starts, len(key)]).astype(float),
                    stratum_psus=np.bincount(psu_stratum, minlength=len(s_names)), pair_items=list(pair_items or []),
                    **sums)
    return totals


def _factorised(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(labels, return_inverse=True); small non-negative integers without a sort."""
    if labels.dtype.kind in "iu" and len(labels) and 0 <= labels.min() and labels.max() < 4 * len(labels) + 1024:
        present = np.zeros(int(labels.max()) + 1, dtype=bool)
        present[labels] = True
        return np.flatnonzero(present).astype(labels.dtype), (np.cumsum(present) - 1)[labels]
    return np.unique(labels, return_inverse=True)


class _Blocks:
    """The respondents in (group, PSU) order, a block at a time: each block's answers, scores (0 where not
    answered) and weights, and the runs of equal cells in it."""

    def __init__(self, order: np.ndarray, starts: np.ndarray, answered: np.ndarray, score: np.ndarray,
                 weight: np.ndarray):
        self.order, self.answered, self.score, self.weight = order, answered, score, weight
        self.cell_of = np.zeros(len(order), dtype=np.int64)  # each sorted row's cell
        self.cell_of[starts[1:]] = 1
        np.cumsum(self.cell_of, out=self.cell_of)

    def __iter__(self):
        k_items = self.answered.shape[1]
        for lo in range(0, len(self.order), _BLOCK_ROWS):
            rows = self.order[lo:lo + _BLOCK_ROWS]
            cell = self.cell_of[lo:lo + _BLOCK_ROWS]
            runs = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
            # One row per variable, [a*w; s*w; a; s]: one reduceat along rows sums all four over each run of a
            # cell (along the other axis it is five times slower). np.take: 3x faster than fancy indexing.
            x = np.empty((4 * k_items, len(rows)))
            a, s = x[2 * k_items:3 * k_items], x[3 * k_items:]
            a[:] = np.take(self.answered, rows, axis=0).T
            s[:] = np.take(self.score, rows, axis=0).T
            s[(a == 0) | np.isnan(s)] = 0.0  # no score where not answered; a missing score counts as 0
            w = self.weight[rows]
            np.multiply(a, w, out=x[:k_items])
            np.multiply(s, w, out=x[k_items:2 * k_items])
            yield cell[runs], runs, x

    def sums(self, n_cells: int, cell_group: np.ndarray, n_groups: int, pair_items: list[int]
             ) -> dict[str, Any]:
        """The five sums per (cell, item), summed over each run of a cell's rows (np.add.reduceat), and the
        cross-moments of the composite items per group, one matrix product per group and block: with X = [A S],
        XᵀX holds sum a_k a_l = AᵀA, sum a_k a_l s_k = SᵀA and sum a_k a_l s_k s_l = SᵀS.

        Scores of 0 or 1 (every item of a SIPAS questionnaire) are their own squares: the squares are computed
        only for the items of a block that have other scores.
        """
        k = self.answered.shape[1]
        out = np.zeros((5 * k, n_cells))
        kc = len(pair_items)
        pairs = np.r_[2 * k + np.asarray(pair_items, int), 3 * k + np.asarray(pair_items, int)]
        moments = np.zeros((n_groups, 2 * kc, 2 * kc))
        for cells, runs, x in self:
            # Runs are distinct cells within a block, and a cell spans at most the end of one block and the
            # start of the next: "+=" on the block's cells adds each once.
            summed = np.add.reduceat(x, runs, axis=1)
            out[:4 * k, cells] += summed
            s = x[3 * k:]
            other = np.flatnonzero(((s != 0) & (s != 1)).any(axis=1))
            squares = summed[3 * k:]
            if len(other):
                squares[other] = np.add.reduceat(s[other] ** 2, runs, axis=1)
            out[4 * k:, cells] += squares
            if kc:
                xp = x[pairs]
                groups = cell_group[cells]
                first = np.r_[True, groups[1:] != groups[:-1]]
                for g, start, end in zip(groups[first], runs[first], np.r_[runs[first][1:], x.shape[1]]):
                    xg = xp[:, start:end]
                    moments[g] += xg @ xg.T
        sums = dict(zip(("wsum", "ysum", "n_answered", "n_score", "n_score2"),
                        (np.ascontiguousarray(part.T) for part in np.split(out, 5))))
        if kc:
            sums |= {"pair_n": moments[:, :kc, :kc], "pair_d": moments[:, kc:, :kc], "pair_c": moments[:, kc:, kc:]}
        return sums


def regroup(totals: Totals, parent: list[str] | np.ndarray) -> Totals:
    """Merge groups into coarser ones (agencies -> levels -> all): parent[g] names the new group of group g.

    Cells of the same new group and PSU are summed, so an agency-level GROUP BY serves every grouping.
    """
    parent = np.asarray(parent).astype(str)
    names, new_of_old = np.unique(parent, return_inverse=True)
    new_group = new_of_old[totals.cell_group]
    n_psu = int(totals.cell_psu.max()) + 1 if len(totals.cell_psu) else 1
    keys, inv = np.unique(new_group.astype(np.int64) * n_psu + totals.cell_psu, return_inverse=True)
    n_cells = len(keys)

    def merge(a: np.ndarray) -> np.ndarray:
        out = np.zeros((n_cells,) + a.shape[1:])
        np.add.at(out, inv, a)
        return out

    stratum = np.zeros(n_cells, dtype=int)
    stratum[inv] = totals.cell_stratum
    # Cells merge only within one PSU id, and a multi-PSU cell has an id of its own: its count carries over.
    count = None
    if totals.cell_count is not None:
        count = np.ones(n_cells)
        count[inv] = totals.cell_count
    merged = Totals(groups=[str(x) for x in names], items=totals.items, cell_group=(keys // n_psu).astype(int),
                    cell_stratum=stratum, cell_psu=(keys % n_psu).astype(int), members=merge(totals.members),
                    wsum=merge(totals.wsum), ysum=merge(totals.ysum), n_answered=merge(totals.n_answered),
                    n_score=merge(totals.n_score), n_score2=merge(totals.n_score2), stratum_psus=totals.stratum_psus,
                    pair_items=totals.pair_items, cell_count=count)
    if totals.pair_n is not None:
        for name in ("pair_n", "pair_d", "pair_c"):
            arr = getattr(totals, name)
            out = np.zeros((len(names),) + arr.shape[1:])
            np.add.at(out, new_of_old, arr)
            setattr(merged, name, out)
    return merged


@dataclass(frozen=True)
class Estimates:
    """Point estimates and design-based variances for every (group, item or composite), 0-1 scale."""

    estimate: np.ndarray  # [G, K]
    variance: np.ndarray  # [G, K]: Taylor-linearised design variance
    variance_iid: np.ndarray  # [G, K]: variance as if a simple random sample (the floor)
    n_answered: np.ndarray  # [G, K]
    n_rows: np.ndarray  # [G]: respondents in the group
    df: np.ndarray  # [G]: PSUs - strata holding group members
    n_score: np.ndarray  # [G, K]: unweighted sum of scores (for SRS intervals)
    components: np.ndarray | None = None  # [G, K]: components used by a composite


def _design_variance(totals: Totals, cell_values: np.ndarray) -> np.ndarray:
    """Sum over strata of n_h/(n_h-1) * sum_i (z_hi - zbar_h)^2, with z = 0 for PSUs without members.

    cell_values: [C, K] linearised PSU totals. Returns [G, K].
    """
    n_strata = len(totals.stratum_psus)
    gh = totals.cell_group.astype(np.int64) * n_strata + totals.cell_stratum
    keys, inv = np.unique(gh, return_inverse=True)
    n_h = totals.stratum_psus[keys % n_strata].astype(float)
    k_items = cell_values.shape[1]
    s1 = np.stack([np.bincount(inv, cell_values[:, k], minlength=len(keys)) for k in range(k_items)], axis=1)
    m = totals.psus_per_cell()
    s2 = np.stack([np.bincount(inv, cell_values[:, k] ** 2 / m, minlength=len(keys)) for k in range(k_items)], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        contribution = np.where((n_h > 1)[:, None], n_h[:, None] / (n_h[:, None] - 1) * (s2 - s1 ** 2 / n_h[:, None]),
                                0.0)
    out = np.zeros((totals.n_groups, k_items))
    np.add.at(out, keys // n_strata, contribution)
    return np.maximum(out, 0.0)


def _group_sum(totals: Totals, values: np.ndarray) -> np.ndarray:
    out = np.zeros((totals.n_groups,) + values.shape[1:])
    np.add.at(out, totals.cell_group, values)
    return out


def degrees_of_freedom(totals: Totals) -> np.ndarray:
    """PSUs minus strata that hold members of each group (R `degf()` of the subset design)."""
    n_psus = np.bincount(totals.cell_group, totals.psus_per_cell(), minlength=totals.n_groups)
    n_strata = len(totals.stratum_psus)
    gh = np.unique(totals.cell_group.astype(np.int64) * n_strata + totals.cell_stratum)
    strata = np.bincount(gh // n_strata, minlength=totals.n_groups)
    return (n_psus - strata).astype(float)


def ratio_estimates(totals: Totals) -> Estimates:
    """Hajek ratio p = sum(w a s) / sum(w a) per group and item, with its linearised variance.

    z_i = (Y_i - p A_i) / W for each PSU i (docs/statistics.md §2); missing answers form a sub-domain.
    """
    W = _group_sum(totals, totals.wsum)
    Y = _group_sum(totals, totals.ysum)
    n_ans = _group_sum(totals, totals.n_answered)
    n_sc = _group_sum(totals, totals.n_score)
    n_sc2 = _group_sum(totals, totals.n_score2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(W > 0, Y / W, np.nan)
        g = totals.cell_group
        z = np.where(W[g] > 0, (totals.ysum - np.nan_to_num(p[g]) * totals.wsum) / W[g], 0.0)
        var = np.where(W > 0, _design_variance(totals, z), np.nan)
        # i.i.d. variance of a mean of scores: sample variance / (n - 1) = p(1-p)/(n-1) for 0/1 scores.
        mean = n_sc / n_ans
        svar = (n_sc2 - n_ans * mean ** 2) / n_ans
        var_iid = np.where(n_ans > 1, np.maximum(svar, 0) / (n_ans - 1), np.nan)
    return Estimates(p, var, var_iid, n_ans, _group_sum(totals, totals.members), degrees_of_freedom(totals), n_sc)


def composite_estimates(totals: Totals, items_est: Estimates, coefficients: np.ndarray, *,
                        require_all: np.ndarray) -> Estimates:
    """Linear combinations S = sum_k c_k p_k of item ratios, with the linearised variance of S.

    coefficients: [M, K] (rows sum to 1 over their items). The linearisation variable of S in PSU i is
    sum_k c_k (Y_ik - p_k A_ik) / W_k (docs/statistics.md §6; = R `svycontrast` of the ratio of totals), so the
    covariance between components (same respondents, same offices) is included, never ignored.
    require_all[m]: S is None when any component has no answer (the SIPAS); otherwise the coefficients are
    renormalised over the components that have answers (a factor's mean of items).
    """
    c = np.asarray(coefficients, float)
    used = c != 0
    p = items_est.estimate
    have = ~np.isnan(p)
    m_count = c.shape[0]
    n_groups = totals.n_groups
    # Effective coefficients per group: [G, M, K]
    eff = np.broadcast_to(c, (n_groups,) + c.shape) * have[:, None, :]
    sums = eff.sum(axis=2)
    complete = (have[:, None, :] | ~used[None, :, :]).all(axis=2)
    valid = np.where(np.asarray(require_all)[None, :], complete, sums > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        eff = np.where(valid[:, :, None], eff / sums[:, :, None] * c.sum(axis=1)[None, :, None], 0.0)
        estimate = np.where(valid, np.einsum("gmk,gk->gm", eff, np.nan_to_num(p)), np.nan)
        W = _group_sum(totals, totals.wsum)
        g = totals.cell_group
        per_item = np.where(W[g] > 0, (totals.ysum - np.nan_to_num(p[g]) * totals.wsum) / W[g], 0.0)  # [C, K]
        cell_z = np.einsum("cmk,ck->cm", eff[g], per_item)
        var = np.where(valid, _design_variance(totals, cell_z), np.nan)
        var_iid = np.full((n_groups, m_count), np.nan)
        if totals.pair_n is not None:
            idx = totals.pair_items
            n_k = items_est.n_answered[:, idx]
            p_iid = np.where(n_k > 0, items_est.n_score[:, idx] / n_k, 0.0)
            e = eff[:, :, idx] / np.where(n_k > 0, n_k, np.inf)[:, None, :]  # [G, M, Kc]
            d, cc, nn = totals.pair_d, totals.pair_c, totals.pair_n
            assert d is not None and cc is not None  # set together with pair_n
            # sum_j a_k a_l (s_k - p_k)(s_l - p_l) = C_kl - p_l D_kl - p_k D_lk + p_k p_l N_kl
            cross = cc - p_iid[:, None, :] * d - p_iid[:, :, None] * np.swapaxes(d, 1, 2) \
                + p_iid[:, :, None] * p_iid[:, None, :] * nn
            ss = np.einsum("gmk,gkl,gml->gm", e, cross, e)
            n_rows = items_est.n_rows[:, None]
            var_iid = np.where(valid & (n_rows > 1), n_rows / (n_rows - 1) * ss, np.nan)
    n_ans = np.where(valid, (items_est.n_answered[:, None, :] * used[None]).max(axis=2), 0)
    return Estimates(estimate, var, var_iid, n_ans, items_est.n_rows, items_est.df, np.full_like(estimate, np.nan),
                     components=(eff != 0).sum(axis=2))


def linearised_cells(totals: Totals, estimates: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """Per-cell linearisation values of linear combinations of item ratios: [C, M].

    estimates: [G, K] item ratios (0-1); coefficients: [M, K] (an item alone is a row with one 1).
    """
    W = _group_sum(totals, totals.wsum)
    g = totals.cell_group
    p = np.nan_to_num(estimates)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_item = np.where(W[g] > 0, (totals.ysum - p[g] * totals.wsum) / W[g], 0.0)
    return per_item @ np.asarray(coefficients, float).T


def child_parent_covariance(child: Totals, parent: Totals, parent_of: np.ndarray, child_est: np.ndarray,
                            parent_est: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """Design covariance between each child group's estimate and its parent's (same design): [G_child, M].

    Cov = sum_h n_h/(n_h-1) [sum_i z_child,i z_parent,i - S_child,h S_parent,h / n_h]: only PSUs holding
    child members enter the cross-product, since z_child is zero elsewhere (docs/statistics.md §7, joint
    linearisation, = R svyby(covmat=TRUE) + svycontrast).
    """
    zc = linearised_cells(child, child_est, coefficients)
    zp = linearised_cells(parent, parent_est, coefficients)
    n_psu = int(max(child.cell_psu.max(initial=0), parent.cell_psu.max(initial=0))) + 1
    parent_keys = parent.cell_group.astype(np.int64) * n_psu + parent.cell_psu
    order = np.argsort(parent_keys)
    wanted = np.asarray(parent_of)[child.cell_group].astype(np.int64) * n_psu + child.cell_psu
    pos = order[np.searchsorted(parent_keys[order], wanted)]
    n_strata = len(child.stratum_psus)
    n_h = child.stratum_psus.astype(float)
    # Per (child group, stratum): cross-products and sums of the child's z.
    gh = child.cell_group.astype(np.int64) * n_strata + child.cell_stratum
    keys, inv = np.unique(gh, return_inverse=True)
    m = zc.shape[1]
    per = child.psus_per_cell()
    cross = np.stack([np.bincount(inv, zc[:, j] * zp[pos, j] / per, minlength=len(keys)) for j in range(m)], axis=1)
    s_child = np.stack([np.bincount(inv, zc[:, j], minlength=len(keys)) for j in range(m)], axis=1)
    # Parent sums per (parent group, stratum).
    p_gh = parent.cell_group.astype(np.int64) * n_strata + parent.cell_stratum
    s_parent = np.zeros((parent.n_groups * n_strata, m))
    np.add.at(s_parent, p_gh, zp)
    child_group, stratum = keys // n_strata, keys % n_strata
    sp = s_parent[np.asarray(parent_of)[child_group].astype(np.int64) * n_strata + stratum]
    nh = n_h[stratum][:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        contribution = np.where(nh > 1, nh / (nh - 1) * (cross - s_child * sp / nh), 0.0)
    out = np.zeros((child.n_groups, m))
    np.add.at(out, child_group, contribution)
    return out
