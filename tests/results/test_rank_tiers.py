"""A tier's rank sets use each unit's published interval: its floored SE and the df of its t interval."""
from __future__ import annotations

import math

from scipy import stats

from analysis import ConfidenceInterval, IndexResult
from sipas.services.results.tree import RANKED_INDEX, rank_tiers


def _unit(estimate: float, se: float, df: float | None) -> dict[str, IndexResult]:
    half = stats.t.ppf(0.975, df if df is not None else math.inf) * se
    return {RANKED_INDEX: IndexResult(estimate, ConfidenceInterval(estimate - half, estimate + half), 400, 400, se,
                                      df, 1.0, 400.0, "taylor_logit_floor", False, se_floored=se)}


def test_a_unit_whose_se_rests_on_few_df_is_ranked_with_its_t_interval():
    # B's SE (1) rests on 5 df, A's is negligible: the one comparison is |t_5|, critical value t_0.975(5) = 2.571
    # (tables), where with the SE taken as known (no df) it is z_0.975 = 1.96. A gap of 2.1 SEs is decided only
    # without df; a gap of 3.2 SEs is decided either way. 1,000 draws: the quantile's Monte-Carlo SE is about
    # 0.15 for t_5 and 0.06 for the normal, so both gaps are over two SEs from the critical values.
    tiers = {"A": "t", "B": "t"}
    for gap, df, decided in ((2.1, 5, False), (2.1, None, True), (3.2, 5, True)):
        results = {"A": _unit(80 + gap, 1e-6, 400), "B": _unit(80, 1.0, df)}
        ranks = rank_tiers(results, tiers, seed=3, level=0.95)
        a, b = ranks["A"], ranks["B"]
        assert (a.rank, b.rank) == (1, 2)
        expected = (1, 2, 1, 2) if decided else (2, 1, 2, 1)
        assert (a.rank_high, b.rank_low, a.sim_high, b.sim_low) == expected, (gap, df)
        assert rank_tiers(results, tiers, seed=3, level=0.95) == ranks  # the seed rule
