"""`scores`: the (answered, score) matrices in the plan's item order, whatever the file's column order, extra
columns or missing items, by blocks of rows; float32 only where it holds every score exactly."""
from __future__ import annotations

import numpy as np
import pytest

import surveys
from sipas.services import analysis_plan
from sipas.services.analysis_plan import plan_for, score_table, scores


@pytest.mark.parametrize("layout", ["plan order", "shuffled with extras and a missing item"])
def test_scores_follow_the_score_table_cell_by_cell(monkeypatch, layout):
    monkeypatch.setattr(analysis_plan, "_SCORE_ROWS", 7)  # several blocks
    plan = plan_for(surveys.load("SIPAS_2640"))
    codes = list(plan.items)
    if layout != "plan order":
        codes = [*np.random.default_rng(1).permutation(codes[1:]).tolist(), "EXTRA"]  # first item absent
    rng = np.random.default_rng(2)
    values = rng.integers(0, 6, (40, len(codes))).astype(np.float32)
    values[rng.random(values.shape) < 0.2] = np.nan
    answered, score = scores(plan, codes, values)
    table = score_table(plan)
    assert answered.shape == score.shape == (40, len(plan.items))
    for k, code in enumerate(plan.items):
        for r in range(40):
            v = values[r, codes.index(code)] if code in codes else np.nan
            assert answered[r, k] == (not np.isnan(v))
            assert score[r, k] == (0.0 if np.isnan(v) else table[code][int(v)])
    # Every score of this profile's rules is exact in float32 (0/1, quarter steps): half the memory.
    assert score.dtype == np.float32


def test_scores_that_float32_cannot_hold_stay_float64(monkeypatch):
    plan = plan_for(surveys.load("SIPAS_2640"))
    thirds = {code: np.arange(100) / 3 for code in plan.items}
    monkeypatch.setattr(analysis_plan, "score_table", lambda _plan: thirds)
    values = np.array([[1.0] * len(plan.items), [2.0] * len(plan.items)], dtype=np.float32)
    _, score = scores(plan, list(plan.items), values)
    assert score.dtype == np.float64 and score[1, 0] == 2 / 3
