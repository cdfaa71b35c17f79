"""The workbook as a person reads and prints it: words instead of codes, A4 pages at 9 pt or more with page
numbers, charts below the tables with intervals and an axis from 0, numbers stored as numbers, and an agency's
workbook (CLI, --with-data) holding only that agency."""
from __future__ import annotations

import re
import shutil
import subprocess
from io import BytesIO

import pytest

import surveys
from openpyxl import load_workbook
from sqlalchemy import func, select

from sipas.cli.results import report
from sipas.db import session_factory
from sipas.models import Agency, Channel, Response, ResponseStatus, Round
from sipas.reports.sheets import r2
from sipas.reports.xlsx import BODY_PT, MIN_PRINTED_PT
from sipas.services.workbook import build_workbook, report_data
from sipas.words import thousands

#: Codes a person must never read in a Vietnamese workbook (outside the method sheet, which names them for
#: auditors): the map, the methods, a channel, a level.
RAW_CODES = ("new_34", "historical_63", "SIPAS_2640", "SIPAS_1001", "paper_post", "paper_direct", "province",
             "commune", "self_selected")


@pytest.fixture
def session(demo_app):
    s = session_factory(demo_app)()
    yield s
    s.close()


def _round(session, code):
    return session.scalar(select(Round).where(Round.code == code))


def _workbook(session, code, lang="vi", **kw):
    return load_workbook(BytesIO(build_workbook(report_data(session, _round(session, code), **kw), lang)))


def _texts(ws):
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def test_a_vietnamese_workbook_reads_in_words_not_codes(session):
    wb = _workbook(session, "LCU-2026", with_data=True)
    for ws in wb.worksheets:
        if ws.title == "Phương pháp":
            continue
        for text in _texts(ws):
            for code in RAW_CODES:
                assert not re.search(rf"\b{code}\b", text), (ws.title, text)
    cover = {r[0]: r[1] for r in wb["Bìa"].iter_rows(values_only=True) if r and r[0]}
    assert cover["Phương pháp đo"].startswith("QĐ 1001/QĐ-BNV")
    assert cover["Bản đồ hành chính"].startswith("34 tỉnh")
    assert re.fullmatch(r"\d\d/\d\d/\d{4} – \d\d/\d\d/\d{4}", cover["Thời gian khảo sát"])
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d \(giờ Việt Nam\)", cover["Thời điểm lập"])
    assert "UTC" not in str(cover) and "SHA-256" not in str(cover)  # identifiers are on the method sheet
    assert any("SHA-256" in str(v) for v in _texts(wb["Phương pháp"]))
    # Criterion wording, factor names and level names, from the profile and sipas/words.py.
    criteria = _texts(wb["Tiêu chí"])
    profile = surveys.load(_round(session, "LCU-2026").profile_key)
    assessed = [i.text.vi for i in profile.items if i.kind == "assessment"]
    assert assessed and all(text in criteria for text in assessed)
    summary = _texts(wb["Tổng hợp"])
    assert "Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị" in summary
    levels = _texts(wb["Theo cấp"])
    assert "Cấp tỉnh" in levels and "Cấp xã" in levels
    data = list(wb["Dữ liệu"].iter_rows(min_row=4, max_row=6, values_only=True))
    assert all(isinstance(r[6], float) and all(v is None or isinstance(v, int) for v in r[7:]) for r in data)
    assert {r[3] for r in data} <= {"Phiếu giấy qua bưu điện", "Phiếu giấy phát trực tiếp", "Thư mời trực tuyến",
                                    "Phỏng vấn", "Nhập từ tệp"}


def test_english_on_request_uses_english_words(session):
    wb = _workbook(session, "LCU-2026", "en")
    cover = {r[0]: r[1] for r in wb["Cover"].iter_rows(values_only=True) if r and r[0]}
    assert cover["Method"].startswith("Decision 1001") and cover["Administrative map"].startswith("34 provinces")
    assert all(ws.oddFooter.right.text == "Page &P/&N" for ws in wb.worksheets)


def test_every_sheet_prints_on_a4_at_9_pt_or_more_with_page_numbers(session):
    wb = _workbook(session, "LCU-2026", with_data=True)
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.paperSize in ("9", 9) and not ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        scale = int(setup.scale)
        fonts = {c.font.sz or BODY_PT for row in ws.iter_rows() for c in row if c.value is not None}
        assert min(fonts) * scale / 100 >= MIN_PRINTED_PT, (ws.title, fonts, scale)
        assert ws.oddFooter.right.text == "Trang &P/&N" and "SIPAS 2026" in ws.oddFooter.left.text
        assert ws.print_title_rows  # the header repeats on every page
    # The rank cell holds rank, N and rank set together, never beside another number.
    ranks = [r[0] for r in wb["Theo cơ quan"].iter_rows(min_row=6, values_only=True) if r and r[0]]
    assert ranks and all(re.fullmatch(r"\d+/\d+ \(\d+–\d+\)", r) for r in ranks)


