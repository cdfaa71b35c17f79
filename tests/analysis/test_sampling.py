"""Sample design: sizes, allocation, reproducible draws, and realised inclusion frequencies against the
computed probabilities over many simulated draws (SRS and PPS)."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.sampling import (allocate, margin_of_error, pps_probabilities, pps_systematic, size_2013, srs,
                               two_stage)


def test_2013_formula():
    # n = N / (1 + N e^2): N = 1,000, e = 5 % -> 1000 / 3.5 = 285.7 -> 286; small N stays N.
    assert size_2013([1000, 10, 100000]).tolist() == [286, 10, 399]


def test_allocation_methods():
    N = [6000, 3000, 1000]
    assert allocate(500, N).tolist() == [300, 150, 50]
    assert allocate(300, N, method="equal").tolist() == [100, 100, 100]
    # Neyman: N_h sqrt(p(1-p)) with p = 0.5, 0.9, 0.5 -> 3000, 900, 500 -> 4400 shares of 440.
    assert allocate(440, N, method="neyman", p=[0.5, 0.9, 0.5]).tolist() == [300, 90, 50]
    assert allocate(100, [1000, 5], minimum=10).tolist() == [95, 5]  # a small stratum is capped at its size
    assert sum(allocate(997, [333, 333, 334])) == 997
    with pytest.raises(ValueError):
        allocate(2000, [100, 100])


def test_margin_of_error_at_p_08():
    # 1.96 * sqrt(0.8 * 0.2 / 400) = 3.92 points; deff 2 widens it by sqrt(2).
    assert margin_of_error(400).item() == pytest.approx(100 * 1.959964 * 0.02, rel=1e-6)
    assert margin_of_error(400, deff=2).item() == pytest.approx(margin_of_error(400).item() * np.sqrt(2))
    assert margin_of_error(400, N=400).item() == 0


def test_draws_reproduce_with_their_seed():
    strata = np.repeat(["a", "b"], [50, 30])
    first = srs(strata, {"a": 10, "b": 5}, rng=np.random.default_rng(11))
    again = srs(strata, {"a": 10, "b": 5}, rng=np.random.default_rng(11))
    other = srs(strata, {"a": 10, "b": 5}, rng=np.random.default_rng(12))
    assert first.selected.tolist() == again.selected.tolist() != other.selected.tolist()
    # Weights sum to the frame size per stratum.
    in_a = strata[first.selected] == "a"
    assert first.weight[in_a].sum() == pytest.approx(50) and first.weight[~in_a].sum() == pytest.approx(30)


def test_pps_probabilities_take_large_units_with_certainty():
    pi = pps_probabilities([100, 10, 10, 10, 10], 3)
    assert pi[0] == 1 and pi[1:] == pytest.approx([0.5] * 4) and pi.sum() == pytest.approx(3)


def test_realised_inclusion_frequencies_match_the_probabilities():
    rng = np.random.default_rng(2026)
    sizes = np.array([400, 250, 120, 80, 60, 40, 30, 20])
    pi = pps_probabilities(sizes, 3)
    reps = 20000
    hits = np.zeros(len(sizes))
    for _ in range(reps):
        hits[pps_systematic(sizes, 3, rng=rng).selected] += 1
    # Binomial standard error of a frequency: sqrt(pi (1 - pi) / reps) <= 0.0036; allow 4 SE.
    assert hits / reps == pytest.approx(pi, abs=4 * 0.0036)
    strata = np.repeat(["a", "b"], [40, 10])
    counts = np.zeros(50)
    for _ in range(5000):
        counts[srs(strata, {"a": 8, "b": 5}, rng=rng).selected] += 1
    assert counts[:40] / 5000 == pytest.approx(0.2, abs=0.03) and counts[40:] / 5000 == pytest.approx(0.5, abs=0.04)


def test_two_stage_probabilities_and_frequencies():
    rng = np.random.default_rng(7)
    office_sizes = np.array([60, 30, 20, 10])
    office_of_unit = np.repeat(np.arange(4), office_sizes)
    draw = two_stage(office_of_unit, office_sizes, 2, 5, rng=rng)
    assert len(draw.selected) == 10
    pi_office = pps_probabilities(office_sizes, 2)
    expected = pi_office[office_of_unit] * 5 / office_sizes[office_of_unit]
    assert draw.probability == pytest.approx(expected[draw.selected])
    hits = np.zeros(len(office_of_unit))
    reps = 8000
    for _ in range(reps):
        hits[two_stage(office_of_unit, office_sizes, 2, 5, rng=rng).selected] += 1
    freq_by_office = [hits[office_of_unit == o].mean() / reps for o in range(4)]
    assert freq_by_office == pytest.approx(expected[[0, 60, 90, 110]].tolist(), abs=0.02)
    # The base weights estimate the frame size without bias: mean over draws of sum(w) ~ 120.
    totals = [two_stage(office_of_unit, office_sizes, 2, 5, rng=rng).weight.sum() for _ in range(3000)]
    assert np.mean(totals) == pytest.approx(120, rel=0.03)
