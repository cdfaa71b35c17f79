"""Body rows written as worksheet XML (sipas/reports/xlsx_rows.py) read back as the cells `_value_cell` made."""
from __future__ import annotations

import io

import openpyxl
import pytest
from openpyxl.utils.exceptions import IllegalCharacterError

from sipas.reports.sheets import Sheet
from sipas.reports.xlsx import workbook_bytes
from sipas.reports.xlsx_rows import RawBody

ROWS = [["=SUM(A1)", " padded ", "a & b <c>", 12.345, 2500, 7, True, None, "line\r\nnext"],
        ["", "Phường Đồng Tâm", "-5", 0.5, 999, -1200, False, 1.0, "x"]]


def test_a_body_reads_back_with_its_values_types_and_formats():
    header = [(f"c{i}", 1) for i in range(len(ROWS[0]))]
    content, counts = workbook_bytes([Sheet("Data", "data", [header], iter(ROWS), [10] * len(ROWS[0]),
                                            number_cols={3, 7})])
    assert counts == {"Data": 2}
    ws = openpyxl.load_workbook(io.BytesIO(content))["Data"]
    body = [list(r) for r in ws.iter_rows(min_row=4, max_row=5)]  # title, blank, header: the body starts at 4
    assert [[c.value for c in r] for r in body] == [[v for v in row] for row in ROWS]
    assert body[0][0].data_type == "s"  # formula-like text stays text
    assert body[0][3].number_format == "0.00" and body[1][7].number_format == "0.00"  # decimals of number columns
    assert body[0][4].number_format == "#,##0" and body[1][5].number_format == "#,##0"
    assert body[0][5].number_format == "General" and body[1][4].number_format == "General"
    assert ws.freeze_panes == "A4"


def test_text_xml_cannot_hold_is_refused_as_openpyxl_refuses_it():
    body = RawBody(set(), 5, decimal_style=1, thousands_style=2)
    with pytest.raises(IllegalCharacterError):
        body.write(iter([["bell\x07"]]))
