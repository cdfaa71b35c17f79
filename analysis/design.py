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
