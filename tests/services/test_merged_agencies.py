"""Year on year across an agency merger: a merged agency against its predecessors pooled, a continuing one directly.

A small hand-checked case (SIPAS_1001, every respondent answering all 14 items alike, so every index is the
weighted share of satisfied respondents; no strata or PSUs):
- 2024: department A, 4 respondents of weight 1, 3 satisfied; department B, 6 respondents of weight 2, 2
  satisfied; department D (continues), 5 respondents of weight 1, 4 satisfied.
- A and B merged into C on 1 March 2025 (succession links A -> C and B -> C).
- 2026: C, 10 respondents of weight 1, 8 satisfied (80 %); D, 5 respondents, 3 satisfied (60 %).
Pooled, A and B are one domain of the 2024 design: (3 x 1 + 2 x 2) / (4 x 1 + 6 x 2) = 7/16 = 43.75 %, not the
mean of their indices ((75 + 33.33) / 2 = 54.17 %). So C changed by 80 - 43.75 = 36.25 points, D by
60 - 80 = -20 points; in rank C went from 2nd (43.75 < 80) to 1st (80 > 60), D from 1st to 2nd.
"""
from __future__ import annotations

import csv
from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

import surveys
from sipas.db import session_factory
from sipas.models import (
    AdminMap,
    AdminUnit,
    Agency,
    AgencyKind,
    AgencySuccession,
    Level,
    Response,
    ResultSet,
    Round,
    RoundStatus,
)
from sipas.recompute import refresh_now
from sipas.services.interchange import read_table
from sipas.services.interchange_import import import_table
from sipas.services.results import facts, store
from sipas.services.results.compute import compute_round, remap_due
from sipas.services.results.succession import agency_lineage, lineage
from sipas.services.workbook import build_workbook, report_data

ITEMS = [f"P{k}" for k in range(1, 10)] + [f"S{k}" for k in range(1, 6)]
MERGER = date(2025, 3, 1)


def test_lineage_pools_merged_predecessors_follows_chains_and_refuses_splits():
    merged = lineage([("A", "C"), ("B", "C")], ["A", "B", "D"])
    assert dict(merged.base) == {"A": "C", "B": "C"} and dict(merged.pooled) == {"C": ("A", "B")}
    assert not merged.split
    # A continuing agency that absorbs another is pooled with it; links are followed to their end.
    chain = lineage([("X", "Y"), ("Y", "Z"), ("W", "Z")], ["X", "W", "Z"])
    assert dict(chain.pooled) == {"Z": ("W", "X", "Z")}
    # Part of S went to T and part to U: neither is compared with a guessed share of S.
    split = lineage([("S", "T"), ("S", "U")], ["S", "T"])
    assert split.split == {"T", "U"} and not split.pooled and not split.base
    assert not lineage([], ["A"])


def _round(session, tmp_path, code, year, agencies, rows):
    rnd = Round(code=code, name=code, year=year, method_version="SIPAS_1001", profile_key="SIPAS_1001",
                admin_map=AdminMap.NEW_34, jurisdiction=None, status=RoundStatus.CLOSED, channels=["import"],
                opens_on=date(year, 8, 1), closes_on=date(year, 11, 30), agencies=agencies)
    session.add(rnd)
    session.flush()
    path = tmp_path / f"{code}.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["response_id", "agency_code", "level", "weight"] + ITEMS)
        for agency, n, satisfied, weight in rows:
            for i in range(n):
                w.writerow([f"{agency}-{i}", agency, "province", weight] + [5 if i < satisfied else 2] * len(ITEMS))
    created, _, problems = import_table(session, rnd, read_table(path, surveys.load("SIPAS_1001")))
    assert problems == []
    return rnd


@pytest.fixture
def two_rounds(session, tmp_path):
    province = AdminUnit(code="12", name="Tỉnh Lai Châu", admin_map=AdminMap.NEW_34, level=Level.PROVINCE)
    session.add(province)
    agencies = {c: Agency(code=c, name=f"Sở {c}", name_en=f"Department {c}", kind=AgencyKind.DEPARTMENT,
                          level=Level.PROVINCE, unit=province) for c in "ABCD"}
    session.add_all(agencies.values())
    session.flush()
    session.add_all([AgencySuccession(predecessor_id=agencies[p].id, successor_id=agencies["C"].id, share=1.0,
                                      effective_on=MERGER) for p in "AB"])
    before = _round(session, tmp_path, "T-2024", 2024, [agencies[c] for c in "ABD"],
                    [("A", 4, 3, 1.0), ("B", 6, 2, 2.0), ("D", 5, 4, 1.0)])
    after = _round(session, tmp_path, "T-2026", 2026, [agencies[c] for c in "CD"],
                   [("C", 10, 8, 1.0), ("D", 5, 3, 1.0)])
    session.commit()
    return before, after


