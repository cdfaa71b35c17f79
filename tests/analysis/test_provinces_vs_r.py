"""Province estimates of a national file pinned to R's survey package (Debian r-cran-survey 4.1).

The file tests/analysis/fixtures/national_design.csv (written by make_national.py) is a constructed
multi-province design in the interchange format: three provinces of the 2025 map, strata (urban/rural) and
village PSUs nested in them, respondents naming their commune (5 digits) or their province (2 digits) in
`unit_code`, and one agency serving two provinces. The reference numbers are national_reference.json, written
by national_reference.R: each province a domain (subset) of the full design, SIPAS_1001's PART_A, PART_B and
SIPAS as svycontrast of the domain's svytotal, SE and degf. Agreement: 1e-9 percentage points.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import surveys
from analysis.ranks import competition_ranks
from sipas.errors import ValidationFailed
from sipas.services.analysis_plan import plan_for
from sipas.services.interchange import read_table, with_provinces
from sipas.services.results.compute import compute_table

FIXTURES = Path(__file__).parent / "fixtures"
FILE = FIXTURES / "national_design.csv"
REFERENCE = json.loads((FIXTURES / "national_reference.json").read_text())


@pytest.fixture(scope="module")
def national():
    profile = surveys.load("SIPAS_1001")
    table = with_provinces(read_table(FILE, profile), "new_34")
    return compute_table(plan_for(profile), table, ("all", "province", "level", "agency"), seed=7)


@pytest.mark.parametrize("ref", REFERENCE, ids=lambda r: f"{r['province']}-{r['index']}")
def test_province_estimates_match_r_domains_of_the_full_design(national, ref):
    group = national.group("province", ref["province"])
    ours = group.indices[ref["index"]]
    assert group.n == ref["rows"]
    assert ours.estimate == pytest.approx(100 * ref["estimate"], abs=1e-9)
    assert ours.se == pytest.approx(100 * ref["se"], abs=1e-9)
    assert ours.df == ref["df"]


def test_every_province_is_keyed_by_its_official_code_and_ranked_among_provinces(national):
    provinces = national.groups_by("province")
    assert [g.key for g in provinces] == ["01", "08", "12"]
    sipas = [g.indices["SIPAS"].estimate for g in provinces]
    assert [g.rank.rank for g in provinces] == list(competition_ranks(sipas))
    for g in provinces:
        assert g.rank.of == 3 and g.rank.among == "province"
        assert g.rank.rank_low <= g.rank.rank <= g.rank.rank_high
        assert g.rank.sim_low <= g.rank.rank_low and g.rank.rank_high <= g.rank.sim_high


def test_an_agency_serving_two_provinces_stays_one_agency(national):
    profile = surveys.load("SIPAS_1001")
    plain = compute_table(plan_for(profile), read_table(FILE, profile), ("agency",), seed=7)
    ours = {g.key: g for g in national.groups_by("agency")}
    theirs = {g.key: g for g in plain.groups_by("agency")}
    assert set(ours) == set(theirs) and "BHXH" in ours
    for key, g in theirs.items():
        assert ours[key].n == g.n
        assert ours[key].indices["SIPAS"].estimate == pytest.approx(g.indices["SIPAS"].estimate, abs=1e-12)
        assert ours[key].indices["SIPAS"].se == pytest.approx(g.indices["SIPAS"].se, abs=1e-12)
    # The BHXH office's respondents are in both provinces 08 and 12; each province counts its own.
    assert ours["BHXH"].parent is None
    assert sum(g.n for g in national.groups_by("province")) == national.group("all", "all").n


def test_unit_codes_are_read_on_the_named_map(tmp_path):
    profile = surveys.load("SIPAS_1001")
    text = FILE.read_text().splitlines()
    header = text[0].split(",")
    col = header.index("unit_code")
    rows = [line.split(",") for line in text[1:4]]
    rows[0][col], rows[1][col], rows[2][col] = "02", "", "99999"  # Hà Giang (old map only), blank, no commune
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([text[0]] + [",".join(r) for r in rows]) + "\n")
    table = read_table(bad, profile)
    with pytest.raises(ValidationFailed) as exc:
        with_provinces(table, "new_34")
    assert exc.value.problems == [
        "row 2, column unit_code: '02' is neither a province (2 digits) nor a commune (5 digits) of the map new_34",
        "row 3, column unit_code: empty of the map new_34",
        "row 4, column unit_code: '99999' is neither a province (2 digits) nor a commune (5 digits) of the map "
        "new_34"]
    assert table.province is None  # nothing changed
    # On the 63-province map "02" is Hà Giang.
    rows[1][col], rows[2][col] = "01", "00004"
    good = tmp_path / "old.csv"
    good.write_text("\n".join([text[0]] + [",".join(r) for r in rows]) + "\n")
    assert list(with_provinces(read_table(good, profile), "historical_63").province) == ["02", "01", "01"]


def test_grouping_by_province_without_unit_codes_is_refused(tmp_path):
    profile = surveys.load("SIPAS_1001")
    table = read_table(FILE, profile)
    without = table.__class__(**{**table.__dict__, "unit_code": None})
    for attempt in (lambda: with_provinces(without, "new_34"),
                    lambda: compute_table(plan_for(profile), table, ("province",))):
        with pytest.raises(ValidationFailed) as exc:
            attempt()
        assert "unit_code" in exc.value.problems[0]


def test_cli_analyze_a_file_by_province(app, tmp_path):
    out = tmp_path / "x.json"
    result = app.test_cli_runner().invoke(args=["analyze", str(FILE), "--profile", "SIPAS_1001", "--by",
                                                "all,province", "--seed", "7", "--output", str(out)])
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    provinces = [g for g in payload["groups"] if g["by"] == "province"]
    assert [g["key"] for g in provinces] == ["01", "08", "12"]
    for g in provinces:
        assert set(g["rank"]) >= {"rank", "of", "rank_low", "rank_high", "sim_low", "sim_high"}
        assert {"SIPAS", "PART_A", "PART_B"} <= set(g["indices"])
    ref = {(r["province"], r["index"]): r for r in REFERENCE}
    assert provinces[1]["indices"]["PART_B"]["estimate"] == pytest.approx(100 * ref[("08", "PART_B")]["estimate"],
                                                                          abs=1e-9)
    lines = [line.split(",") for line in FILE.read_text().splitlines()]
    col = lines[0].index("unit_code")
    bare = tmp_path / "bare.csv"
    bare.write_text("\n".join(",".join(r[:col] + r[col + 1:]) for r in lines) + "\n")
    failed = app.test_cli_runner().invoke(args=["analyze", str(bare), "--profile", "SIPAS_1001", "--by", "province",
                                                "--output", str(tmp_path / "y.json")])
    assert failed.exit_code == 1 and "unit_code" in failed.output and not (tmp_path / "y.json").exists()
    # Without --by province the column is not needed.
    plain = app.test_cli_runner().invoke(args=["analyze", str(bare), "--profile", "SIPAS_1001", "--output",
                                               str(tmp_path / "z.json")])
    assert plain.exit_code == 0, plain.output
