"""The SIPAS workbook, opened back with openpyxl and checked against the analysis (not the writer's inputs), and
a published version rebuilt byte for byte after responses are added, imported and changed."""
from __future__ import annotations

import csv
import hashlib
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from sipas.cli.collection import import_responses
from sipas.db import session_factory
from sipas.models import Agency, Channel, Response, ResponseStatus, Round, RoundStatus
from sipas.recompute import refresh_now
from sipas.reports.sheets import r2
from sipas.services.responses import Design, Submission, record_response
from sipas.services.results import publish, store
from sipas.services.results.compute import compute_round
from sipas.services.workbook import build_workbook, report_data
from sipas.words import thousands


@pytest.fixture
def session(demo_app):
    s = session_factory(demo_app)()
    yield s
    s.close()


def _round(session, code):
    return session.scalar(select(Round).where(Round.code == code))


def gather(session, rnd, **kwargs):
    """The report data from the stored results (the demo's are stored when it is loaded)."""
    return report_data(session, rnd, **kwargs)


def _body(ws):
    """Rows under the header (first column filled), as value lists."""
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r and r[0] in ("Chỉ số", "Hạng (tập hạng 95%)", "Cấp", "Mục", "Mã",
                                                                   "Yếu tố", "Index", "Rank (95% rank set)"))
    depth = 2 if rows[start + 1][0] is None else 1
    return [list(r) for r in rows[start + depth:] if r and r[0] is not None]


def _publish(session, rnd, note=None):
    prepared = publish.prepare(session, rnd)
    rs = publish.save_publication(session, rnd, prepared, note=note)
    session.commit()
    return rs


def test_half_up_rounding_for_display():
    assert r2(2.675) == 2.68 and r2(69.333333) == 69.33 and r2(None) is None and r2(-1.005) == -1.01


def test_workbook_sheets_and_summary_match_the_analysis(session):
    rnd = _round(session, "LCU-2024")
    wb = load_workbook(BytesIO(build_workbook(gather(session, rnd))))
    assert wb.sheetnames == ["Bìa", "Mẫu khảo sát", "Tổng hợp", "Theo cấp", "Theo cơ quan", "Thẻ điểm",
                             "Chủ đề ý kiến", "Tiêu chí", "Tiêu chí theo cơ quan", "Mong đợi", "Hành vi", "Kênh",
                             "Người trả lời", "Phương pháp"]
    independent = compute_round(session, rnd).group("all", "all").indices
    summary = {row[0]: row for row in _body(wb["Tổng hợp"])}
    sipas = summary["Chỉ số SIPAS"]
    assert sipas[1] == r2(independent["SIPAS"].estimate) and sipas[2] == r2(independent["SIPAS"].ci.low)
    assert sipas[3] == r2(independent["SIPAS"].ci.high) and sipas[4] == independent["SIPAS"].n
    assert summary["Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị"][1] == r2(independent["F5"].estimate)
    ws = wb["Tổng hợp"]
    assert ws.freeze_panes and ws.page_setup.orientation in ("portrait", "landscape") and len(ws._charts) == 1
    assert ws["B6"].number_format == "0.00"
    assert "A4:A5" in {str(r) for r in ws.merged_cells.ranges}  # two-level header


