"""Confidence sets for ranks, pinned to cases whose critical values have closed forms.

Where the numbers come from: with equal standard errors s, a standardised difference (Z_j - Z_k) / (s sqrt 2) is
N(0, 1), so
- the largest of all pairwise |differences| of p units is the studentised range q(p, inf) / sqrt 2 (scipy),
- one unit's two comparisons |D_AB|, |D_AC| are standard normals with correlation 1/2 (Dunnett's two-sided
  critical value, from scipy's bivariate normal distribution function),
and the step-down's second family is integrated numerically from the conditional normal worked out in the test.
Sets follow by hand from which standardised gaps exceed which critical value.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from analysis.ranks import competition_ranks, rank_sets, ranking_se

SQRT2 = np.sqrt(2)


def _two_sided_max_normal(cov, one_sided: list[bool], level=0.95) -> float:
    """c with P(max of the |D| (two-sided) and D (one-sided) <= c) = level, for D ~ N(0, cov)."""
    mvn = stats.multivariate_normal(mean=np.zeros(len(cov)), cov=cov)

    def gap(c):
        lower = [-np.inf if o else -c for o in one_sided]
        return mvn.cdf(np.full(len(cov), c), lower_limit=lower) - level
    return optimize.brentq(gap, 1.0, 4.0)


def test_one_unit_is_first_of_one():
    r = rank_sets([83.9], [0.7], seed=1)
    assert (r.rank.tolist(), r.low.tolist(), r.high.tolist(), r.sim_low.tolist(), r.sim_high.tolist()) == \
        ([1], [1], [1], [1], [1])


def test_two_units_decided_when_the_gap_exceeds_the_normal_quantile():
    # p = 2: every family is {|D_12|}, critical value z_0.975 = 1.96 (a 95 % quantile of |N(0, 1)|).
    far = rank_sets([80 + 2.6 * SQRT2, 80], [1, 1], seed=3, draws=20000)
    assert far.low.tolist() == [1, 2] and far.high.tolist() == [1, 2]
    assert far.sim_low.tolist() == [1, 2] and far.sim_high.tolist() == [1, 2]
    near = rank_sets([80 + 1.4 * SQRT2, 80], [1, 1], seed=3, draws=20000)
    assert near.rank.tolist() == [1, 2]
    assert near.low.tolist() == [1, 1] and near.high.tolist() == [2, 2]
    assert near.sim_low.tolist() == [1, 1] and near.sim_high.tolist() == [2, 2]


def test_marginal_is_narrower_than_simultaneous_between_dunnett_and_studentised_range():
    c_marginal = _two_sided_max_normal([[1, 0.5], [0.5, 1]], [False, False])  # 2.2121
    c_simultaneous = stats.studentized_range.ppf(0.95, 3, np.inf) / SQRT2  # 2.3437
    assert c_marginal == pytest.approx(2.2121, abs=1e-3) and c_simultaneous == pytest.approx(2.3437, abs=1e-3)
    gap = 2.28  # standardised gap A - B: above the marginal critical value, below the simultaneous one
    x = [10, 10 - gap * SQRT2, -100]  # C far below both
    single = rank_sets(x, [1, 1, 1], seed=5, draws=50000, stepdown=False)
    assert single.low.tolist() == [1, 2, 3] and single.high.tolist() == [1, 2, 3]
    assert single.sim_low.tolist() == [1, 1, 3] and single.sim_high.tolist() == [2, 2, 3]
    # Step down: once A > C and B > C are decided, the family left is |U|, V, U + V with U = D_AB, V = D_CA
    # (D_CB = U + V), corr(U, V) = -1/2, so V | U = u ~ N(-u/2, 3/4); its critical value is below the gap.
    def covered(c):
        inner = lambda u: stats.norm.pdf(u) * stats.norm.cdf((min(c, c - u) + u / 2) / np.sqrt(0.75))  # noqa: E731
        return integrate.quad(inner, -c, c)[0] - 0.95
    c_step = optimize.brentq(covered, 1.0, 4.0)
    assert c_step < gap < c_simultaneous
    stepped = rank_sets(x, [1, 1, 1], seed=5, draws=50000)
    assert stepped.sim_low.tolist() == [1, 2, 3] and stepped.sim_high.tolist() == [1, 2, 3]


def test_equal_ses_simultaneous_first_step_is_the_studentised_range():
    # Ten units, equal SE 1, spaced by 2.2 standardised units: neighbours never separate at the first step
    # (2.2 < q(10)/sqrt2 = 3.1637, tables give q = 4.474), units two apart always do (4.4).
    c = stats.studentized_range.ppf(0.95, 10, np.inf) / SQRT2
    assert c == pytest.approx(3.1637, abs=1e-3)
    x = np.arange(10)[::-1] * 2.2 * SQRT2
    r = rank_sets(x, np.ones(10), seed=11, draws=20000, stepdown=False)
    # Unit j (rank j + 1) is decided against k when |j - k| * 2.2 > 3.16, i.e. |j - k| >= 2:
    # each set is its rank plus or minus one.
    expected_low = [max(1, j) for j in range(10)]
    expected_high = [min(10, j + 2) for j in range(10)]
    assert r.sim_low.tolist() == expected_low and r.sim_high.tolist() == expected_high


def test_ties_share_rank_and_sets_and_are_never_separated():
    r = rank_sets([85, 85, 85, 60], [0.5, 0.5, 0.5, 0.5], seed=2)
    assert r.rank.tolist() == [1, 1, 1, 4]
    assert r.low.tolist() == [1, 1, 1, 4] and r.high.tolist() == [3, 3, 3, 4]
    assert r.sim_low.tolist() == [1, 1, 1, 4] and r.sim_high.tolist() == [3, 3, 3, 4]
    # Ties share the best rank (1, 2, 2, 4), on unrounded values.
    assert competition_ranks([69.33, 80.0, 80.0, 50.0]).tolist() == [3, 1, 1, 4]
    assert competition_ranks([80.004, 80.001]).tolist() == [1, 2]


def test_a_unit_without_standard_error_can_be_anywhere():
    r = rank_sets([90, 80, 70], [0.1, np.nan, 0.1], seed=4)
    assert r.low.tolist() == [1, 1, 2] and r.high.tolist() == [2, 3, 3]
    assert r.sim_low.tolist() == [1, 1, 2] and r.sim_high.tolist() == [2, 3, 3]


def test_reproducible_with_the_seed_and_sets_hold_the_point_rank():
    rng = np.random.default_rng(0)
    x, s = rng.normal(84, 3, 34), rng.uniform(0.5, 1.5, 34)
    a, b = rank_sets(x, s, seed=2026), rank_sets(x, s, seed=2026)
    for name in ("rank", "low", "high", "sim_low", "sim_high"):
        assert getattr(a, name).tolist() == getattr(b, name).tolist()
    assert ((a.low <= a.rank) & (a.rank <= a.high)).all() and ((a.sim_low <= a.rank) & (a.rank <= a.sim_high)).all()
    # The simultaneous sets answer a harder question: here no marginal set is wider than its simultaneous one.
    assert ((a.sim_low <= a.low) & (a.high <= a.sim_high)).all() and (a.sim_high - a.sim_low).sum() > (
        a.high - a.low).sum()


def test_missing_estimate_is_refused():
    with pytest.raises(ValueError):
        rank_sets([80, np.nan], [1, 1], seed=1)


def test_ranking_se_floors_the_design_effect_and_falls_back_to_the_interval():
    # deff 0.5 -> the floor (deff 1) doubles the variance: 2 * sqrt(2); deff 2 keeps the design SE.
    # deff 0 (zero design variance): half the published interval's width over z_0.975 = 1.959964.
    se = ranking_se([2.0, 2.0, 0.0, np.nan], [0.5, 2.0, 0.0, np.nan], [70, 70, 90.0, np.nan], [80, 80, 100.0, np.nan])
    assert se[0] == pytest.approx(2 * SQRT2) and se[1] == pytest.approx(2.0)
    assert se[2] == pytest.approx(5 / 1.959964, rel=1e-6) and np.isnan(se[3])


@pytest.mark.parametrize("spread", [0.1, 0.8])
def test_large_tiers_skip_comparisons_without_changing_a_set(monkeypatch, spread):
    # A tier of 300 units is above the size where each draw's maximum is found from its most extreme units plus
    # the rows a Cauchy-Schwarz bound cannot rule out. The reference is the full pass over every pair (the path
    # small tiers take, forced here by making every unit a candidate): every set must be the same, unit by unit,
    # with nearly equal and with very unequal standard errors (more rows fall back to the full pass), units
    # without a standard error, ties, and enough separation that the step-down decides pairs in several steps.
    from analysis import ranks
    rng = np.random.default_rng(17)
    x = np.round(rng.normal(80, 5, 300), 1)
    s = np.exp(rng.normal(0, spread, 300))
    s[::41] = np.nan
    assert 300 > 2 * ranks._CANDIDATES
    pruned = rank_sets(x, s, seed=2026, draws=400)
    monkeypatch.setattr(ranks, "_CANDIDATES", 1000)
    full = rank_sets(x, s, seed=2026, draws=400)
    for name in ("rank", "low", "high", "sim_low", "sim_high"):
        assert getattr(pruned, name).tolist() == getattr(full, name).tolist(), name
    assert (full.high - full.low < 299).any() and (full.sim_high - full.sim_low < 299).any()


def test_estimated_standard_errors_are_drawn_from_the_units_t_distribution():
    # Unit A's SE is negligible, unit B's (1) rests on 5 df: the one comparison is |T_B| with T_B ~ t_5, whose
    # 95 % quantile is t_0.975(5) = 2.5706 (tables: 2.571); with the SE taken as known it is z_0.975 = 1.96.
    assert stats.t.ppf(0.975, 5) == pytest.approx(2.5706, abs=1e-4)
    s = [1e-6, 1.0]
    for gap, decided_normal, decided_t in ((2.3, True, False), (2.8, True, True), (1.8, False, False)):
        x = [80 + gap, 80]
        normal = rank_sets(x, s, seed=8, draws=20000)
        heavy = rank_sets(x, s, seed=8, draws=20000, df=[np.nan, 5])
        for r, decided in ((normal, decided_normal), (heavy, decided_t)):
            assert r.low.tolist() == ([1, 2] if decided else [1, 1]), gap
            assert r.sim_high.tolist() == ([1, 2] if decided else [2, 2]), gap
    # Without df, or with df missing or not positive, the draws are the normal ones: the same sets as before.
    rng = np.random.default_rng(3)
    x, s34 = rng.normal(84, 2, 34), rng.uniform(0.5, 1.5, 34)
    plain, unknown = rank_sets(x, s34, seed=9), rank_sets(x, s34, seed=9, df=np.r_[np.full(33, np.nan), 0.0])
    assert all(np.array_equal(getattr(plain, f), getattr(unknown, f)) for f in ("low", "high", "sim_low", "sim_high"))


def test_critical_value_is_the_monte_carlo_order_statistic():
    # B = 1,000 draws at level 0.95: the ceil(0.95 * 1001) = 951st smallest (numpy's interpolated quantile would
    # be 950.05); with 10 draws, ceil(0.95 * 11) = 11 > 10: nothing can be decided.
    from analysis.ranks import _critical
    stat = np.random.default_rng(1).permutation(np.arange(1.0, 1001.0))
    assert float(_critical(stat, 0.95)) == 951.0
    assert _critical(np.c_[stat, stat - 2000.0], 0.95).tolist() == [951.0, 0.0]  # clipped at 0
    assert np.isinf(_critical(np.arange(10.0), 0.95))
    assert float(_critical(np.arange(1.0, 20.0), 0.9)) == 18.0  # ceil(0.9 * 20) = 18


@pytest.mark.parametrize("case", ["spread", "equal_ses", "all_equal_ties"])
def test_pruned_maxima_equal_a_brute_force_pass_over_every_ordered_pair(case):
    # The pruned search (`_Draws`, used above 64 units) against the maximum over all ordered pairs written out
    # plainly, for the same draws: per draw (the simultaneous family) and per draw and row (the marginal ones),
    # for random families, with SEs spread or all equal and with draws holding ties (rounded), the all-equal case.
    from analysis.ranks import _CANDIDATES, _Draws
    rng = np.random.default_rng({"spread": 1, "equal_ses": 2, "all_equal_ties": 3}[case])
    p, draws = 150, 300
    assert p > 2 * _CANDIDATES
    s = np.exp(rng.normal(0, 0.6, p)) if case == "spread" else np.ones(p)
    s[::37] = 0.0  # units without an SE, outside every family
    z = rng.standard_t(8, (draws, p)) * s
    if case == "all_equal_ties":
        z = np.round(z, 1)
    known = s > 0
    pairs = known[:, None] & known[None, :] & ~np.eye(p, dtype=bool)
    with np.errstate(divide="ignore"):
        inv_sd = np.where(pairs, 1.0 / np.sqrt(s[:, None] ** 2 + s[None, :] ** 2), 0.0)
    pruned = _Draws(z, s, inv_sd)
    assert pruned.pruned
    diff = (z[:, :, None] - z[:, None, :]) * inv_sd  # [draws, j, k]: every ordered pair
    for density in (1.0, 0.5, 0.05):
        family = pairs & (rng.random((p, p)) < density)
        brute = np.where(family, diff, 0.0).max(axis=(1, 2))
        assert np.array_equal(pruned.draw_maxima(family), brute)
        rows = np.sort(rng.choice(p, 40, replace=False))
        fam_row, fam_col = family[rows], pairs[rows] & (rng.random((40, p)) < density)
        brute_rows = np.maximum(np.where(fam_row, diff[:, rows], 0.0).max(axis=2),
                                np.where(fam_col, -diff[:, rows], 0.0).max(axis=2))
        assert np.array_equal(pruned.row_maxima(rows, [(fam_row, 1.0), (fam_col, -1.0)]), brute_rows)
