"""analysis/weighting.py cross-checked against svy (svylab's survey package, the maintained successor of
samplics on PyPI): non-response adjustment, post-stratification and raking on seeded random samples.

svy is a test dependency only: it brings polars and a Rust extension, while analysis/ keeps to numpy and
scipy (docs/architecture.md, "Layers"); the weighting there is ~100 lines whose results must agree with svy's.
"""
from __future__ import annotations

import numpy as np
import pytest

from analysis import weighting

svy = pytest.importorskip("svy", reason="svy is not installed (pip install -e '.[test]')")
pl = pytest.importorskip("polars")


def _sample(seed: int, n: int = 400):
    rng = np.random.default_rng(seed)
    agency = rng.choice(["A", "B", "C", "D"], size=n, p=[0.4, 0.3, 0.2, 0.1])
    field = rng.choice(["land", "civil", "health"], size=n)
    base = rng.uniform(5, 50, size=n)
    responded = rng.random(n) < 0.6
    return agency, field, base, responded


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_nonresponse_adjustment_agrees_with_svy(seed):
    agency, field, base, responded = _sample(seed)
    ours = weighting.nonresponse_adjust(base, responded, agency)[responded]
    frame = pl.DataFrame({"w": base, "agency": agency, "resp": np.where(responded, "rr", "nr")})
    theirs = svy.Sample(frame, svy.Design(wgt="w")).weighting.adjust(
        "resp", cells="agency", resp_mapping={"rr": "rr", "nr": "nr"}).data["nr_wgt"].to_numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_poststratification_agrees_with_svy(seed):
    agency, _, base, _ = _sample(seed)
    totals = {"A": 4000.0, "B": 2500.0, "C": 2000.0, "D": 1500.0}
    ours = weighting.poststratify(base, agency, totals)
    frame = pl.DataFrame({"w": base, "agency": agency})
    theirs = svy.Sample(frame, svy.Design(wgt="w")).weighting.poststratify(
        totals, cells="agency").data["ps_wgt"].to_numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_raking_on_two_margins_agrees_with_svy(seed):
    agency, field, base, _ = _sample(seed)
    agency_totals = {"A": 4000.0, "B": 2500.0, "C": 2000.0, "D": 1500.0}
    field_totals = {"land": 5000.0, "civil": 3000.0, "health": 2000.0}
    ours = weighting.rake(base, [(agency, agency_totals), (field, field_totals)], tol=1e-12, max_iter=1000)
    assert ours.converged
    frame = pl.DataFrame({"w": base, "agency": agency, "field": field})
    theirs = svy.Sample(frame, svy.Design(wgt="w")).weighting.rake(
        controls={"agency": agency_totals, "field": field_totals}, tol=1e-12, max_iter=1000).data["rk_wgt"].to_numpy()
    # Both iterate to the same fixed point; they stop at slightly different iterations.
    np.testing.assert_allclose(ours.weights, theirs, rtol=1e-8)
