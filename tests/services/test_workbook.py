"""The SIPAS workbook, opened back with openpyxl and checked against the analysis (not the writer's inputs)."""
from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from sipas.db import session_factory
from sipas.models import Agency, Channel, Response, ResponseStatus, Round
from sipas.reports.tables import r2
from sipas.services import publishing, reporting
from sipas.services.report import build_workbook, gather
from sipas.services.responses import Design, Submission, record_response


@pytest.fixture
def session(demo_app):
    s = session_factory(demo_app)()
    yield s
    s.close()


def _round(session, code):
    return session.scalar(select(Round).where(Round.code == code))


def _body(ws):
    """Rows under the header (first column filled), as value lists."""
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r and r[0] in ("Chỉ số", "Hạng", "Cấp", "Mục", "Mã", "Index", "Rank"))
    depth = 2 if rows[start + 1][0] is None else 1
    return [list(r) for r in rows[start + depth:] if r and r[0] is not None]


def test_half_up_rounding_for_display():
    assert r2(2.675) == 2.68 and r2(69.333333) == 69.33 and r2(None) is None and r2(-1.005) == -1.01


def test_workbook_sheets_and_summary_match_the_analysis(session):
    rnd = _round(session, "LCU-2024")
    wb = load_workbook(BytesIO(build_workbook(gather(session, rnd))))
    assert wb.sheetnames == ["Bìa", "Tổng hợp", "Theo cấp", "Theo cơ quan", "Tiêu chí", "Mong đợi", "Hành vi", "Kênh",
                             "Người trả lời", "Phương pháp"]
    independent = reporting.analyse_round(session, rnd)["groups"][0]["indices"]
    summary = {row[0]: row for row in _body(wb["Tổng hợp"])}
    sipas = summary["Chỉ số SIPAS"]
    assert sipas[1] == r2(independent["SIPAS"]["estimate"]) and sipas[2] == r2(independent["SIPAS"]["ci_low"])
    assert sipas[3] == r2(independent["SIPAS"]["ci_high"]) and sipas[4] == independent["SIPAS"]["n"]
    assert summary["F5. Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị"][1] == r2(independent["F5"]["estimate"])
    ws = wb["Tổng hợp"]
    assert ws.freeze_panes and ws.page_setup.orientation == "landscape" and len(ws._charts) == 1
    assert ws["B6"].number_format == "0.00"
    assert "A4:A5" in {str(r) for r in ws.merged_cells.ranges}  # two-level header


def test_agencies_are_ranked_within_their_level_on_unrounded_sipas_low_base_included(session):
    rnd = _round(session, "LCU-2026")
    wb = load_workbook(BytesIO(build_workbook(gather(session, rnd))))
    rows = _body(wb["Theo cơ quan"])
    result = reporting.analyse_round(session, rnd)
    agencies = {g["key"]: g for g in result["groups"] if g["by"] == "agency" and g["channel_group"] == "sampled"}
    assert len(rows) == len(agencies)
    levels = {rnd_agency.code: rnd_agency.level.value for rnd_agency in rnd.agencies}
    for level in ("province", "commune"):
        tier = [r for r in rows if levels[r[2]] == level]
        expected = sorted((c for c in agencies if levels[c] == level),
                          key=lambda c: -agencies[c]["indices"]["SIPAS"]["estimate"])
        # Departments among departments, communes among communes: x/N restarts at 1 in each level.
        assert [r[2] for r in tier] == expected
        assert [r[0] for r in tier][0] == f"1/{len(expected)}"
        for r in tier:
            low, high = (int(x) for x in r[1].split("–"))
            assert low <= int(r[0].split("/")[0]) <= high
    # Low-base agencies are no longer left out: the demo's communes (50 forms in 6 day-PSUs, df < 8) are ranked.
    low_base = [c for c, g in agencies.items() if g["indices"]["SIPAS"]["low_base"]]
    assert low_base and all(agencies[c]["rank"]["rank"] is not None for c in low_base)
    assert all(agencies[c]["rank"]["note"] == "low_base" for c in low_base)


