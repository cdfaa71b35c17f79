"""Sheets of rows -> .xlsx bytes with openpyxl in write-only mode (bounded memory for a million data rows).

Every string is written as a text cell: openpyxl would turn a citizen's "=HYPERLINK(...)" into a formula.
"""
from __future__ import annotations

import shutil
import textwrap
from datetime import datetime, timezone
from io import BytesIO
from typing import Iterable
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import NumDataSource, NumRef
from openpyxl.chart.error_bar import ErrorBars
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.pagebreak import Break
from openpyxl.writer.excel import ExcelWriter

from sipas.reports.sheets import Chart, Sheet
from sipas.reports.xlsx_rows import RawBody

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_THIN = Side(style="thin", color="999999")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="F2DCDB")
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _text_cell(ws, value: str, **style) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # never a formula, whatever the text starts with
    for key, val in style.items():
        setattr(cell, key, val)
    return cell


def _value_cell(ws, value, number: bool) -> WriteOnlyCell:
    if isinstance(value, str):
        return _text_cell(ws, value)
    cell = WriteOnlyCell(ws, value=value)
    if number and isinstance(value, float):
        cell.number_format = "0.00"
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 1000:
        cell.number_format = "#,##0"  # shown with the reader's thousands separator
    return cell


#: Printing: A4 with 1.3 cm side margins; a column of width w characters takes about 7w + 5 pixels (Calibri 11,
#: 96 dpi); the body font is 11 pt, so a print scale of 82% or more keeps it at 9 pt or more.
BODY_PT = 11
MIN_PRINTED_PT = 9
MIN_SCALE = -(-MIN_PRINTED_PT * 100 // BODY_PT)  # 82
#: 8% kept in hand: spreadsheet programs measure column widths slightly differently (LibreOffice rendered a
#: sheet computed to fill the page exactly as two pages across).
_USABLE_PX = {"portrait": int((21.0 - 2.6) / 2.54 * 96 * 0.92), "landscape": int((29.7 - 2.6) / 2.54 * 96 * 0.92)}
_ROW_CM = 0.53  # a default row (15 pt)


def columns_px(widths: list[int]) -> int:
    """Printed width of the columns in pixels at 100%."""
    return sum(7 * w + 5 for w in widths)


def print_layout(widths: list[int]) -> tuple[str, int]:
    """(orientation, scale %) for a sheet: portrait when it fits at a readable size, else landscape; the scale
    fits the columns to the page width but never below MIN_SCALE (a wider sheet runs onto more pages across,
    with its first columns repeated)."""
    px = columns_px(widths)
    for orientation in ("portrait", "landscape"):
        if px * MIN_SCALE / 100 <= _USABLE_PX[orientation]:
            return orientation, max(MIN_SCALE, min(100, _USABLE_PX[orientation] * 100 // px))
    return "landscape", MIN_SCALE


def _page_setup(ws, sheet: Sheet, footer: str, first_header: int, body_start: int) -> tuple[str, int]:
    """Frozen header, A4 at a readable scale, header rows (and first columns when wide) repeated on every page,
    the footer with the report and the page number; returns (orientation, scale)."""
    ws.freeze_panes = f"A{body_start}"
    ws.print_title_rows = f"{first_header}:{body_start - 1}"
    orientation, scale = print_layout(sheet.widths)
    ws.page_setup.orientation = orientation
    ws.page_setup.paperSize = "9"  # A4 (openpyxl Worksheet.PAPERSIZE_A4)
    ws.page_setup.scale = scale
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    if columns_px(sheet.widths) * scale / 100 > _USABLE_PX[orientation]:
        ws.print_title_cols = f"A:{get_column_letter(max(1, sheet.title_cols))}"
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.left.text = footer.replace("&", "&&")
    ws.oddFooter.left.size = 9
    ws.oddFooter.right.text = sheet.page_label
    ws.oddFooter.right.size = 9
    ws.print_options.horizontalCentered = False
    return orientation, scale


def _raw_body(ws, number_cols: set[int], first_row: int) -> RawBody:
    """A body written apart, its cells formatted as `_value_cell` formats them; write_workbook finds it again."""
    body = RawBody(number_cols, first_row, decimal_style=_value_cell(ws, 0.5, True).style_id,
                   thousands_style=_value_cell(ws, 1000, False).style_id)
    ws._sipas_body = body.file  # the worksheet's own XML has no body rows: they go in when the archive is written
    return body


def write_sheet(wb: Workbook, sheet: Sheet, progress=None, footer: str = "") -> int:
    """Append one sheet; returns the number of body rows written. progress(rows) is called every 10,000 rows."""
    ws = wb.create_sheet(sheet.name[:31])
    n_cols = len(sheet.widths)
    for i, width in enumerate(sheet.widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    # Charts need the interval as distances from the value: helper columns after the table, hidden.
    helpers = [spec for spec in sheet.charts if spec.low_col is not None]
    for k in range(2 * len(helpers)):
        ws.column_dimensions[get_column_letter(n_cols + 1 + k)].hidden = True
    first_header = 1 + len(sheet.notes) + 2
    depth = len(sheet.header)
    body_start = first_header + depth
    # Write-only sheets write their settings with the first row: set views and printing before appending.
    orientation, scale = _page_setup(ws, sheet, footer, first_header, body_start)
    _write_title_and_header(ws, sheet, first_header)
    if not sheet.charts:  # a table without charts: its body is written as XML directly (xlsx_rows.RawBody)
        count = _raw_body(ws, sheet.number_cols, body_start).write(sheet.rows, progress)
        for index in sheet.page_breaks:
            ws.row_breaks.append(Break(id=body_start + index - 1))
        return count
    count = 0
    for values in sheet.rows:
        cells = [_value_cell(ws, v, i in sheet.number_cols) for i, v in enumerate(values)]
        if helpers:
            cells += [None] * (n_cols - len(cells))
            for spec in helpers:
                assert spec.low_col is not None and spec.high_col is not None  # helpers have intervals
                value, low, high = (values[spec.value_col], values[spec.low_col], values[spec.high_col])
                ok = all(isinstance(x, (int, float)) for x in (value, low, high))
                cells += [round(value - low, 4) if ok else None, round(high - value, 4) if ok else None]
        ws.append(cells)
        count += 1
        if progress is not None and count % 10_000 == 0:
            progress(count)
    for index in sheet.page_breaks:
        ws.row_breaks.append(Break(id=body_start + index - 1))
    next_row = body_start + count + 2
    for k, spec in enumerate(sheet.charts):
        first, last = spec.rows if spec.rows is not None else (0, count)
        if last <= first:
            continue
        chart = _bar_chart(ws, spec, body_start + first, body_start + last - 1, n_cols, helpers, scale, orientation)
        # Below the table (never beside it): a page break keeps the chart whole on a page of its own.
        ws.row_breaks.append(Break(id=next_row - 1))
        ws.add_chart(chart, f"A{next_row}")
        next_row += int(chart.height / _ROW_CM) + 3
    return count


#: A wrapped line of 11 pt text takes 15 pt of row height. The column width counts the digit "0" of the body
#: font; bold headings came out about 30% wider where LibreOffice substitutes a font for Calibri (measured on
#: the rendered demo workbook), so they are counted that much wider: a row a little too tall beats a clipped one.
_LINE_PT = 15.0
_BOLD_WIDER = 1.3


def wrapped_lines(text: str, width_chars: float, bold: bool = False) -> int:
    """How many lines `text` takes when wrapped at word boundaries in a column `width_chars` wide."""
    usable = max(1, int(width_chars / (_BOLD_WIDER if bold else 1.0)) - 1)  # a character's worth of padding
    return sum(max(1, len(textwrap.wrap(part, usable, break_long_words=True))) for part in text.split("\n"))


def fitting_height(lines: int) -> float:
    """The row height (points) that shows `lines` wrapped lines whole: spreadsheet programs do not grow a row
    for wrapped text they did not lay out themselves (LibreOffice clipped the header cells)."""
    return _LINE_PT * lines + 3


def _header_heights(sheet: Sheet) -> list[float | None]:
    """Per header row, the height its wrapped headings need (None: one line is enough). A heading that spans
    the header's rows downwards shares them."""
    depth = len(sheet.header)
    needed: list[float | None] = []
    for level, header_row in enumerate(sheet.header):
        lines, col = 1, 1
        for text, span in header_row:
            width = sum(sheet.widths[col - 1:col - 1 + span])
            spans_down = level == 0 and depth > 1 and span == 1 and \
                sheet.header[1][_position(sheet.header[1], col)][0] == ""
            n = wrapped_lines(text, width, bold=True)
            lines = max(lines, -(-n // depth) if spans_down else n)
            col += span
        needed.append(fitting_height(lines) if lines > 1 else None)
    return needed


def _write_title_and_header(ws, sheet: Sheet, first_header: int) -> None:
    """The title, the notes (merged across the table, rows as tall as their wrapped text), a blank row, then
    the header rows (merged where a heading spans columns or rows, tall enough for wrapped headings)."""
    ws.append([_text_cell(ws, sheet.title, font=Font(bold=True, size=14))])
    wide = max(1, len(sheet.widths))
    for k, note in enumerate(sheet.notes):
        lines = wrapped_lines(note, sum(sheet.widths))
        if lines > 1:
            ws.row_dimensions[2 + k].height = fitting_height(lines)
        ws.append([_text_cell(ws, note, font=Font(italic=True, color="555555"),
                              alignment=Alignment(wrap_text=True, vertical="top"))])
        if wide > 1:
            ws.merged_cells.add(CellRange(min_col=1, min_row=2 + k, max_col=wide, max_row=2 + k))
    ws.append([])
    depth = len(sheet.header)
    for level, (header_row, height) in enumerate(zip(sheet.header, _header_heights(sheet))):
        row = first_header + level
        if height is not None:
            ws.row_dimensions[row].height = height
        cells, col = [], 1
        for text, span in header_row:
            cells.append(_text_cell(ws, text, font=_HEADER_FONT, fill=_HEADER_FILL, alignment=_HEADER_ALIGN,
                                    border=_BORDER))
            cells += [_text_cell(ws, "", fill=_HEADER_FILL, border=_BORDER) for _ in range(span - 1)]
            if span > 1:
                ws.merged_cells.add(CellRange(min_col=col, min_row=row, max_col=col + span - 1, max_row=row))
            elif level == 0 and depth > 1 and sheet.header[1][_position(sheet.header[1], col)][0] == "":
                # A one-column heading with nothing under it spans the header's rows.
                ws.merged_cells.add(CellRange(min_col=col, min_row=row, max_col=col, max_row=row + depth - 1))
            col += span
        ws.append(cells)


def _bar_chart(ws, spec: Chart, first_row: int, last_row: int, n_cols: int, helpers: list[Chart], scale: int,
               orientation: str) -> BarChart:
    n = last_row - first_row + 1
    chart = BarChart()
    chart.type = "col" if n <= 12 else "bar"
    chart.title = spec.title
    chart.legend = None
    chart.visible_cells_only = False  # the interval helper columns are hidden
    chart.add_data(Reference(ws, min_col=spec.value_col + 1, min_row=first_row, max_row=last_row))
    chart.set_categories(Reference(ws, min_col=spec.category_col + 1, min_row=first_row, max_row=last_row))
    series = chart.series[0]
    if spec.low_col is not None:
        k = helpers.index(spec)
        minus_col = get_column_letter(n_cols + 1 + 2 * k)
        plus_col = get_column_letter(n_cols + 2 + 2 * k)
        title = quote_sheetname(ws.title)
        series.errBars = ErrorBars(
            errDir="y", errBarType="both", errValType="cust", noEndCap=False,
            minus=NumDataSource(numRef=NumRef(f=f"{title}!${minus_col}${first_row}:${minus_col}${last_row}")),
            plus=NumDataSource(numRef=NumRef(f=f"{title}!${plus_col}${first_row}:${plus_col}${last_row}")))
    # The value axis starts at 0 and ends at 100: bar lengths compare as the figures do.
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 100
    chart.y_axis.majorUnit = 10
    chart.y_axis.title = spec.y_title
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.x_axis.tickLblSkip = 1  # every label shown
    if chart.type == "bar":
        chart.x_axis.scaling.orientation = "maxMin"  # the first row (rank 1) on top
    width_cm = (_USABLE_PX[orientation] / 96 * 2.54) * 100 / scale * 0.95
    chart.width = min(width_cm, 25.0)
    chart.height = 8 if n <= 12 else max(8.0, 0.6 * n + 2)
    return chart


def _position(header_row: list[tuple[str, int]], col: int) -> int:
    """Index in a header row of the entry covering 1-based column `col`."""
    c = 1
    for i, (_, span) in enumerate(header_row):
        if c <= col < c + span:
            return i
        c += span
    return len(header_row) - 1


class _FixedTimeZip(ZipFile):
    """A zip archive whose every entry carries one given time: the same content gives the same bytes
    (zipfile would stamp each entry with the time it was written)."""

    def __init__(self, out, moment: datetime, bodies: dict | None = None):
        super().__init__(out, "w", ZIP_DEFLATED, allowZip64=True)
        self._stamp = moment.timetuple()[:6]
        #: Body rows written apart, by the file of the worksheet they belong in.
        self.bodies = bodies or {}

    def _info(self, name: str) -> ZipInfo:
        info = ZipInfo(name, self._stamp)
        info.compress_type = ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        """As ZipFile.writestr, with the fixed time."""
        if not isinstance(zinfo_or_arcname, ZipInfo):
            zinfo_or_arcname = self._info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        """As ZipFile.write for a file (openpyxl's streamed worksheets), with the fixed time, streamed; a body
        written apart (`RawBody`) goes in before the end of the sheet's rows."""
        body = self.bodies.pop(filename, None)
        with open(filename, "rb") as src, self.open(self._info(str(arcname or filename)), "w", force_zip64=True) as dst:
            if body is None:
                shutil.copyfileobj(src, dst, 1 << 20)
                return
            head, end, tail = src.read().partition(b"</sheetData>")  # small: title and header rows only
            dst.write(head)
            shutil.copyfileobj(body, dst, 1 << 20)
            dst.write(end + tail)
            body.close()


def write_workbook(sheets: list[Sheet], out, progress=None, *, created: datetime | None = None, footer: str = ""
                   ) -> dict[str, int]:
    """Write the sheets to `out` (a path or a binary file); returns the body rows written per sheet.

    progress(rows) reports the rows of the last (data) sheet as they stream. Writing to a path keeps a
    million-row export out of memory (the rows stream through temporary files, the result goes to disk).
    `created` fixes the workbook's creation and modification times and the archive's entry times: the same
    sheets and the same time give the same bytes (a published version's workbook never changes).
    """
    wb = Workbook(write_only=True)
    counts = {}
    for i, sheet in enumerate(sheets):
        counts[sheet.name] = write_sheet(wb, sheet, progress if i == len(sheets) - 1 else None, footer)
    bodies = {}
    for ws in wb.worksheets:
        ws.close()  # the worksheet's own XML is complete: its file is known
        if getattr(ws, "_sipas_body", None) is not None:
            bodies[ws._writer.out] = ws._sipas_body
    if created is None:
        moment = datetime.now(timezone.utc)
    else:
        moment = (created if created.tzinfo else created.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
        wb.properties.created = wb.properties.modified = moment.replace(tzinfo=None, microsecond=0)
    ExcelWriter(wb, _FixedTimeZip(out, moment, bodies)).save()
    return counts


def workbook_bytes(sheets: list[Sheet], progress=None, *, created: datetime | None = None, footer: str = ""
                   ) -> tuple[bytes, dict[str, int]]:
    """The workbook as bytes (for downloads of ordinary size) and the body rows written per sheet."""
    buffer = BytesIO()
    counts = write_workbook(sheets, buffer, progress, created=created, footer=footer)
    return buffer.getvalue(), counts


def table_bytes(header: list[str], rows: Iterable[list], sheet_name: str = "Sheet1",
                widths: list[int] | None = None) -> bytes:
    """A plain one-sheet workbook: the header in row 1 (what mail merge expects), then the rows, every cell
    text (never a formula, whatever it starts with)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_name[:31])
    for i, width in enumerate(widths or []):
        ws.column_dimensions[get_column_letter(i + 1)].width = width
    ws.freeze_panes = "A2"
    ws.append([_text_cell(ws, h, font=_HEADER_FONT) for h in header])
    for row in rows:
        ws.append([_text_cell(ws, "" if v is None else str(v)) for v in row])
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
