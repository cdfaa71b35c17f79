"""Body rows of a worksheet written as XML text, for sheets of many rows (the data sheet of a million)."""
from __future__ import annotations

import tempfile
from typing import Iterable
from xml.sax.saxutils import escape

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError


class RawBody:
    """A sheet's body rows as worksheet XML, written straight to a temporary file and spliced into the sheet
    when the archive is written (`xlsx._FixedTimeZip.write`). openpyxl builds a styled cell object and an XML
    element per value, which made a million-row data sheet several times slower than the format needs. The cells are
    those `xlsx._value_cell` makes: text always as text (never a formula), "0.00" for decimals of number columns,
    "#,##0" for integers from 1,000."""

    def __init__(self, number_cols: set[int], first_row: int, *, decimal_style: int, thousands_style: int):
        self.number_cols, self.row = number_cols, first_row
        self.file = tempfile.TemporaryFile()
        self.decimal, self.thousands = f' s="{decimal_style}"', f' s="{thousands_style}"'
        self.letters: list[str] = []

    def write(self, rows: Iterable[list], progress=None) -> int:
        try:
            return self._write(rows, progress)
        except BaseException:
            self.file.close()  # the sheet is not written: its temporary rows go now
            raise

    def _write(self, rows: Iterable[list], progress=None) -> int:
        count, chunk = 0, []
        for values in rows:
            chunk.append(self._row(values))
            count += 1
            if count % 10_000 == 0:
                self.file.write("".join(chunk).encode("utf-8"))
                chunk = []
                if progress is not None:
                    progress(count)
        self.file.write("".join(chunk).encode("utf-8"))
        self.file.seek(0)
        return count

    def _row(self, values: list) -> str:
        r = str(self.row)
        self.row += 1
        while len(self.letters) < len(values):
            self.letters.append(get_column_letter(len(self.letters) + 1))
        cells = [f'<row r="{r}">']
        for i, value in enumerate(values):
            if value is None:
                continue
            ref = self.letters[i] + r
            if isinstance(value, str):
                cells.append(_text_xml(ref, value))
            elif isinstance(value, bool):
                cells.append(f'<c r="{ref}" t="b"><v>{value:d}</v></c>')
            elif isinstance(value, (int, float)):
                style = (self.decimal if isinstance(value, float) and i in self.number_cols
                         else self.thousands if isinstance(value, int) and abs(value) >= 1000 else "")
                cells.append(f'<c r="{ref}"{style} t="n"><v>{safe_string(value)}</v></c>')
            else:
                raise TypeError(f"a sheet cell cannot hold {type(value).__name__}")
        cells.append("</row>")
        return "".join(cells)


def _text_xml(ref: str, text: str) -> str:
    """An inline text cell, as openpyxl writes one (characters XML cannot hold are refused as openpyxl does)."""
    if ILLEGAL_CHARACTERS_RE.search(text):
        raise IllegalCharacterError(f"{text!r} cannot be used in worksheets.")
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'


def _escape(text: str) -> str:
    if "&" in text or "<" in text or ">" in text or "\r" in text:
        return escape(text, {"\r": "&#13;"})
    return text
