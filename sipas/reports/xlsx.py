"""Sheets of rows -> .xlsx bytes with openpyxl in write-only mode (bounded memory for a million data rows).

Every string is written as a text cell: openpyxl would turn a citizen's "=HYPERLINK(...)" into a formula.
"""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from io import BytesIO
from typing import Iterable
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.writer.excel import ExcelWriter

from sipas.reports.tables import Sheet

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
    return cell


def write_sheet(wb: Workbook, sheet: Sheet, progress=None) -> int:
    """Append one sheet; returns the number of body rows written. progress(rows) is called every 10,000 rows."""
    ws = wb.create_sheet(sheet.name[:31])
    for i, width in enumerate(sheet.widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    first_header = 1 + len(sheet.notes) + 2
    depth = len(sheet.header)
    body_start = first_header + depth
    # Write-only sheets write their settings with the first row: set views and printing before appending.
    ws.freeze_panes = f"A{body_start}"
    ws.print_title_rows = f"{first_header}:{body_start - 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4 (openpyxl Worksheet.PAPERSIZE_A4)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.append([_text_cell(ws, sheet.title, font=Font(bold=True, size=14))])
    for note in sheet.notes:
        ws.append([_text_cell(ws, note, font=Font(italic=True, color="555555"))])
    ws.append([])
    for level, header_row in enumerate(sheet.header):
        cells, col = [], 1
        for text, span in header_row:
            cell = _text_cell(ws, text, font=_HEADER_FONT, fill=_HEADER_FILL, alignment=_HEADER_ALIGN, border=_BORDER)
            cells.append(cell)
            for _ in range(span - 1):
                cells.append(_text_cell(ws, "", fill=_HEADER_FILL, border=_BORDER))
            row = first_header + level
            if span > 1:
                ws.merged_cells.add(CellRange(min_col=col, min_row=row, max_col=col + span - 1, max_row=row))
            elif level == 0 and depth > 1 and sheet.header[1][_position(sheet.header[1], col)][0] == "":
                # A one-column heading with nothing under it spans the header's rows.
                ws.merged_cells.add(CellRange(min_col=col, min_row=row, max_col=col, max_row=row + depth - 1))
            col += span
        ws.append(cells)
    count = 0
    for values in sheet.rows:
        ws.append([_value_cell(ws, v, i in sheet.number_cols) for i, v in enumerate(values)])
        count += 1
        if progress is not None and count % 10_000 == 0:
            progress(count)
    for chart_spec in sheet.charts:
        if count == 0:
            continue
        chart = BarChart()
        chart.type = "col" if count <= 12 else "bar"
        chart.title = chart_spec.title
        chart.y_axis.title = chart_spec.y_title
        chart.height, chart.width = (8, 16) if count <= 12 else (max(8, count * 0.45), 18)
        chart.legend = None
        for col in chart_spec.value_cols:
            chart.add_data(Reference(ws, min_col=col + 1, min_row=body_start, max_row=body_start + count - 1))
        chart.set_categories(Reference(ws, min_col=chart_spec.category_col + 1, min_row=body_start,
                                       max_row=body_start + count - 1))
        ws.add_chart(chart, chart_spec.anchor)
    return count


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

    def __init__(self, out, moment: datetime):
        super().__init__(out, "w", ZIP_DEFLATED, allowZip64=True)
        self._stamp = moment.timetuple()[:6]

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
        """As ZipFile.write for a file (openpyxl's streamed worksheets), with the fixed time, streamed."""
        with open(filename, "rb") as src, self.open(self._info(str(arcname or filename)), "w", force_zip64=True) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)


def write_workbook(sheets: list[Sheet], out, progress=None, *, created: datetime | None = None) -> dict[str, int]:
    """Write the sheets to `out` (a path or a binary file); returns the body rows written per sheet.

    progress(rows) reports the rows of the last (data) sheet as they stream. Writing to a path keeps a
    million-row export out of memory (the rows stream through temporary files, the result goes to disk).
    `created` fixes the workbook's creation and modification times and the archive's entry times: the same
    sheets and the same time give the same bytes (a published version's workbook never changes).
    """
    wb = Workbook(write_only=True)
    counts = {}
    for i, sheet in enumerate(sheets):
        counts[sheet.name] = write_sheet(wb, sheet, progress if i == len(sheets) - 1 else None)
    if created is None:
        wb.save(out)
        return counts
    moment = (created if created.tzinfo else created.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    wb.properties.created = wb.properties.modified = moment.replace(tzinfo=None, microsecond=0)
    ExcelWriter(wb, _FixedTimeZip(out, moment)).save()
    return counts


def workbook_bytes(sheets: list[Sheet], progress=None, *, created: datetime | None = None
                   ) -> tuple[bytes, dict[str, int]]:
    """The workbook as bytes (for downloads of ordinary size) and the body rows written per sheet."""
    buffer = BytesIO()
    counts = write_workbook(sheets, buffer, progress, created=created)
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