def test_agencies_are_ranked_within_their_level_on_unrounded_sipas_low_base_included(session):
    rnd = _round(session, "LCU-2026")
    wb = load_workbook(BytesIO(build_workbook(gather(session, rnd))))
    rows = _body(wb["Theo cơ quan"])
    result = compute_round(session, rnd)
    agencies = {g.key: g for g in result.groups_by("agency")}
    assert len(rows) == len(agencies)
    levels = {rnd_agency.code: rnd_agency.level.value for rnd_agency in rnd.agencies}
    for level in ("province", "commune"):
        tier = [r for r in rows if levels[r[1]] == level]
        expected = sorted((c for c in agencies if levels[c] == level), key=lambda c: -agencies[c].estimate("SIPAS"))
        # Departments among departments, communes among communes: x/N restarts at 1 in each level.
        assert [r[1] for r in tier] == expected
        assert tier[0][0].startswith(f"1/{len(expected)} (1–")
        for r in tier:
            # "7/34 (5–10)": rank, N and the rank set in one cell.
            rank, rest = r[0].split("/")
            low, high = (int(x) for x in rest.split("(")[1].rstrip(")").split("–"))
            assert low <= int(rank) <= high
    # Low-base agencies are no longer left out: the demo's communes (50 forms in 6 day-PSUs, df < 8) are ranked.
    low_base = [c for c, g in agencies.items() if g.indices["SIPAS"].low_base]
    assert low_base and all(agencies[c].rank.rank is not None for c in low_base)
    assert all(agencies[c].rank.note == "low_base" for c in low_base)


def test_year_on_year_across_the_2025_map_is_against_the_re_estimate(session):
    """Lai Châu was left whole by the 2025 merger: 2026 is compared with 2024 re-estimated on the new map."""
    rnd = _round(session, "LCU-2026")
    whole = store.load(session, store.provisional_info(session, rnd).id).group("all", "all")
    change = whole.change["SIPAS"]
    assert change.basis == "re_estimated" and change.previous_round == "LCU-2024"
    wb = load_workbook(BytesIO(build_workbook(gather(session, rnd))))
    sipas = _body(wb["Tổng hợp"])[0]
    assert sipas[6] == r2(whole.estimate("SIPAS") - change.previous_estimate)
    assert sipas[7] == "so với 2024 – tính lại theo địa giới mới"


def test_typed_text_starting_with_formula_characters_stays_text(demo_app, session):
    agency = session.scalar(select(Agency).where(Agency.code == "LCU.STP"))
    agency.name = '=HYPERLINK("http://evil","x")'
    session.commit()
    rnd = _round(session, "LCU-2026")
    # Names are frozen with the results: the recomputation (what the job runner does) takes the new name.
    refresh_now(demo_app, rnd.id, force=True)
    data = gather(session, rnd, with_data=True)
    wb = load_workbook(BytesIO(build_workbook(data)))
    cells = [c for row in wb["Theo cơ quan"].iter_rows() for c in row if isinstance(c.value, str)
             and c.value.startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)
    for prefix in ("+", "-", "@"):
        agency.name = f"{prefix}cmd|' /C calc'!A0"
        session.commit()
        refresh_now(demo_app, rnd.id, force=True)
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
    assert cover["Số dòng dữ liệu (sheet Dữ liệu)"] == valid
    wb.close()


def test_english_workbook_on_request(session):
    wb = load_workbook(BytesIO(build_workbook(gather(session, _round(session, "LCU-2024")), "en")))
    assert wb.sheetnames[:5] == ["Cover", "Sample accounting", "Summary", "By level", "By agency"]


def test_a_kiosk_round_reports_its_self_selected_figures_labelled_as_such(session):
    wb = load_workbook(BytesIO(build_workbook(gather(session, _round(session, "LCU-KIOSK-2026")))))
    rows = list(wb["Tổng hợp"].iter_rows(values_only=True))
    assert any(r and r[0] and "không phải mẫu điều tra" in str(r[0]) for r in rows)
    # Never titled as the official index: not on the cover, not on the Summary's first row, not in the footer.
    first = _body(wb["Tổng hợp"])[0]
    assert first[0] == "Chỉ số đánh giá tại quầy (không phải Chỉ số SIPAS chính thức)" and first[1] is not None
    assert not any(r and r[0] == "Chỉ số SIPAS" for r in rows)
    assert "KHÔNG PHẢI CHỈ SỐ SIPAS CHÍNH THỨC" in wb["Bìa"]["A1"].value
    assert "CHỈ SỐ HÀI LÒNG" not in wb["Bìa"]["A1"].value
    assert all("không phải chỉ số sipas chính thức" in ws.oddFooter.left.text.lower() for ws in wb.worksheets)


