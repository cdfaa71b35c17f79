"""Grouped sums from respondent arrays (`build_totals`) against their definitions, summed respondent by respondent.

The sums are computed two ways: `build_totals` (respondents sorted by (group, PSU), four sums of a block in one
reduceat, squares only for items with other scores than 0/1, cross-moments as one product per group, in blocks
of respondents) and a plain loop over respondents written from the definitions in `analysis.design.Totals`.
They must agree to 1e-9 with 0/1 items, quarter-step items, a
score missing where an answer is given (counted as 0), groups larger than a block and groups of one respondent.
"""
from __future__ import annotations

import numpy as np
import pytest

from analysis import build_totals, sums


def _reference(group, psu, weight, answered, score, pair_items):
    cells: dict[tuple, int] = {}
    for g, p in sorted(set(zip(group.tolist(), psu.tolist()))):
        cells[(g, p)] = len(cells)
    n_cells, k_items = len(cells), answered.shape[1]
    out = {name: np.zeros((n_cells, k_items)) for name in ("wsum", "ysum", "n_answered", "n_score", "n_score2")}
    groups = sorted(set(group.tolist()))
    kc = len(pair_items)
    pairs = {name: np.zeros((len(groups), kc, kc)) for name in ("pair_n", "pair_d", "pair_c")}
    for r in range(len(group)):
        c = cells[(group[r], psu[r])]
        s = [0.0 if not answered[r, k] or np.isnan(score[r, k]) else float(score[r, k]) for k in range(k_items)]
        for k in range(k_items):
            if answered[r, k]:
                out["wsum"][c, k] += weight[r]
                out["ysum"][c, k] += weight[r] * s[k]
                out["n_answered"][c, k] += 1
                out["n_score"][c, k] += s[k]
                out["n_score2"][c, k] += s[k] ** 2
        g = groups.index(group[r])
        for i, k in enumerate(pair_items):
            for j, m in enumerate(pair_items):
                both = answered[r, k] and answered[r, m]
                pairs["pair_n"][g, i, j] += both
                pairs["pair_d"][g, i, j] += both * s[k]
                pairs["pair_c"][g, i, j] += both * s[k] * s[m]
    return out | pairs


def test_grouped_sums_match_their_definitions(monkeypatch):
    monkeypatch.setattr(sums, "_BLOCK_ROWS", 50)  # groups span several blocks
    rng = np.random.default_rng(8)
    n, k_items = 600, 6
    group = rng.integers(0, 7, n)
    group[0] = 9  # a group of one respondent
    psu = group * 4 + rng.integers(0, 4, n)
    weight = np.exp(rng.normal(0, 0.5, n))
    answered = rng.random((n, k_items)) > 0.15
    score = rng.integers(0, 2, (n, k_items)).astype(float)
    score[:, 2] = rng.integers(0, 5, n) / 4  # a mean-score item
    score[5, 4] = np.nan  # answered, no score: counted as 0
    score[~answered] = 7.0  # ignored where not answered
    pair_items = [0, 2, 4, 5]
    totals = build_totals(group, group % 3, psu, weight, answered, score, [f"I{k}" for k in range(k_items)],
                          pair_items=pair_items)
    expected = _reference(group, psu, weight, answered, score, pair_items)
    for name, value in expected.items():
        assert getattr(totals, name) == pytest.approx(value, rel=1e-9, abs=1e-9), name
