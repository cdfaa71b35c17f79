"""Weights after fieldwork, pinned to totals and hand-computed values."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.weighting import nonresponse_adjust, poststratify, rake, report


def test_kish_design_effect_by_hand():
    # w = 1, 1, 2, 4: mean 2, population SD sqrt(1.5), CV^2 = 0.375 -> deff 1.375 (= n sum w^2 / (sum w)^2 = 4*22/64).
    r = report([1, 1, 2, 4])
    assert r.kish_deff == pytest.approx(1.375) and r.cv == pytest.approx(np.sqrt(1.5) / 2)


def test_nonresponse_adjustment_keeps_class_totals():
    base = np.array([10.0, 10, 10, 10, 5, 5])
    responded = np.array([1, 0, 1, 0, 1, 1], bool)
    classes = np.array(["a", "a", "a", "a", "b", "b"])
    w = nonresponse_adjust(base, responded, classes)
    assert w.tolist() == [20, 0, 20, 0, 5, 5]
    with pytest.raises(ValueError, match="without any respondent"):
        nonresponse_adjust(base, np.array([0, 0, 0, 0, 1, 1], bool), classes)


def test_raking_on_one_margin_is_post_stratification():
    rng = np.random.default_rng(5)
    w = rng.uniform(1, 3, 200)
    cats = rng.choice(["x", "y", "z"], 200)
    totals = {"x": 500.0, "y": 300.0, "z": 200.0}
    raked = rake(w, [(cats, totals)])
    assert raked.converged and raked.weights == pytest.approx(poststratify(w, cats, totals))


def test_raking_reproduces_two_sets_of_control_totals():
    rng = np.random.default_rng(8)
    agency = rng.choice(["A", "B", "C"], 500, p=[0.5, 0.3, 0.2])
    field = rng.choice(["land", "justice", "other"], 500)
    controls_agency = {"A": 4000.0, "B": 3500.0, "C": 2500.0}
    controls_field = {"land": 3000.0, "justice": 5000.0, "other": 2000.0}
    result = rake(np.ones(500), [(agency, controls_agency), (field, controls_field)])
    assert result.converged and result.iterations < 100
    for cats, totals in ((agency, controls_agency), (field, controls_field)):
        for c, t in totals.items():
            assert result.weights[cats == c].sum() == pytest.approx(t, rel=1e-7)


def test_raking_says_why_it_cannot_work():
    cats = np.array(["a", "a", "b"])
    with pytest.raises(ValueError, match="no unit"):
        rake(np.ones(3), [(cats, {"a": 10.0, "c": 5.0})])
    with pytest.raises(ValueError, match="disagree"):
        rake(np.ones(3), [(cats, {"a": 10.0, "b": 5.0}), (cats, {"a": 1.0, "b": 1.0})])


def test_trimming_bounds_the_weights():
    rng = np.random.default_rng(1)
    agency = rng.choice(["A", "B"], 300, p=[0.95, 0.05])
    result = rake(np.ones(300), [(agency, {"A": 150.0, "B": 150.0})], trim=(0.5, 3.0))
    assert result.weights.max() <= 3.0 + 1e-12 and result.weights.min() >= 0.5 - 1e-12
    assert not result.converged  # the bounds make B's total unreachable, and the result says so
