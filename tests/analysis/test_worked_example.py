"""Indices pinned to the worked example in docs/methodology.md (checked there with exact fractions)
and to closed-form interval values computed without SciPy."""
from __future__ import annotations

import math

import numpy as np
import pytest

from analysis import Composite, Settings, build_totals, compute_indices, intervals

# docs/methodology.md worked example: counts of answers 1..5 and missing per item, 10 respondents.
WORKED = {"S1": [0, 1, 2, 4, 3, 0], "S2": [0, 0, 3, 5, 1, 1], "S3": [1, 1, 1, 4, 3, 0],
          "S4": [0, 0, 1, 6, 3, 0], "S5": [0, 2, 2, 2, 2, 2]}
ASSESS = {"E1.1": (8, 2, 0), "E1.2": (6, 3, 1), "E1.3": (5, 5, 0), "E1.4": (9, 1, 0)}
EXPECT_CHOICES = [2, 1, 6, 5, 4, 3]  # X1..X6 chosen by the 9 of 10 who answered the block


def _respondents(counts):
    return [v for v, c in zip([1, 2, 3, 4, 5, np.nan], counts) for _ in range(c)]


def _srs(values: np.ndarray, items, score, **kw):
    n = values.shape[0]
    answered = ~np.isnan(values)
    return compute_indices(build_totals(np.zeros(n, int), np.zeros(n, int), np.arange(n), np.ones(n), answered,
                                        score, items, pair_items=list(range(len(items)))), **kw)["0"]


def test_item_indices_and_sipas_mean_of_factors():
    values = np.column_stack([_respondents(c) for c in WORKED.values()])
    sipas = Composite("SIPAS", {k: 0.2 for k in WORKED})
    res = _srs(values, list(WORKED), (values >= 4).astype(float), settings=Settings(composites=(sipas,)))
    assert [round(res[k].estimate, 2) for k in WORKED] == [70.00, 66.67, 70.00, 90.00, 50.00]
    assert res["SIPAS"].estimate == pytest.approx(69.3333, abs=1e-4)
    assert [res[k].n for k in WORKED] == [10, 9, 10, 10, 8]  # missing answers are not in the base


def test_pooling_all_factor_answers_gives_70_21():
    values = np.concatenate([_respondents(c) for c in WORKED.values()])[:, None]
    res = _srs(values, ["POOLED"], (values >= 4).astype(float))
    assert res["POOLED"].estimate == pytest.approx(100 * 33 / 47) and round(res["POOLED"].estimate, 2) == 70.21


def test_mean_score_rule_for_s1_is_72_50():
    values = np.array(_respondents(WORKED["S1"]), float)[:, None]
    res = _srs(values, ["S1"], (values - 1) / 4, binary_items=set())
    assert res["S1"].estimate == pytest.approx(72.5)


def test_assessment_indices_and_factor_mean_of_items():
    cols = []
    for yes, no, missing in ASSESS.values():
        cols.append([1] * yes + [0] * no + [np.nan] * missing)
    values = np.column_stack(cols)
    factor = Composite("F1", {k: 0.25 for k in ASSESS}, require_all=False)
    res = _srs(values, list(ASSESS), np.nan_to_num(values), settings=Settings(composites=(factor,)))
    assert [round(res[k].estimate, 2) for k in ASSESS] == [80.00, 66.67, 50.00, 90.00]
    assert round(res["F1"].estimate, 2) == 71.67 and res["F1"].components == 4


def test_expectation_shares_among_those_who_answered_the_block():
    n = 10
    values = np.full((n, 6), np.nan)
    for j, chosen in enumerate(EXPECT_CHOICES):
        values[:9, j] = [1] * chosen + [0] * (9 - chosen)  # respondent 10 skipped the block
    res = _srs(values, [f"X{j}" for j in range(1, 7)], np.nan_to_num(values))
    assert [round(res[f"X{j}"].estimate, 2) for j in range(1, 7)] == [22.22, 11.11, 66.67, 55.56, 44.44, 33.33]


def test_no_valid_answer_is_none_not_zero_and_sipas_is_none_when_a_factor_is_empty():
    values = np.column_stack([[4, 5, 3], [np.nan] * 3])
    sipas = Composite("SIPAS", {"S1": 0.5, "S2": 0.5})
    res = _srs(values, ["S1", "S2"], (values >= 4).astype(float), settings=Settings(composites=(sipas,)))
    assert res["S2"].estimate is None and res["S2"].ci is None and res["S2"].n == 0
    assert res["SIPAS"].estimate is None
    assert res["S1"].low_base  # 3 answers < 30


def test_wilson_closed_form_k42_n60():
    # Closed form computed by hand (no SciPy).
    low, high = intervals.wilson(42, 60)
    assert float(low) == pytest.approx(0.5749129, abs=1e-7)
    assert float(high) == pytest.approx(0.8010183, abs=1e-7)


def test_clopper_pearson_at_the_boundary():
    # Exact: for k = 0 the upper bound solves (1-p)^n = alpha/2 -> 1 - 0.025^(1/n).
    low, high = intervals.clopper_pearson(0, 300)
    assert float(low) == 0 and float(high) == pytest.approx(1 - 0.025 ** (1 / 300), rel=1e-9)
    low, high = intervals.clopper_pearson(300, 300)
    assert float(high) == 1 and float(low) == pytest.approx(0.025 ** (1 / 300), rel=1e-9)


def test_all_satisfied_never_gives_a_zero_width_interval():
    values = np.full((40, 1), 5.0)
    res = _srs(values, ["S1"], np.ones((40, 1)))["S1"]
    assert res.estimate == 100 and res.ci.high == 100 and res.ci.low < 95
    # Clopper-Pearson for 40/40: lower bound 0.025^(1/40).
    assert res.ci.low == pytest.approx(100 * 0.025 ** (1 / 40), rel=1e-9)


def test_low_base_thresholds_are_settings():
    values = np.array([[5.0]] * 25 + [[2.0]] * 10)
    score = (values >= 4).astype(float)
    assert not _srs(values, ["S1"], score, settings=Settings(min_df=5))["S1"].low_base
    assert _srs(values, ["S1"], score, settings=Settings(min_base=40, min_df=5))["S1"].low_base
    assert _srs(values, ["S1"], score, settings=Settings(min_df=100))["S1"].low_base


def test_settings_are_validated():
    with pytest.raises(ValueError):
        Settings(confidence_level=1.5)
    with pytest.raises(ValueError):
        Settings(item_interval="bogus")


def test_df_of_zero_gives_no_interval():
    # One stratum with one PSU holding everyone: df = 0 (the certainty rewrite is the caller's job).
    n = 40
    values = np.array([[5.0]] * 30 + [[1.0]] * 10)
    res = compute_indices(build_totals(np.zeros(n, int), np.zeros(n, int), np.zeros(n, int), np.ones(n),
                                       ~np.isnan(values), (values >= 4).astype(float), ["S1"]))["0"]["S1"]
    assert res.estimate == 75 and res.ci is None and "df <= 0" in res.note and math.isclose(res.df, 0)
