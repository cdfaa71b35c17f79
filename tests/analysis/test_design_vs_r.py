"""Design-based estimates pinned to R's survey package (4.x, Debian r-cran-survey).

Reference numbers come from tests/analysis/fixtures/reference.R run on design_shared.csv (written by
make_design.py): svydesign(ids=~psu, strata=~stratum, weights=~weight, nest=TRUE) with the single-PSU
stratum's PSU ids replaced by respondent ids (certainty unit); groups are subset() domains;
svymean(deff="replace"), svyciprop(method="beta") for Korn-Graubard, svyciprop(method="logit"),
binom.test for Clopper-Pearson, svycontrast(svytotal(...)) for the SIPAS mean of five ratios.
Edge rules R's survey package has no function for are evaluated in the same script from their closed forms
with R's own qt/qbeta/var (each test below says which): Korn-Graubard at exactly 0 % / 100 %, the
simple-random-sample variance floors, floored differences, the SIPAS interval when even the floored variance
is zero. Agreement: 1e-9 percentage points, except R's IRLS-fitted logit interval (1e-6).
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from analysis import Composite, Settings, build_totals, certainty_psus, compute_indices

FIXTURES = Path(__file__).parent / "fixtures"
ITEMS = ["y1", "y2", "y3", "y4", "y5"]
SIPAS = Composite("SIPAS", {k: 0.2 for k in ITEMS})


def _load():
    with open(FIXTURES / "design_shared.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    values = np.array([[np.nan if r[k] == "" else float(r[k]) for k in ITEMS] for r in rows])
    stratum = np.array([r["stratum"] for r in rows])
    psu = certainty_psus(stratum, np.array([r["psu"] for r in rows]), np.array([r["id"] for r in rows]))
    weight = np.array([float(r["weight"]) for r in rows])
    groups = {"all": np.array(["all"] * len(rows)), "level": np.array([f"level:{s}" for s in stratum]),
              "agency": np.array([f"agency:{r['agency']}" for r in rows])}
    return values, stratum, psu, weight, groups


def _results(settings: Settings):
    values, stratum, psu, weight, groups = _load()
    answered = ~np.isnan(values)
    out = {}
    for labels in groups.values():
        totals = build_totals(labels, stratum, psu, weight, answered, np.nan_to_num(values), ITEMS,
                              pair_items=list(range(5)))
        out.update(compute_indices(totals, settings))
    return out


REFERENCE = json.loads((FIXTURES / "reference_shared.json").read_text())
DIFF_REFS = [r for r in REFERENCE if r["group"].startswith("diff:")]
EDGE_REFS = {r["group"]: r for r in REFERENCE if r["group"].startswith("edge:")}
ITEM_REFS = [r for r in REFERENCE if r["index"] != "SIPAS" and r not in DIFF_REFS and r["group"] not in EDGE_REFS]
SIPAS_REFS = [r for r in REFERENCE if r["index"] == "SIPAS" and r not in DIFF_REFS and r["group"] not in EDGE_REFS]


@pytest.fixture(scope="module")
def kg():
    return _results(Settings(item_interval="korn_graubard", composites=(SIPAS,), composite_interval="taylor_logit"))


@pytest.fixture(scope="module")
def logit():
    return _results(Settings(item_interval="taylor_logit"))


@pytest.mark.parametrize("ref", ITEM_REFS, ids=lambda r: f"{r['group']}-{r['index']}")
def test_estimate_se_df_deff_and_korn_graubard_match_r(kg, ref):
    ours = kg[ref["group"]][ref["index"]]
    assert ours.estimate == pytest.approx(100 * ref["estimate"], abs=1e-9)
    assert ours.se == pytest.approx(100 * ref["se"], abs=1e-9)
    assert ours.df == ref["df"]
    assert ours.n == ref["n_answered"]
    if np.isfinite(ref["deff"]):
        assert ours.deff == pytest.approx(ref["deff"], rel=1e-9)
    if np.isfinite(ref["kg_low"]):
        assert ours.ci.low == pytest.approx(100 * ref["kg_low"], abs=1e-9)
        assert ours.ci.high == pytest.approx(100 * ref["kg_high"], abs=1e-9)
    else:
        # R returns NaN at 0 % / 100 % (V = 0); we use n* = n_answered with the df correction kept (never a
        # zero-width interval). Reference: the closed form evaluated in R (kg_boundary: qt and qbeta).
        assert ref["estimate"] in (0, 1)
        assert ours.ci.low == pytest.approx(100 * ref["kgb_low"], abs=1e-9)
        assert ours.ci.high == pytest.approx(100 * ref["kgb_high"], abs=1e-9)
        assert ours.ci.high - ours.ci.low > 10
    # The floor: R's var(y)/n over the answers (iid_item in reference.R).
    floored = 100 * np.sqrt(max(ref["se"] ** 2, ref["var_iid"] if ref["var_iid"] is not None else 0))
    assert ours.se_floored == pytest.approx(floored, abs=1e-9)


# Agency C has df = 1: R's glm-based logit interval degenerates there (0, NaN), so it is no reference.
@pytest.mark.parametrize("ref", [r for r in ITEM_REFS if 0 < r["estimate"] < 1 and np.isfinite(r["logit_high"])],
                         ids=lambda r: f"{r['group']}-{r['index']}")
def test_logit_interval_matches_r_to_irls_tolerance(logit, ref):
    ours = logit[ref["group"]][ref["index"]]
    assert ours.ci.low == pytest.approx(100 * ref["logit_low"], abs=1e-6)
    assert ours.ci.high == pytest.approx(100 * ref["logit_high"], abs=1e-6)


@pytest.mark.parametrize("ref", SIPAS_REFS, ids=lambda r: r["group"])
def test_sipas_mean_of_five_ratios_matches_svycontrast(kg, ref):
    ours = kg[ref["group"]]["SIPAS"]
    assert ours.estimate == pytest.approx(100 * ref["estimate"], abs=1e-9)
    assert ours.se == pytest.approx(100 * ref["se"], abs=1e-9)
    assert ours.df == ref["df"]
    # The floor: the i.i.d. variance of the SIPAS linearisation variable, computed in R (iid_sipas).
    assert ours.se_floored == pytest.approx(100 * np.sqrt(max(ref["se"] ** 2, ref["var_iid"])), abs=1e-9)


def test_the_sipas_variance_is_not_the_independent_one(kg):
    # The five factors share respondents and offices: the covariance is positive here, so treating
    # them as independent would understate the SE. Guard against ever doing that.
    group = kg["all"]
    independent = np.sqrt(sum((group[k].se / 5) ** 2 for k in ITEMS))
    assert group["SIPAS"].se > 1.2 * independent


def test_domain_variance_counts_psus_of_shared_strata_without_members(kg):
    # Agency A shares stratum "province" with B: subsetting A's rows alone (own-stratum design)
    # would give a different (smaller-n_h) variance than R's domain estimate we match above.
    values, stratum, psu, weight, groups = _load()
    mask = groups["agency"] == "agency:A"
    answered = ~np.isnan(values[mask])
    alone = compute_indices(build_totals(groups["agency"][mask], stratum[mask], psu[mask], weight[mask], answered,
                                         np.nan_to_num(values[mask]), ITEMS), Settings(item_interval="korn_graubard"))
    assert alone["agency:A"]["y1"].estimate == pytest.approx(kg["agency:A"]["y1"].estimate)
    assert alone["agency:A"]["y1"].se != pytest.approx(kg["agency:A"]["y1"].se, rel=1e-3)


def test_floor_never_narrower_than_plain_korn_graubard(kg):
    floored = _results(Settings())
    for group, indices in kg.items():
        for code in ITEMS:
            plain, fl = indices[code], floored[group][code]
            if plain.ci and fl.ci:
                assert fl.ci.high - fl.ci.low >= plain.ci.high - plain.ci.low - 1e-9


def test_regrouping_agency_totals_equals_building_levels_directly(kg):
    # The database computes sums by agency and PSU once; levels and "all" are merged from them.
    from analysis.design import regroup
    values, stratum, psu, weight, groups = _load()
    answered = ~np.isnan(values)
    by_agency = build_totals(groups["agency"], stratum, psu, weight, answered, np.nan_to_num(values), ITEMS,
                             pair_items=list(range(5)))
    level_of = {a: f"level:{s}" for a, s in zip(groups["agency"], stratum)}
    levels = regroup(by_agency, [level_of[g] for g in by_agency.groups])
    everything = regroup(by_agency, ["all"] * by_agency.n_groups)
    settings = Settings(item_interval="korn_graubard", composites=(SIPAS,), composite_interval="taylor_logit")
    merged = {**compute_indices(levels, settings), **compute_indices(everything, settings)}
    for group in ("all", "level:province", "level:district", "level:commune"):
        for code in ITEMS + ["SIPAS"]:
            assert merged[group][code].estimate == pytest.approx(kg[group][code].estimate, abs=1e-12)
            assert merged[group][code].se == pytest.approx(kg[group][code].se, abs=1e-12)
            assert merged[group][code].df == kg[group][code].df


@pytest.mark.parametrize("ref", DIFF_REFS, ids=lambda r: f"{r['group']}-{r['index']}")
def test_agency_minus_whole_uses_the_joint_covariance(ref):
    # R: svycontrast of the agency's ratios minus the whole sample's, over the full design.
    from analysis.compare import paired_differences
    from analysis.design import child_parent_covariance, composite_estimates, ratio_estimates, regroup
    values, stratum, psu, weight, groups = _load()
    answered = ~np.isnan(values)
    child = build_totals(groups["agency"], stratum, psu, weight, answered, np.nan_to_num(values), ITEMS,
                         pair_items=list(range(5)))
    parent = regroup(child, ["all"] * child.n_groups)
    coef = np.full((1, 5), 0.2) if ref["index"] == "SIPAS" else np.eye(5)[:1]
    ce, pe = ratio_estimates(child), ratio_estimates(parent)
    cc = composite_estimates(child, ce, coef, require_all=np.array([True]))
    pc = composite_estimates(parent, pe, coef, require_all=np.array([True]))
    cov = child_parent_covariance(child, parent, np.zeros(child.n_groups, int), ce.estimate, pe.estimate, coef)
    g = child.groups.index("agency:" + ref["group"].split(":")[1])
    [diff] = paired_differences(cc.estimate[g:g + 1, 0], cc.variance[g:g + 1, 0], pc.estimate[0:1, 0],
                                pc.variance[0:1, 0], cov[g:g + 1, 0], ce.df[g:g + 1])
    assert diff.estimate == pytest.approx(100 * ref["estimate"], abs=1e-9)
    assert diff.se == pytest.approx(100 * ref["se"], abs=1e-9)


def _differences_from_the_whole(index: str, floored: bool):
    from analysis.compare import paired_differences
    from analysis.design import child_parent_covariance, composite_estimates, ratio_estimates, regroup
    values, stratum, psu, weight, groups = _load()
    answered = ~np.isnan(values)
    child = build_totals(groups["agency"], stratum, psu, weight, answered, np.nan_to_num(values), ITEMS,
                         pair_items=list(range(5)))
    parent = regroup(child, ["all"] * child.n_groups)
    coef = np.full((1, 5), 0.2) if index == "SIPAS" else np.eye(5)[:1]
    ce, pe = ratio_estimates(child), ratio_estimates(parent)
    cc = composite_estimates(child, ce, coef, require_all=np.array([True]))
    pc = composite_estimates(parent, pe, coef, require_all=np.array([True]))
    cov = child_parent_covariance(child, parent, np.zeros(child.n_groups, int), ce.estimate, pe.estimate, coef)
    # The floor of a single item is the item's own (as in its interval), of the SIPAS the composite's.
    fc, fp = (cc.variance_iid, pc.variance_iid) if index == "SIPAS" else (ce.variance_iid, pe.variance_iid)
    floors = {"floor_child": fc[:, 0], "floor_parent": np.repeat(fp[0:1, 0], len(cov))} if floored else {}
    diffs = paired_differences(cc.estimate[:, 0], cc.variance[:, 0], np.repeat(pc.estimate[0:1, 0], len(cov)),
                               np.repeat(pc.variance[0:1, 0], len(cov)), cov[:, 0], ce.df, **floors)
    return {g.split(":")[1]: d for g, d in zip(child.groups, diffs)}


@pytest.mark.parametrize("ref", DIFF_REFS, ids=lambda r: f"{r['group']}-{r['index']}")
def test_floored_difference_from_the_whole_and_no_test_from_a_zero_variance(ref):
    # R (reference.R): Var = SE(svycontrast)^2 + max(0, F_agency - V_agency) + max(0, F_all - V_all), F the
    # simple-random-sample variances; "testable" is false where an agency's floored variance is zero.
    from analysis.compare import verdicts
    diff = _differences_from_the_whole(ref["index"], floored=True)[ref["group"].split(":")[1]]
    assert diff.estimate == pytest.approx(100 * ref["estimate"], abs=1e-9)
    assert diff.se == pytest.approx(100 * ref["se_floored"], abs=1e-9)
    assert diff.se >= 100 * ref["se"] - 1e-9
    if ref["testable"]:
        t = stats.t.ppf(0.975, ref["df"])
        assert diff.ci.low == pytest.approx(100 * (ref["estimate"] - t * ref["se_floored"]), abs=1e-9)
    else:
        # Agency E is 100 % satisfied on y1 with 16 answers: before, d = 16.5 points with SE 4.5 read as
        # "above the whole"; now no interval, no p-value and no verdict.
        assert diff.ci is None and diff.p_value is None and verdicts([diff]) == ["undetermined"]


def _edge(ref_name: str, y: list[float], psu: list[str], settings: Settings = Settings()):
    n = len(y)
    values = np.array(y, float)[:, None]
    totals = build_totals(np.array(["g"] * n), np.array(["s"] * n), np.array(psu), np.ones(n),
                          np.ones((n, 1), bool), values, ["y"])
    return compute_indices(totals, settings)["g"]["y"], EDGE_REFS[ref_name]


def test_korn_graubard_keeps_the_df_correction_at_100_percent():
    # 44 answers in 4 PSUs (df = 3). R: svyciprop(method = "beta") for 43/44; at 44/44, where R gives NaN,
    # the same formula with n* = 44 * (qt(.025, 43) / qt(.025, 3))^2 evaluated in R (kg_boundary).
    psu = [str(i // 11) for i in range(44)]
    for name, y in (("edge:44of44", [1.0] * 44), ("edge:43of44", [0.0] + [1.0] * 43)):
        ours, ref = _edge(name, y, psu, Settings(item_interval="korn_graubard"))
        assert ours.ci.low == pytest.approx(100 * ref["kg_low"], abs=1e-9)
        assert ours.ci.high == pytest.approx(100 * ref["kg_high"], abs=1e-9)
    all_of, one_short = _edge("edge:44of44", [1.0] * 44, psu)[0], _edge("edge:43of44", [0.0] + [1.0] * 43, psu)[0]
    # Before: 44/44 gave Clopper-Pearson's [91.96, 100] while 43/44 reached down to the 70s.
    assert all_of.ci.low < 91.96 and all_of.ci.low >= one_short.ci.low


def test_no_zero_width_sipas_interval_when_every_factor_sits_at_0_or_100_percent():
    # 6 respondents in 3 PSUs, four factors at 100 % and one at 0 %: SIPAS 80 with design and i.i.d. variance
    # both 0 (R's svycontrast gives SE 0, a zero-width interval). Fallback as for items: Clopper-Pearson on the
    # component base, x = 0.8 * 6, evaluated in R with qbeta.
    n = 6
    values = np.tile([1.0, 1.0, 1.0, 1.0, 0.0], (n, 1))
    totals = build_totals(np.array(["g"] * n), np.array(["s"] * n), np.array(["a", "a", "b", "b", "c", "c"]),
                          np.ones(n), np.ones((n, 5), bool), values, ITEMS, pair_items=list(range(5)))
    ours = compute_indices(totals, Settings(composites=(SIPAS,)))["g"]["SIPAS"]
    ref = EDGE_REFS["edge:sipas6"]
    assert ours.estimate == pytest.approx(80.0) and ours.se == 0 and ours.se_floored == 0
    assert ours.ci.low == pytest.approx(100 * ref["cp_low"], abs=1e-9)
    assert ours.ci.high == pytest.approx(100 * ref["cp_high"], abs=1e-9)
