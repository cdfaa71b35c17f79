"""Differences and Holm's correction, pinned to values worked out by hand."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.compare import holm, independent_difference, verdicts


def test_welch_satterthwaite_difference():
    d = independent_difference(80.0, 2.0, 10, 70.0, 3.0, 20)
    # By hand: v = 4 and 9; df = 13^2 / (4^2/10 + 9^2/20) = 169 / 5.65.
    assert d.estimate == 10 and d.se == pytest.approx(np.sqrt(13)) and d.df == pytest.approx(169 / 5.65)
    t = stats.t.ppf(0.975, 169 / 5.65)
    assert d.ci.low == pytest.approx(10 - t * np.sqrt(13)) and d.ci.high == pytest.approx(10 + t * np.sqrt(13))
    assert d.p_value == pytest.approx(2 * stats.t.sf(10 / np.sqrt(13), 169 / 5.65))


def test_holm_step_down():
    # By hand: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> running max.
    assert holm([0.01, 0.04, 0.03, 0.005]).tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert np.isnan(holm([0.01, np.nan])[1]) and holm([0.01, np.nan])[0] == pytest.approx(0.01)


def test_verdicts_apply_holm_across_the_list():
    near = independent_difference(82, 1, 50, 80, 1, 50)  # p about 0.16: never significant
    far_up = independent_difference(90, 1, 50, 80, 1, 50)
    far_down = independent_difference(70, 1, 50, 80, 1, 50)
    assert verdicts([near, far_up, far_down]) == ["not_different", "above", "below"]


def test_verdicts_use_the_confidence_level_of_the_intervals():
    # d = 2.55, SE = sqrt(2), df = 98 (Welch with equal parts): two-sided p = 0.074 by scipy's t.sf, between
    # 0.05 and 0.10, so the verdict depends on the level.
    d = independent_difference(82.55, 1, 49, 80, 1, 49)
    assert 0.05 < d.p_value < 0.10
    assert verdicts([d], 0.95) == ["not_different"] and verdicts([d], 0.90) == ["above"]


def test_no_verdict_from_a_zero_variance():
    # 100 % with SE 0 against 80 % (SE 2): before, the 20 points were "above" with SE 2 alone.
    d = independent_difference(100.0, 0.0, 11, 80.0, 2.0, 40)
    assert d.ci is None and d.p_value is None and verdicts([d]) == ["undetermined"]
