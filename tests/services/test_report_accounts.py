"""Sample accounting and comment themes in the workbook, the scorecards and the narrative report; the Word
report's charts (bars from 0 with their intervals)."""
from __future__ import annotations

from datetime import datetime, timezone
from io import BytesIO

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select

from sipas.db import session_factory
from sipas.models import Agency, Channel, Invitation, Response, ResponseStatus, Round
from sipas.reports.docx_charts import BAR, INTERVAL_HIGH, INTERVAL_LOW, cell_colours
from sipas.reports.sheets import r2
from sipas.reports.xlsx import wrapped_lines
from sipas.results import SAMPLED, channel_group
from sipas.services.accounting import sample_accounting
from sipas.services.comments import themes_by_agency
from sipas.services.responses import Design, Submission, record_response
from sipas.services.workbook import build_workbook, narrative_bytes, report_data, restrict_to_agency
from tests.factories import make_round


@pytest.fixture
def session(demo_app):
    s = session_factory(demo_app)()
    yield s
    s.close()


def _round(session, code="LCU-2026"):
    return session.scalar(select(Round).where(Round.code == code))


def _comment(session, agency_code, text):
    rnd, agency = _round(session), session.scalar(select(Agency).where(Agency.code == agency_code))
    record_response(session, Submission(rnd, agency, {"S1": 4, "S2": 4, "S3": 4, "S4": 4, "S5": 4},
                                        Channel.INVITATION, comment=text,
                                        design=Design("province", f"{agency_code}.MC/D01", 50.0)), check_open=False)
    session.commit()


def _rows(ws):
    """Body rows: those under the header row (the first row whose cells are all headings, bold)."""
    header = next(row[0].row for row in ws.iter_rows() if row[0].value and row[0].font.b and row[0].row > 1)
    return [r for r in ws.iter_rows(min_row=header + 1, values_only=True) if r and r[0]]


def test_the_workbook_accounts_for_the_sample_per_stratum(session):
    rnd = _round(session)
    wb = load_workbook(BytesIO(build_workbook(report_data(session, rnd))))
    rows = _rows(wb["Mẫu khảo sát"])
    total = next(r for r in rows if r[0] == "Tổng cộng")
    # Independent counts straight from the tables: invitations issued, sampled responses valid and flagged.
    issued = session.scalar(select(func.count()).select_from(Invitation).where(Invitation.round_id == rnd.id))
    sampled = [(c, st) for c, st in session.execute(select(Response.channel, Response.status)
                                                    .where(Response.round_id == rnd.id))
               if channel_group(c) == SAMPLED]
    valid = sum(1 for _c, st in sampled if st == ResponseStatus.VALID)
    flagged = sum(1 for _c, st in sampled if st == ResponseStatus.FLAGGED)
    assert total[2] == issued and total[3] == len(sampled) and total[4] == valid and total[5] == flagged
    assert total[6] == (r2(100 * valid / issued) if issued else None)
    strata = [r[0] for r in rows if r[0] != "Tổng cộng"]
    assert strata and "province" not in strata and all(isinstance(r[4], int) for r in rows)  # words; numbers


def test_accounting_as_at_a_moment_leaves_out_later_forms(session):
    rnd = _round(session)
    moment = datetime.now(timezone.utc)
    before = sample_accounting(session, rnd, as_at=moment)
    _comment(session, "LCU.STP", "Phải chờ lâu quá")
    assert sample_accounting(session, rnd, as_at=moment) == before  # what a published version's workbook shows
    now = sample_accounting(session, rnd)
    assert sum(c.returned for c in now) == sum(c.returned for c in before) + 1


def test_themes_go_into_the_workbook_scorecards_and_narrative(session):
    _comment(session, "LCU.STP", "Phải chờ lâu quá, đi lại nhiều lần")
    _comment(session, "LCU.STP", "Chờ lâu, cán bộ thiếu nhiệt tình")
    _comment(session, "LCU.SYT", "Thủ tục phức tạp")
    rnd = _round(session)
    data = report_data(session, rnd)
    wb = load_workbook(BytesIO(build_workbook(data)))
    themes = _rows(wb["Chủ đề ý kiến"])
    assert ("Sở Tư pháp", "Thời gian chờ, trễ hẹn", 2) in themes
    assert ("Sở Y tế", "Thủ tục, giấy tờ", 1) in themes
    assert ("Tất cả cơ quan trong báo cáo", "Thời gian chờ, trễ hẹn", 2) in themes
    card = [r[0] for r in _rows(wb["Thẻ điểm"])]
    start = card.index("Sở Tư pháp")
    block = card[start:card.index("Chủ đề ý kiến thường gặp", start) + 4]
    assert "  Thời gian chờ, trễ hẹn" in block and "  Thủ tục, giấy tờ" not in block
    doc = Document(BytesIO(narrative_bytes(session, rnd, data, "vi")))
    cells = [c.text for table in doc.tables for row in table.rows for c in row.cells]
    assert "5. Ý kiến của người dân: chủ đề thường gặp" in "\n".join(p.text for p in doc.paragraphs)
    assert "Thời gian chờ, trễ hẹn" in cells and "  Thời gian chờ, trễ hẹn" in cells
    # An agency's report counts only its own comments.
    stp = session.scalar(select(Agency).where(Agency.code == "LCU.STP"))
    own = restrict_to_agency(report_data(session, rnd), session, stp)
    assert {k for k, _n in own.themes[""]} == {("Thời gian chờ, trễ hẹn", "Waiting, late results"),
                                               ("Đi lại nhiều lần", "Repeated visits"),
                                               ("Thái độ cán bộ", "Staff attitude")}
    assert set(own.themes) <= {"", "LCU.STP"} | {a for a in own.results.labels["agency"]}
    assert "LCU.SYT" not in own.themes


