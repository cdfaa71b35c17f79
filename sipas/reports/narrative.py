"""The narrative report an official sends: a .docx in the form of a Vietnamese administrative document
(Nghị định 30/2020/NĐ-CP: national motto block, number and symbol placeholders, Times New Roman 13–14,
signature block), with its tables built from the same sheets as the workbook (sipas/reports/sheets/).

python-docx writes the document: it keeps the file valid Word XML, which a hand-written zip would not.
"""
from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from sipas import words
from sipas.reports.docx_charts import interval_chart, set_column_widths
from sipas.reports.sheets import by_agency, r2, ranked_agencies, report_title, scorecards, summary, top_themes
from sipas.reports.sheets.accounts import accounting_header, accounting_rows
from sipas.reports.sheets.base import Labels, _criteria_items, _groups, _index_name, _scope_group, _unit_name

FONT = "Times New Roman"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _font(run, size: float = 13, bold: bool = False, italic: bool = False) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.bold, run.italic = bold, italic
    run._element.rPr.rFonts.set(qn("w:eastAsia"), FONT)


def _para(doc_or_cell, text: str = "", size: float = 13, bold: bool = False, italic: bool = False,
          align=None, indent: bool = False):
    p = doc_or_cell.add_paragraph()
    if text:
        _font(p.add_run(text), size, bold, italic)
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Cm(1)
    p.paragraph_format.space_after = Pt(3)
    return p


def _fmt(value, t: Labels) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return t.dec(value)
    if isinstance(value, int):
        return t.count(value)
    return str(value)


def _table(doc, header: list[str], rows: list[list], t: Labels, widths: list[float] | None = None):
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header):
        cell.paragraphs[0].text = ""
        _font(cell.paragraphs[0].add_run(text), 12, bold=True)
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            _font(cell.paragraphs[0].add_run(_fmt(value, t)), 12)
    if widths:
        set_column_widths(table, widths)
    doc.add_paragraph()
    return table


def _heading(doc, text: str) -> None:
    _para(doc, text, 13, bold=True)