HEADER = ["response_id", "agency_code", "level", "stratum", "psu", "weight", "S1", "S2", "S3", "S4", "S5"]


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _all_sheets(content: bytes) -> dict[str, list]:
    wb = load_workbook(BytesIO(content))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def test_a_published_version_is_rebuilt_byte_for_byte_whatever_changes_afterwards(demo_app, session, tmp_path):
    rnd = _round(session, "LCU-2026")
    first = _publish(session, rnd)
    assert session.get(Round, rnd.id).status is RoundStatus.OPEN  # publishing does not close the round
    before = {lang: build_workbook(gather(session, rnd, with_data=True), lang) for lang in ("vi", "en")}
    cover = {r[0]: r[1] for r in _all_sheets(before["vi"])["Bìa"] if r and r[0]}
    published_rows = session.scalar(select(func.count()).select_from(Response).where(
        Response.round_id == rnd.id, Response.status == ResponseStatus.VALID))
    assert f"phiên bản {first.version}" in cover["Trạng thái"] and first.responses == published_rows
    # After publication: new responses (a channel the round collects), an import, a changed status and weight,
    # a renamed agency, a renamed round.
    agency = session.scalar(select(Agency).where(Agency.code == "LCU.STP"))
    for _ in range(30):
        submission = Submission(rnd, agency, {"S1": 1, "S2": 1, "S3": 1, "S4": 1, "S5": 1}, Channel.INVITATION,
                                design=Design("province", "LCU.STP.MC/D01", 50.0))
        record_response(session, submission, check_open=False)
    changed = session.scalars(select(Response).where(Response.round_id == rnd.id).order_by(Response.id)
                              .limit(3)).all()
    changed[0].status = ResponseStatus.VOID
    changed[1].weight = changed[1].weight * 3
    agency.name = "Sở Tư pháp (tên mới)"
    session.get(Round, rnd.id).name = "Tên đợt đã đổi"
    session.commit()
    path = tmp_path / "late.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEADER] + [[f"late-{i}", "LCU.STP", "province", "province", "LCU.STP.MC/D02",
                                             "40", "1", "1", "1", "1", "1"] for i in range(20)])
    refused = demo_app.test_cli_runner().invoke(import_responses, [str(path), "--round", "LCU-2026"])
    assert refused.exit_code == 1 and "was published (version 1" in refused.output
    corrected = demo_app.test_cli_runner().invoke(import_responses, [str(path), "--round", "LCU-2026",
                                                                     "--correction", "phiếu nhập muộn"])
    assert corrected.exit_code == 0, corrected.output
    assert "correction published as version 2" in corrected.output
    session.expire_all()
    # Version 1, rebuilt now: the same bytes, every sheet and the data sheet included, in both languages.
    for lang in ("vi", "en"):
        again = build_workbook(gather(session, rnd, version=1, with_data=True), lang)
        assert _digest(again) == _digest(before[lang])
    # The new version saw the changes, and says what changed since version 1.
    second = _all_sheets(build_workbook(gather(session, rnd, with_data=True)))
    assert store.published_info(session, rnd).version == 2
    cover2 = {r[0]: r[1] for r in second["Bìa"] if r and r[0]}
    assert "phiên bản 2" in cover2["Trạng thái"]
    assert (f"{thousands(published_rows)} → {thousands(published_rows + 30 + 20 - 1)} phiếu hợp lệ"
            in cover2["Thay đổi so với phiên bản 1"])
    assert "phiếu nhập muộn" in cover2["Thay đổi so với phiên bản 1"]
    assert len([r for r in second["Dữ liệu"] if r and r[0]]) > len([r for r in _all_sheets(before["vi"])["Dữ liệu"]
                                                                   if r and r[0]])