@pytest.mark.parametrize("estimate, low, high, expected", [
    # Worked by hand: cell k covers [2k, 2k+2) and is judged by its middle 2k+1.
    (85.0, 80.0, 90.0, [BAR] * 40 + [INTERVAL_LOW] * 3 + [INTERVAL_HIGH] * 2 + [None] * 5),
    (40.0, None, None, [BAR] * 20 + [None] * 30),
    (3.0, 0.5, 7.0, [INTERVAL_LOW] * 2 + [INTERVAL_HIGH] * 2 + [None] * 46),
])
def test_a_chart_bar_runs_from_zero_with_its_interval(estimate, low, high, expected):
    assert cell_colours(estimate, low, high) == expected


def test_the_word_report_draws_its_charts_from_its_tables(session):
    rnd = _round(session)
    data = report_data(session, rnd)
    doc = Document(BytesIO(narrative_bytes(session, rnd, data, "vi")))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Hình 1. Chỉ số và khoảng tin cậy 95% (%)" in text and "Hình 2. SIPAS từng cơ quan" in text
    charts = [t for t in doc.tables if len(t.columns) == 52]
    assert len(charts) == 2
    whole = data.results.group("all", "all").indices["SIPAS"]
    first = charts[0].rows[0]
    assert first.cells[0].text == "Chỉ số SIPAS" and first.cells[1].text == f"{r2(whole.estimate):.2f}".replace(".", ",")
    fills = [c._tc.xpath("./w:tcPr/w:shd/@w:fill") for c in first.cells[2:]]
    expected = cell_colours(whole.estimate, whole.ci.low, whole.ci.high)
    assert [f[0] if f else None for f in fills] == expected
    axis = [c.text for c in charts[0].rows[-1].cells]
    assert "|0" in axis and "|80" in axis  # the axis starts at 0


def test_wrapped_header_rows_are_as_tall_as_their_lines(session):
    wb = load_workbook(BytesIO(build_workbook(report_data(session, _round(session)))))
    ws = wb["Tổng hợp"]
    header = next(row[0].row for row in ws.iter_rows() if row[0].value == "Chỉ số")
    # Rendered with LibreOffice (docs/reports.md), "Khoảng tin cậy 95%" over its two columns and "Cận dưới" in
    # its column each take two lines: both header rows must hold two lines of 11 pt (15 pt each).
    assert ws.row_dimensions[header].height >= 30 and ws.row_dimensions[header + 1].height >= 30
    # A note wider than the table wraps too: its row grows with it.
    notes = wb["Mẫu khảo sát"]
    assert notes.row_dimensions[2].height >= 45  # three lines at the sheet's width
    assert all(ws.row_dimensions[r].height is None for r in range(header + 2, header + 6))  # body rows untouched


@pytest.mark.parametrize("text, width, bold, lines", [
    # By the stated rule: a bold heading in a column 10 wide gets int(10 / 1.3) - 1 = 6 characters a line.
    ("Giá trị (%)", 10, True, 3), ("n", 7, True, 1), ("Ghi chú", 34, True, 1),
    ("một hai ba bốn năm sáu bảy tám chín mười", 12, False, 4),
])
def test_wrapped_lines_follow_word_boundaries(text, width, bold, lines):
    assert wrapped_lines(text, width, bold) == lines


@pytest.fixture
def plain_session(app):
    s = session_factory(app)()
    yield s
    s.close()


def test_accounting_and_themes_as_at_a_moment_on_sqlite_and_postgresql(plain_session):
    s = plain_session
    rnd = make_round(s, profile="SIPAS_2640")
    agency = rnd.agencies[0]

    def respond(text):
        record_response(s, Submission(rnd, agency, {"S1": 4}, Channel.INVITATION, comment=text,
                                      design=Design("province", "P1", 1.0)), check_open=False)
        s.commit()

    respond("Chờ lâu quá")
    moment = datetime.now(timezone.utc)
    respond("Thủ tục phức tạp")
    then = sample_accounting(s, rnd, as_at=moment)
    assert [(c.stratum, c.returned, c.valid) for c in then] == [("province", 1, 1)]
    assert [(c.stratum, c.returned, c.valid) for c in sample_accounting(s, rnd)] == [("province", 2, 2)]
    themes = themes_by_agency(s, rnd, as_at=moment)
    assert themes == {"": [(("Thời gian chờ, trễ hẹn", "Waiting, late results"), 1)],
                      agency.code: [(("Thời gian chờ, trễ hẹn", "Waiting, late results"), 1)]}
    assert len(themes_by_agency(s, rnd)[""]) == 2