def test_charts_sit_below_the_tables_with_intervals_and_an_axis_from_zero(session):
    wb = _workbook(session, "LCU-2026")
    for name in ("Tổng hợp", "Theo cơ quan"):
        ws = wb[name]
        last_row = ws.max_row
        body_rows = [r for r in ws.iter_rows(min_row=6, max_col=1, values_only=True) if r[0] is not None]
        assert ws._charts
        for chart in ws._charts:
            assert chart.anchor._from.col == 0 and chart.anchor._from.row + 1 > 5 + len(body_rows)
            assert chart.y_axis.scaling.min == 0 and chart.x_axis.tickLblSkip == 1
            bars = chart.series[0].errBars
            assert bars is not None and bars.errValType == "cust" and bars.plus.numRef.f and bars.minus.numRef.f
        assert last_row >= 5 + len(body_rows)
    # The agency chart is split by tier, at most 25 bars a chart, so every label can be printed.
    ws = wb["Theo cơ quan"]
    rows = [r for r in ws.iter_rows(min_row=6, values_only=True) if r and r[0]]
    tiers = {}
    for r in rows:
        tiers[r[3]] = tiers.get(r[3], 0) + 1
    assert len(ws._charts) == sum(-(-n // 25) for n in tiers.values())
    # The interval helper (distances from the value) matches the table: low and high recovered.
    first = rows[0]
    helper = [c.value for c in next(ws.iter_rows(min_row=6, max_row=6))][len(first) - 2:]
    helper = [v for v in helper if isinstance(v, float)]
    assert helper and abs(first[5] - helper[0] - first[6]) < 0.01 and abs(first[5] + helper[1] - first[7]) < 0.01


def test_an_agency_workbook_from_the_cli_holds_only_that_agency(demo_app, session, tmp_path):
    out = tmp_path / "stp.xlsx"
    result = demo_app.test_cli_runner().invoke(report, ["--round", "LCU-2026", "--agency", "LCU.STP", "--with-data",
                                                        "--output", str(out)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert not {"Theo cấp", "Kênh", "Hành vi", "Người trả lời"} & set(wb.sheetnames)
    rnd = _round(session, "LCU-2026")
    stp = session.scalar(select(Agency).where(Agency.code == "LCU.STP"))
    valid = session.scalar(select(func.count()).select_from(Response).where(
        Response.round_id == rnd.id, Response.agency_id == stp.id, Response.status == ResponseStatus.VALID))
    data = [r for r in wb["Dữ liệu"].iter_rows(min_row=4, values_only=True) if r and r[0]]
    assert len(data) == valid and {r[1] for r in data} == {"LCU.STP"}
    group = report_data(session, rnd).results.group("agency", "LCU.STP")
    summary = [r for r in wb["Tổng hợp"].iter_rows(min_row=6, values_only=True) if r and r[0]]
    assert summary[0][1] == r2(group.estimate("SIPAS"))
    whole = report_data(session, rnd).results.group("all", "all")
    assert summary[0][8] == r2(whole.estimate("SIPAS"))  # the province only as a labelled reference column
    assert any("tham chiếu" in str(c) for c in _texts(wb["Tổng hợp"]))
    assert {r[0] for r in wb["Mong đợi"].iter_rows(min_row=6, values_only=True) if r and r[0]} == \
        {"Sở Tư pháp", "Toàn tỉnh (tham chiếu)"}


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdfinfo") is None,
                    reason="LibreOffice (soffice) and poppler (pdfinfo) are not installed: the PDF rendering check "
                           "needs them (.ci/run installs both)")
def test_libreoffice_renders_every_sheet(session, tmp_path):
    path = tmp_path / "report.xlsx"
    path.write_bytes(build_workbook(report_data(session, _round(session, "LCU-2026"))))
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   check=True, timeout=180, capture_output=True)
    pdf = tmp_path / "report.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    # LibreOffice compresses page objects into streams, so ask poppler for the page count.
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= len(load_workbook(path).sheetnames)


def test_one_scorecard_page_per_agency_with_its_weakest_criteria(session):
    rnd = _round(session, "LCU-2026")
    data = report_data(session, rnd)
    wb = load_workbook(BytesIO(build_workbook(data)))
    ws = wb["Thẻ điểm"]
    agencies = data.results.groups_by("agency")
    assert len(ws.row_breaks.brk) == len(agencies) - 1  # a page each
    rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if r and r[0]]
    stp = data.results.group("agency", "LCU.STP")
    start = next(i for i, r in enumerate(rows) if r[0] == "Sở Tư pháp")
    block = rows[start:start + 25]
    sipas = next(r for r in block if r[0] == "Chỉ số SIPAS")
    assert sipas[1] == r2(stp.estimate("SIPAS")) and re.match(r"\d+/\d+ \(\d+–\d+\)", sipas[4])
    weakest_at = next(i for i, r in enumerate(block) if r[0] == "Ba tiêu chí thấp nhất")
    profile = surveys.load(rnd.profile_key)
    # SIPAS_1001: the policy questions (part A) are criteria too.
    criteria = [i for i in profile.items if i.kind in ("assessment", "satisfaction", "overall", "policy_assessment",
                                                       "policy_satisfaction") and stp.estimate(i.code) is not None]
    assert any(i.kind == "policy_satisfaction" for i in criteria)
    expected = sorted(stp.estimate(i.code) for i in criteria)[:3]
    assert [r[1] for r in block[weakest_at + 1:weakest_at + 4]] == [r2(v) for v in expected]


def test_the_narrative_report_is_a_docx_with_its_sections_ranked_table_and_scorecards(demo_app, session, tmp_path):
    from docx import Document

    out = tmp_path / "report.docx"
    result = demo_app.test_cli_runner().invoke(report, ["--round", "LCU-2026", "--format", "docx",
                                                        "--output", str(out)])
    assert result.exit_code == 0, result.output
    doc = Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    for heading in ("I. MỤC ĐÍCH, CĂN CỨ", "II. PHƯƠNG PHÁP VÀ MẪU KHẢO SÁT", "III. KẾT QUẢ",
                    "IV. THAY ĐỔI SO VỚI KỲ TRƯỚC", "V. ĐỀ XUẤT", "PHỤ LỤC: THẺ ĐIỂM TỪNG CƠ QUAN"):
        assert heading in text
    assert "QĐ 1001/QĐ-BNV" in text and "SIPAS_1001" not in text
    motto = doc.tables[0].rows[0].cells[1].text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in motto and "Độc lập - Tự do - Hạnh phúc" in motto
    assert "Số: ……/BC-SNV" in doc.tables[0].rows[0].cells[0].text
    assert any("GIÁM ĐỐC" in t.rows[0].cells[1].text for t in doc.tables)
    data = report_data(session, _round(session, "LCU-2026"))
    ranked = next(t for t in doc.tables if t.rows[0].cells[0].text == "Hạng (tập hạng 95%)")
    agencies = data.results.groups_by("agency")
    assert len(ranked.rows) == 1 + len(agencies)
    first = ranked.rows[1].cells
    best = next(g for g in agencies if g.rank and g.rank.rank == 1 and g.rank.among == "province")
    assert first[0].text.startswith("1/") and first[3].text == f"{r2(best.estimate('SIPAS')):.2f}".replace(".", ",")
    # One scorecard table per agency, each after a page break.
    cards = [t for t in doc.tables if t.rows[0].cells[0].text == "Nội dung"]
    assert len(cards) == len(agencies)
    # Sample accounting: valid sampled responses counted against the database, self-selected channels left out.
    accounting = next(t for t in doc.tables if t.rows[0].cells[0].text == "Tầng")
    total = accounting.rows[-1].cells
    rnd = _round(session, "LCU-2026")
    sampled_valid = session.scalar(select(func.count()).select_from(Response).where(
        Response.round_id == rnd.id, Response.status == ResponseStatus.VALID,
        Response.channel.notin_([Channel.KIOSK, Channel.ONLINE, Channel.API])))
    assert total[0].text == "Tổng cộng" and total[4].text == thousands(sampled_valid)
    runs = [r for p in doc.paragraphs for r in p.runs if r.text.strip()]
    assert {r.font.name for r in runs} == {"Times New Roman"} and all(r.font.size.pt >= 13 for r in runs)


def test_a_pdf_without_libreoffice_says_why(demo_app, tmp_path, monkeypatch):
    if shutil.which("soffice") is not None:
        pytest.skip("LibreOffice is installed here: the PDF is written, not refused")
    out = tmp_path / "report.pdf"
    result = demo_app.test_cli_runner().invoke(report, ["--round", "LCU-2026", "--format", "pdf",
                                                        "--output", str(out)])
    assert result.exit_code != 0 and "LibreOffice" in result.output and not out.exists()


def test_a_kiosk_narrative_is_never_titled_as_the_official_index(session):
    from docx import Document

    from sipas.reports.narrative import narrative_docx

    doc = Document(BytesIO(narrative_docx(report_data(session, _round(session, "LCU-KIOSK-2026")))))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "không phải chỉ số sipas chính thức" in text.lower()
    assert "Chỉ số hài lòng về sự phục vụ hành chính năm" not in text
    overall = next(t for t in doc.tables if t.rows[0].cells[0].text == "Chỉ số")
    assert overall.rows[1].cells[0].text.startswith("Chỉ số đánh giá tại quầy")
