"""Charts in the Word report drawn as shaded table cells, from the same rows as its tables.

Why tables and not pictures: no plotting library is a dependency (matplotlib, cairo or Pillow would each be a
new, heavy one for a few bars), and a table chart is plain Word content that python-docx writes, LibreOffice and
Word both render the same way, screen readers read (the figures are in the row), and that prints sharply at any
size. The scale runs from 0 to 100 in cells of SCALE_STEP points, so bar lengths compare as the figures do; the
95% interval is the darker (below the estimate) and lighter (above it) part of the bar.
"""
from __future__ import annotations

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from sipas.reports.sheets import Labels

#: Points of the 0-100 scale per cell: 50 cells across.
SCALE_STEP = 2
CELLS = 100 // SCALE_STEP
BAR, INTERVAL_LOW, INTERVAL_HIGH = "4F81BD", "1F3864", "B4C6E7"
_LABEL_CM, _VALUE_CM, _CELL_CM = 5.4, 1.6, 0.17
FONT = "Times New Roman"


def cell_colours(estimate: float | None, low: float | None, high: float | None) -> list[str | None]:
    """The fill of each scale cell (None: empty): the bar up to the estimate, the interval around it shaded
    darker below the estimate and lighter above it. A cell is judged by its middle."""
    if estimate is None:
        return [None] * CELLS
    colours: list[str | None] = []
    for k in range(CELLS):
        middle = (k + 0.5) * SCALE_STEP
        inside = low is not None and high is not None and low <= middle <= high
        if inside:
            colours.append(INTERVAL_LOW if middle <= estimate else INTERVAL_HIGH)
        else:
            colours.append(BAR if middle <= estimate else None)
    return colours


def _shade(cell, colour: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour)
    cell._tc.get_or_add_tcPr().append(shading)


def _borderless(table) -> None:
    """No grid: the shaded cells make the bars, the axis row carries the scale."""
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _write(cell, text: str, size: float = 10, bold: bool = False, align=None) -> None:
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.font.name, run.font.size, run.bold = FONT, Pt(size), bold
    run._element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    paragraph.paragraph_format.space_after = Pt(0)
    if align is not None:
        paragraph.alignment = align


def set_column_widths(table, widths_cm: list[float]) -> None:
    """Fixed column widths, in the table grid as well as in every cell: LibreOffice lays a table out from its
    grid (python-docx writes equal grid columns), Word from the cells."""
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for grid_col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths_cm):
        grid_col.set(qn("w:w"), str(int(Cm(width).twips)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)


def _axis(table) -> None:
    """The bottom row: ticks every 20 points from 0 (a tick label starts the 10 cells it spans; the axis ends at
    100, said in the note under the chart)."""
    cells = table.add_row().cells
    _write(cells[1], "%", 9, align=WD_ALIGN_PARAGRAPH.RIGHT)
    per_tick = 20 // SCALE_STEP
    for tick in range(0, 100, 20):
        first = 2 + tick // SCALE_STEP
        _write(cells[first].merge(cells[first + per_tick - 1]), f"|{tick}", 9)


def interval_chart(doc, points: list[tuple[str, float | None, float | None, float | None]], caption: str,
                   t: Labels) -> None:
    """A bar per (label, estimate, low, high), from 0 to 100, with its 95% interval; then the caption and
    how to read it."""
    shown = [p for p in points if p[1] is not None]
    if not shown:
        return
    table = doc.add_table(rows=0, cols=2 + CELLS)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _borderless(table)
    for label, estimate, low, high in shown:
        cells = table.add_row().cells
        _write(cells[0], str(label))
        _write(cells[1], t.dec(estimate), align=WD_ALIGN_PARAGRAPH.RIGHT)
        for cell, colour in zip(cells[2:], cell_colours(estimate, low, high)):
            if colour is not None:
                _shade(cell, colour)
    set_column_widths(table, [_LABEL_CM, _VALUE_CM] + [_CELL_CM] * CELLS)
    _axis(table)
    caption_paragraph = doc.add_paragraph()
    _write_paragraph(caption_paragraph, caption, 13, bold=True)
    _write_paragraph(doc.add_paragraph(), t(
        f"Thanh: giá trị, trục từ 0 đến 100 (mỗi ô {SCALE_STEP} điểm %); phần đậm và phần nhạt quanh đầu thanh: "
        "khoảng tin cậy 95%.",
        f"Bar: the value, on an axis from 0 to 100 ({SCALE_STEP} points per cell); the dark and light parts around "
        "the end of the bar: the 95% interval."), 13, italic=True)


def _write_paragraph(paragraph, text: str, size: float, bold: bool = False, italic: bool = False) -> None:
    run = paragraph.add_run(text)
    run.font.name, run.font.size, run.bold, run.italic = FONT, Pt(size), bold, italic
    run._element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
