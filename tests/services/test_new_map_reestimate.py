"""An old-map (63-province) round re-estimated on the 2025 map through the crosswalk loaded from the packages.

A small hand-checked case, every respondent answering all 14 SIPAS_1001 items alike (so each index is the share
of satisfied respondents), weight 1, no PSUs:
- Phường Quang Trung (00688, Hà Giang 02): a split commune, into Phường Hà Giang 1 (00694) and Hà Giang 2
  (00691, the source's default successor), both in the new Tuyên Quang (08): 4 respondents, 2 satisfied.
- Phường Phan Thiết (02200, Tuyên Quang 08): 2 respondents, none satisfied.
- Sở Tư pháp Hà Giang (province 02, merged into Tuyên Quang 08): 2 respondents, both satisfied.
- Phường Quyết Thắng (03386, Lai Châu 12, a province the merger left unchanged): 3 respondents, all satisfied.
On the old map: 02 = 4/6, 08 = 0/2, 12 = 3/3. On the new map: 08 = (2 + 0 + 2)/(4 + 2 + 2) = 50 %, 12 = 100 %.
"""
from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import select

import surveys
from sipas.models import AdminMap, AdminUnit, Agency, AgencyKind, Level, Round, RoundStatus
from sipas.services.interchange import read_table
from sipas.services.interchange_import import import_table
from sipas.services.results.compute import compute_round
from sipas.services.units import import_admin_maps, successor_on_new_map

ITEMS = [f"P{k}" for k in range(1, 10)] + [f"S{k}" for k in range(1, 6)]
# (agency code, level, old unit level, old unit code, answers: one value per respondent)
AGENCIES = [("QT", Level.COMMUNE, Level.COMMUNE, "00688", [5, 4, 2, 1]),
            ("PT", Level.COMMUNE, Level.COMMUNE, "02200", [2, 3]),
            ("STP.HG", Level.PROVINCE, Level.PROVINCE, "02", [5, 5]),
            ("QTH", Level.COMMUNE, Level.COMMUNE, "03386", [4, 5, 4])]


def _old(session, level, code):
    return session.scalars(select(AdminUnit).where(AdminUnit.admin_map == AdminMap.HISTORICAL_63,
                                                   AdminUnit.level == level, AdminUnit.code == code)).one()


@pytest.fixture
def old_round(session, tmp_path):
    import_admin_maps(session)
    agencies = [Agency(code=code, name=code, kind=AgencyKind.PEOPLES_COMMITTEE, level=level,
                       unit=_old(session, unit_level, unit_code))
                for code, level, unit_level, unit_code, _ in AGENCIES]
    rnd = Round(code="VN-T24", name="SIPAS 2024 (test)", year=2024, method_version="SIPAS_1001",
                profile_key="SIPAS_1001", admin_map=AdminMap.HISTORICAL_63, jurisdiction=None,
                status=RoundStatus.CLOSED, channels=["import"], agencies=agencies)
    session.add(rnd)
    session.flush()
    path = tmp_path / "r.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["response_id", "agency_code", "level"] + ITEMS)
        for code, level, _, _, answers in AGENCIES:
            for i, value in enumerate(answers):
                w.writerow([f"{code}-{i}", code, level.value] + [value] * len(ITEMS))
    created, _, problems = import_table(session, rnd, read_table(path, surveys.load("SIPAS_1001")))
    assert (created, problems) == (11, [])
    session.commit()
    return rnd


def _sipas(results, by):
    """(respondents, SIPAS, PART_A, PART_B) per group, rounded to 9 decimals (sums of floats)."""
    return {g.key: (g.n, *(round(g.indices[c].estimate, 9) for c in ("SIPAS", "PART_A", "PART_B")))
            for g in results.groups_by(by)}


def test_an_old_round_on_its_own_map_and_on_the_new_one(session, old_round):
    own = compute_round(session, old_round, by=("all", "province", "agency"))
    assert own.admin_map == "historical_63"
    two_thirds = round(400 / 6, 9)
    assert _sipas(own, "province") == {"02": (6, two_thirds, two_thirds, two_thirds), "08": (2, 0.0, 0.0, 0.0),
                                       "12": (3, 100.0, 100.0, 100.0)}
    new = compute_round(session, old_round, by=("all", "province", "agency"), admin_map=AdminMap.NEW_34)
    assert new.admin_map == "new_34"
    # Hà Giang and Tuyên Quang are one province now; Lai Châu is as it was.
    assert _sipas(new, "province") == {"08": (8, 50.0, 50.0, 50.0), "12": (3, 100.0, 100.0, 100.0)}
    assert new.label("province", "08").name == "Tỉnh Tuyên Quang"
    # The whole round and its agencies do not depend on the map.
    assert _sipas(new, "all") == _sipas(own, "all") and _sipas(new, "agency") == _sipas(own, "agency")
    assert {g.key: g.parent for g in new.groups_by("agency")} == {"QT": "08", "PT": "08", "STP.HG": "08",
                                                                 "QTH": "12"}
    ranks = {g.key: (g.rank.rank, g.rank.of, g.rank.among) for g in new.groups_by("province")}
    assert ranks == {"12": (1, 2, "province"), "08": (2, 2, "province")}


def test_a_split_commune_goes_to_the_successor_the_source_names_first(session, old_round):
    split = _old(session, Level.COMMUNE, "00688")
    assert (successor_on_new_map(session, split).code, successor_on_new_map(session, split).name) == \
        ("00691", "Phường Hà Giang 2")


def test_cli_re_estimates_on_the_new_map_and_never_stores_it(app, session, old_round, tmp_path):
    out = tmp_path / "x.json"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["analyze", "--round", "VN-T24", "--map", "new_34", "--by", "all,province",
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert payload["admin_map"] == "new_34"
    assert sorted(g["key"] for g in payload["groups"] if g["by"] == "province") == ["08", "12"]
    refused = runner.invoke(args=["analyze", "--round", "VN-T24", "--map", "new_34", "--store", "--output",
                                  str(tmp_path / "y.json")])
    assert refused.exit_code == 1 and "--store" in refused.output and not (tmp_path / "y.json").exists()
    # A national round without --by is grouped by province too, on its own map.
    runner.invoke(args=["analyze", "--round", "VN-T24", "--output", str(out)])
    assert sorted(g["key"] for g in json.loads(out.read_text())["groups"] if g["by"] == "province") == \
        ["02", "08", "12"]