def test_year_on_year_across_the_2025_map_is_not_computed(session):
    wb = load_workbook(BytesIO(build_workbook(gather(session, _round(session, "LCU-2026")))))
    sipas = _body(wb["Tổng hợp"])[0]
    assert sipas[6] is None and "địa giới hành chính" in sipas[7]


def test_typed_text_starting_with_formula_characters_stays_text(session):
    agency = session.scalar(select(Agency).where(Agency.code == "LCU.STP"))
    agency.name = '=HYPERLINK("http://evil","x")'
    session.commit()
    rnd = _round(session, "LCU-2026")
    data = gather(session, rnd, with_data=True)
    wb = load_workbook(BytesIO(build_workbook(data)))
    cells = [c for row in wb["Theo cơ quan"].iter_rows() for c in row if isinstance(c.value, str)
             and c.value.startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)
    for prefix in ("+", "-", "@"):
        agency.name = f"{prefix}cmd|' /C calc'!A0"
        session.commit()
        wb = load_workbook(BytesIO(build_workbook(gather(session, rnd))))
        cells = [c for row in wb["Theo cơ quan"].iter_rows() for c in row if c.value == agency.name]
        assert cells and all(c.data_type == "s" for c in cells)


def test_data_sheet_has_every_valid_response_and_the_cover_says_so(session):
    rnd = _round(session, "LCU-2024")
    data = gather(session, rnd, with_data=True)
    wb = load_workbook(BytesIO(build_workbook(data)), read_only=True)
    valid = session.scalar(select(func.count()).select_from(Response).where(
        Response.round_id == rnd.id, Response.status == ResponseStatus.VALID))
    data_rows = sum(1 for r in wb["Dữ liệu"].iter_rows(min_row=4, values_only=True) if r and r[0])
    assert data_rows == valid
    cover = {r[0]: r[1] for r in wb["Bìa"].iter_rows(values_only=True) if len(r) > 1 and r[0]}
    assert cover["Số dòng dữ liệu (sheet Dữ liệu)"].replace(".", "") == str(valid)
    wb.close()


def test_published_rounds_export_the_frozen_figures(session):
    rnd = _round(session, "LCU-2026")
    first = publishing.publish(session, rnd)
    session.commit()
    before = load_workbook(BytesIO(build_workbook(gather(session, rnd))))
    # New data arrives after publication: the published report does not change.
    agency = session.scalar(select(Agency).where(Agency.code == "LCU.STP"))
    for _ in range(30):
        submission = Submission(rnd, agency, {"S1": 1, "S2": 1, "S3": 1, "S4": 1, "S5": 1}, Channel.INVITATION,
                                design=Design("province", "LCU.STP.MC/D01", 50.0))
        record_response(session, submission, check_open=False)
    session.commit()
    after = load_workbook(BytesIO(build_workbook(gather(session, rnd))))
    for name in ("Tổng hợp", "Theo cấp", "Theo cơ quan", "Tiêu chí"):
        assert _body(before[name]) == _body(after[name])
    cover = {r[0]: r[1] for r in after["Bìa"].iter_rows(values_only=True) if r and r[0]}
    assert f"phiên bản {first.version}" in cover["Trạng thái"]
    second = publishing.publish(session, rnd)
    session.commit()
    assert second.version == first.version + 1
    again = load_workbook(BytesIO(build_workbook(gather(session, rnd))))
    assert _body(again["Tổng hợp"])[0][1] < _body(before["Tổng hợp"])[0][1]  # the new version saw the new data


def test_english_workbook_on_request(session):
    wb = load_workbook(BytesIO(build_workbook(gather(session, _round(session, "LCU-2024")), "en")))
    assert wb.sheetnames[:4] == ["Cover", "Summary", "By level", "By agency"]


def test_a_kiosk_round_reports_its_self_selected_figures_labelled_as_such(session):
    wb = load_workbook(BytesIO(build_workbook(gather(session, _round(session, "LCU-KIOSK-2026")))))
    rows = list(wb["Tổng hợp"].iter_rows(values_only=True))
    assert any(r and r[0] and "không phải mẫu điều tra" in str(r[0]) for r in rows)
    assert _body(wb["Tổng hợp"])[0][0] == "Chỉ số SIPAS" and _body(wb["Tổng hợp"])[0][1] is not None
