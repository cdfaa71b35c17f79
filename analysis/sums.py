"""Grouped sums from respondent-level arrays (files): the sufficient statistics of `analysis.design.Totals`.

The database path computes the same sums with GROUP BY; here the respondents are sorted once by (group, PSU)
and summed a block at a time, so the work is a few passes over contiguous memory whatever the number of groups.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from analysis.design import Totals

#: Respondents per block of the grouped sums (bounds the float copies made of a block's answers and scores).
_BLOCK_ROWS = 16_384


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


def certainty_psu_codes(stratum: np.ndarray, psu: np.ndarray) -> np.ndarray:
    """`design.certainty_psus` on integer labels (psu unique across strata): each respondent of a one-PSU
    stratum becomes a PSU of its own. Returns integer PSU labels, unique across strata."""
    stratum, psu = np.asarray(stratum, np.int64), np.asarray(psu, np.int64)
    if not len(psu):
        return psu
    pairs, pair_of = _factorised(stratum * (int(psu.max()) + 1) + psu)
    lonely = (np.bincount(pairs // (int(psu.max()) + 1)) == 1)[stratum]
    out = pair_of.astype(np.int64)
    out[lonely] = len(pairs) + np.arange(int(lonely.sum()))
    return out