def narrative_docx(data, lang: str = "vi", accounting=None, as_at=None) -> bytes:
    """The narrative report as .docx bytes; `accounting`: the sample accounting per stratum
    (sipas/services/accounting.py) as at `as_at`, shown in section II (the report data's own when not given)."""
    t = Labels(lang)
    doc = _document(data, t)
    _heading_block(doc, data, t)
    _purpose(doc, data, t)
    _method(doc, data, t, data.accounting if accounting is None else accounting,
            data.generated_at if as_at is None else as_at)
    whole = _results(doc, data, t)
    _changes_and_proposals(doc, data, t, whole)
    _signature(doc, t)
    _appendix(doc, data, t)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def _document(data, t: Labels):
    """An A4 document, Times New Roman 13, the report and the round in the footer."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(13)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(footer.add_run(report_title(data, t).capitalize() + " – " + data.round_name), 10)
    return doc


def _heading_block(doc, data, t: Labels) -> None:
    """Issuing body and number on the left, national motto and place/date on the right; the title."""
    head = doc.add_table(rows=1, cols=2)
    left, right = head.rows[0].cells
    left.width, right.width = Cm(6.5), Cm(9.5)
    province = data.province.removeprefix("Tỉnh ").removeprefix("Thành phố ")
    left.paragraphs[0].text = ""
    _font(left.paragraphs[0].add_run(t(f"UBND {data.province.upper()}", f"PEOPLE'S COMMITTEE OF {data.province}")
                                     if data.results.info and data.results.info.jurisdiction_name else "BỘ NỘI VỤ"), 12)
    _para(left, data.issuer.upper(), 13, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(left, t("Số: ……/BC-SNV", "No.: ……/BC-SNV"), 13, align=WD_ALIGN_PARAGRAPH.CENTER)
    left.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    right.paragraphs[0].text = ""
    _font(right.paragraphs[0].add_run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), 12, bold=True)
    right.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _para(right, "Độc lập - Tự do - Hạnh phúc", 13, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(right, t(f"{province}, ngày …… tháng …… năm ……", f"{province}, … … 20…"), 13, italic=True,
          align=WD_ALIGN_PARAGRAPH.CENTER)
    doc.add_paragraph()
    _para(doc, t("BÁO CÁO", "REPORT"), 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, report_title(data, t).capitalize(), 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    if data.provisional:
        _para(doc, t("(Số liệu tạm tính, chưa công bố)", "(Provisional figures, not published)"), 13, italic=True,
              align=WD_ALIGN_PARAGRAPH.CENTER)


def _purpose(doc, data, t: Labels) -> None:
    _heading(doc, t("I. MỤC ĐÍCH, CĂN CỨ", "I. PURPOSE AND BASIS"))
    _para(doc, t(f"Báo cáo kết quả đo lường sự hài lòng của người dân, tổ chức đối với sự phục vụ của cơ quan hành "
                 f"chính nhà nước năm {data.year}, làm cơ sở để các cơ quan, đơn vị cải thiện chất lượng phục vụ.",
                 f"This report gives the measured satisfaction of citizens and organisations with public "
                 f"administrative services in {data.year}, so that agencies can improve their service."), indent=True)
    _para(doc, t(f"Căn cứ {words.word('method', data.method_version, 'vi')}.",
                 f"Basis: {words.word('method', data.method_version, 'en')}."), indent=True)


def _method(doc, data, t: Labels, accounting, as_at) -> None:
    """Section II: the round, the channels, and the sample accounting (the same rows as the workbook's sheet)."""
    _heading(doc, t("II. PHƯƠNG PHÁP VÀ MẪU KHẢO SÁT", "II. METHOD AND SAMPLE"))
    _para(doc, t(f"Đợt khảo sát: {data.round_name}; thời gian: {t.date(data.period[0])} – {t.date(data.period[1])}; "
                 f"bản đồ hành chính: {t.word('admin_map', data.admin_map)}.",
                 f"Round: {data.round_name}; period: {t.date(data.period[0])} – {t.date(data.period[1])}; "
                 f"administrative map: {t.word('admin_map', data.admin_map)}."), indent=True)
    scope = _scope_group(data)
    if scope is None:  # the channel counts are the whole round's
        _table(doc, [t("Kênh thu thập", "Channel"), t("Số phiếu hợp lệ", "Valid responses")],
               [[t.word("channel", c), n] for c, n in sorted(data.channel_counts.items())]
               + [[t("Tổng cộng", "Total"), sum(data.channel_counts.values())]], t, [10, 5])
    else:
        _para(doc, t(f"Báo cáo của {_unit_name(data, scope, t)}: {t.count(scope.n)} phiếu hợp lệ.",
                     f"Report of {_unit_name(data, scope, t)}: {t.count(scope.n)} valid responses."), indent=True)
    if accounting:
        _para(doc, t(f"Kết quả phát, thu phiếu của mẫu điều tra (đến {words.local_time(as_at)}):",
                     f"Forms of the sample survey (as at {words.local_time(as_at)}):"), indent=True)
        _table(doc, accounting_header(t), accounting_rows(accounting, t), t, [4, 2, 2, 2, 2, 2, 2.2])


def _results(doc, data, t: Labels):
    """Section III: overall, levels, agencies ranked, lowest criteria, comment themes; returns the summary sheet
    (section IV reads its changes)."""
    _heading(doc, t("III. KẾT QUẢ", "III. RESULTS"))
    _para(doc, t("1. Kết quả chung", "1. Overall"), bold=True)
    whole = summary(data, t)
    _table(doc, [t("Chỉ số", "Index"), t("Giá trị (%)", "Value (%)"), t("Cận dưới", "Lower"), t("Cận trên", "Upper"),
                 "n"], [r[:5] for r in whole.rows], t, [7.5, 2.3, 2.3, 2.3, 1.6])
    interval_chart(doc, [(r[0], r[1], r[2], r[3]) for r in whole.rows],
                   t("Hình 1. Chỉ số và khoảng tin cậy 95% (%)", "Figure 1. Indices with 95% intervals (%)"), t)
    scope = _scope_group(data)
    levels = _groups(data.results, "level") if scope is None else []
    if levels:
        _para(doc, t("2. Theo cấp hành chính", "2. By level"), bold=True)
        _table(doc, [t("Cấp", "Level"), "n", "SIPAS", t("Cận dưới", "Lower"), t("Cận trên", "Upper")],
               [[_unit_name(data, g, t), g.n, r2(g.estimate("SIPAS")),
                 r2(g.indices["SIPAS"].ci.low if g.indices["SIPAS"].ci else None),
                 r2(g.indices["SIPAS"].ci.high if g.indices["SIPAS"].ci else None)] for g in levels], t)
    _para(doc, t("3. Xếp hạng cơ quan", "3. Agencies ranked"), bold=True)
    ranked = by_agency(data, t)
    _table(doc, [t("Hạng (tập hạng 95%)", "Rank (95% rank set)"), t("Cơ quan", "Agency"), "n", "SIPAS",
                 t("Khoảng tin cậy 95%", "95% interval")],
           [[r[0], r[2], r[4], r[5], f"{_fmt(r[6], t)} – {_fmt(r[7], t)}"] for r in ranked.rows], t,
           [3.2, 6.6, 1.4, 1.8, 3.0])
    interval_chart(doc, [(r[2], r[5], r[6], r[7]) for r in ranked.rows],
                   t("Hình 2. SIPAS từng cơ quan và khoảng tin cậy 95% (%)",
                     "Figure 2. SIPAS per agency with 95% intervals (%)"), t)
    _para(doc, t("4. Các tiêu chí thấp nhất", "4. Lowest criteria"), bold=True)
    all_group = scope if scope is not None else _groups(data.results, "all")[0]
    lowest = sorted((i for i in _criteria_items(data.profile) if all_group.estimate(i.code) is not None),
                    key=lambda i: all_group.estimate(i.code) or 0.0)[:5]
    _table(doc, [t("Tiêu chí", "Criterion"), t("Giá trị (%)", "Value (%)")],
           [[_index_name(data, i.code, t), r2(all_group.estimate(i.code))] for i in lowest], t, [13, 3])
    _themes(doc, data, t)
    return whole


def _themes(doc, data, t: Labels) -> None:
    _para(doc, t("5. Ý kiến của người dân: chủ đề thường gặp", "5. Citizens' comments: recurring themes"), bold=True)
    themes = top_themes(data, "", n=99)
    if not themes:
        _para(doc, t("Chưa có ý kiến nào thuộc các chủ đề.", "No comment touches a theme yet."), indent=True)
        return
    _table(doc, [t("Chủ đề", "Theme"), t("Số ý kiến", "Comments")], [[t.pair(k), n] for k, n in themes], t,
           [12, 4])


def _changes_and_proposals(doc, data, t: Labels, whole) -> None:
    _heading(doc, t("IV. THAY ĐỔI SO VỚI KỲ TRƯỚC", "IV. CHANGES SINCE THE LAST ROUND"))
    for row in whole.rows:
        if row[7]:
            _para(doc, f"{row[0]}: " + (f"{t.dec(row[6])} " + t("điểm %", "points") + f" ({row[7]})"
                                        if row[6] is not None else row[7]), indent=True)
    _heading(doc, t("V. ĐỀ XUẤT", "V. PROPOSALS"))
    _para(doc, t("Đề nghị các cơ quan, đơn vị tập trung cải thiện các tiêu chí có kết quả thấp nhất sau đây:",
                 "Each agency is asked to improve its lowest criteria:"), indent=True)
    items = _criteria_items(data.profile)
    for g in ranked_agencies(data):
        weakest = sorted((i for i in items if g.estimate(i.code) is not None),
                         key=lambda i: g.estimate(i.code) or 0.0)[:3]
        if weakest:
            _para(doc, f"- {_unit_name(data, g, t)}: " + "; ".join(
                f"{_index_name(data, i.code, t)} ({t.dec(g.estimate(i.code))}%)" for i in weakest) + ".")


def _signature(doc, t: Labels) -> None:
    sign = doc.add_table(rows=1, cols=2)
    left, right = sign.rows[0].cells
    left.paragraphs[0].text = ""
    _font(left.paragraphs[0].add_run(t("Nơi nhận:", "To:")), 12, bold=True, italic=True)
    for line in (t("- UBND tỉnh (để báo cáo);", "- Provincial People's Committee;"),
                 t("- Các sở, ban, ngành; UBND cấp xã;", "- Departments; commune committees;"),
                 t("- Lưu: VT.", "- File.")):
        _para(left, line, 11)
    right.paragraphs[0].text = ""
    _font(right.paragraphs[0].add_run(t("GIÁM ĐỐC", "DIRECTOR")), 13, bold=True)
    right.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _para(right, t("(Ký, ghi rõ họ tên, đóng dấu)", "(Signature, name, seal)"), 13, italic=True,
          align=WD_ALIGN_PARAGRAPH.CENTER)


def _appendix(doc, data, t: Labels) -> None:
    """The scorecards, one page each (the workbook's scorecard rows)."""
    cards = scorecards(data, t)
    breaks = set(cards.page_breaks)
    body: list[list] = []
    rows_and_end: list[list | None] = [*cards.rows, None]
    for k, card_row in enumerate(rows_and_end):
        if card_row is None or k in breaks or k == 0:
            if body:
                _table(doc, [t("Nội dung", "Item"), t("Giá trị (%)", "Value (%)"), t("Cận dưới", "Lower"),
                             t("Cận trên", "Upper"), t("Ghi chú", "Note")], body, t, [7.2, 2, 2, 2, 3])
                body = []
            if card_row is None:
                break
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            if k == 0:
                _heading(doc, t("PHỤ LỤC: THẺ ĐIỂM TỪNG CƠ QUAN", "APPENDIX: AGENCY SCORECARDS"))
            _para(doc, str(card_row[0]), 14, bold=True)
            _para(doc, str(card_row[4]), 13, italic=True)
            continue
        body.append(list(card_row))