def test_a_merged_agency_is_compared_with_its_predecessors_pooled(session, two_rounds):
    before, after = two_rounds
    assert dict(agency_lineage(session, before, after).pooled) == {"C": ("A", "B")}
    results = compute_round(session, after, by=("all", "agency"))
    c = results.group("agency", "C").change["SIPAS"]
    assert c.basis == "predecessors_pooled" and c.previous_round == "T-2024" and c.previous_year == 2024
    assert c.previous_estimate == pytest.approx(100 * 7 / 16)  # one domain, not (75 + 33.3) / 2
    assert c.contrast.estimate == pytest.approx(80 - 100 * 7 / 16)
    assert c.contrast.ci.low < c.contrast.estimate < c.contrast.ci.high and c.contrast.verdict is not None
    d = results.group("agency", "D").change["SIPAS"]
    assert d.basis == "direct" and d.previous_estimate == pytest.approx(80.0)
    assert d.contrast.estimate == pytest.approx(-20.0)
    # Rank movement among the 2024 agencies as the 2026 round sees them (C pooled: 43.75 % ranks 2nd of 2).
    assert c.rank_movement == 1 and d.rank_movement == -1
    # The round on its own is untouched: A and B are still two agencies of 2024.
    own = compute_round(session, before, by=("agency",), with_previous=False)
    assert sorted(g.key for g in own.groups_by("agency")) == ["A", "B", "D"]


def test_a_merger_after_the_later_round_is_not_applied(session, two_rounds):
    before, after = two_rounds
    session.query(AgencySuccession).update({AgencySuccession.effective_on: date(2027, 1, 1)})
    session.commit()
    assert not agency_lineage(session, before, after)
    c = compute_round(session, after, by=("agency",)).group("agency", "C").change["SIPAS"]
    assert c.reason == "NOT_IN_PREVIOUS" and c.contrast is None


def test_lai_chau_2026_compares_with_2024_on_the_new_map_its_merged_departments_pooled(demo_app, monkeypatch):
    """Lai Châu was left whole by the 2025 merger, so its 2026 round compares with 2024 re-estimated on the new
    map; the job stored that re-estimate once, beside 2024's own results, and the 2026 computation reads it."""
    import sipas.services.results.compute as compute
    s = session_factory(demo_app)()
    r24, r26 = (s.scalar(select(Round).where(Round.code == c)) for c in ("LCU-2024", "LCU-2026"))
    info = store.remapped_info(s, r24, AdminMap.NEW_34)
    assert info is not None and info.snapshot == facts.fingerprint(s, r24) and remap_due(s, r24) is None
    assert store.provisional_info(s, r24).id != info.id
    base = store.load(s, info.id)
    assert base.admin_map == "new_34" and store.load(s, store.provisional_info(s, r24).id).admin_map == "historical_63"
    agencies = {g.key for g in base.groups_by("agency")}
    assert {"LCU.SNNMT", "LCU.STC", "LCU.STP"} <= agencies and not {"LCU.STNMT", "LCU.SKHDT"} & agencies
    assert base.label("agency", "LCU.SNNMT").name == "Sở Nông nghiệp và Môi trường"
    monkeypatch.setattr(compute, "comparison_base", lambda *a, **k: pytest.fail("2024 re-estimated again"))
    now = compute_round(s, r26)
    merged = now.group("agency", "LCU.SNNMT").change["SIPAS"]
    assert merged.basis == "predecessors_pooled" and merged.previous_round == "LCU-2024"
    assert merged.previous_estimate == base.group("agency", "LCU.SNNMT").indices["SIPAS"].estimate
    assert merged.contrast is not None and merged.contrast.ci is not None
    assert now.group("agency", "LCU.STP").change["SIPAS"].basis == "re_estimated"
    assert now.group("all", "all").change["SIPAS"].contrast is not None
    s.close()


def test_the_stored_re_estimate_is_replaced_when_the_earlier_rounds_responses_change(demo_app):
    s = session_factory(demo_app)()
    r24 = s.scalar(select(Round).where(Round.code == "LCU-2024"))
    first = store.remapped_info(s, r24, AdminMap.NEW_34)
    response = s.scalar(select(Response).where(Response.round_id == r24.id).limit(1))
    response.weight *= 3
    s.commit()
    assert remap_due(s, r24).code == "LCU-2026"
    refresh_now(demo_app, r24.id)
    s.expire_all()
    again = store.remapped_info(s, r24, AdminMap.NEW_34)
    assert again.snapshot == facts.fingerprint(s, r24) != first.snapshot and remap_due(s, r24) is None
    # Still one re-estimate and one provisional set of the round's own.
    assert s.scalar(select(func.count()).select_from(ResultSet).where(ResultSet.round_id == r24.id)) == 2
    s.close()


def test_the_workbook_labels_a_merged_departments_change(demo_app):
    """The scorecard of Sở Nông nghiệp và Môi trường gives its change against its predecessors pooled, in words."""
    s = session_factory(demo_app)()
    r26 = s.scalar(select(Round).where(Round.code == "LCU-2026"))
    book = load_workbook(BytesIO(build_workbook(report_data(s, r26), "vi")), read_only=True)
    cells = [str(c) for row in book["Thẻ điểm"].iter_rows(values_only=True) for c in row if c is not None]
    change_row = "Thay đổi SIPAS so với kỳ trước (điểm %)"

    def note_of(agency: str) -> list[str]:
        at = cells.index(agency)
        row = cells.index(change_row, at)
        return cells[row + 1:row + 3]  # the change in points, then its note

    assert note_of("Sở Nông nghiệp và Môi trường")[1] == "so với các cơ quan tiền thân gộp lại (2024)"
    assert note_of("Sở Tư pháp")[1] == "so với 2024 – tính lại theo địa giới mới"
    s.close()
