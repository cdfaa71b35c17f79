"""The data sheet: anonymised responses as a person reads them (words for codes, numbers as numbers)."""
from __future__ import annotations

from typing import Iterable

from sipas.reports.sheets.base import (
    Labels,
    Sheet,
    _page,
)

DATA_HEADERS = {"response_id": ("Mã phiếu", "Response"), "agency_code": ("Mã cơ quan", "Agency code"),
                "level": ("Cấp", "Level"), "channel": ("Kênh", "Channel"), "stratum": ("Tầng", "Stratum"),
                "psu": ("Đơn vị mẫu", "Sampling unit"), "weight": ("Quyền số", "Weight")}



def _number(text: str):
    """An answer or a weight as a number (the data sheet stores numbers as numbers); "" stays empty."""
    if text == "" or text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return float(text)



def data_rows_as_read(rows: Iterable[list], header: list[str], t: Labels) -> Iterable[list]:
    """Interchange rows as a person reads them: levels and channels in words, weights and answers as numbers."""
    level, channel, stratum, weight = (header.index(c) for c in ("level", "channel", "stratum", "weight"))
    for row in rows:
        out = list(row)
        out[level] = t.word("level", row[level])
        out[channel] = t.word("channel", row[channel])
        out[stratum] = t.word("level", row[stratum])
        out[weight] = _number(row[weight])
        for k in range(weight + 1, len(out)):
            out[k] = _number(out[k])
        yield out



def data_sheet(data, t: Labels) -> Sheet:
    rows = data.data_rows()
    header_row = next(rows)
    shown = [t.pair(DATA_HEADERS[h]) if h in DATA_HEADERS else h for h in header_row]
    return Sheet(t("Dữ liệu", "Data"), t("Dữ liệu phiếu đã ẩn danh (không có thông tin cá nhân, không có ý kiến "
                                         "tự do)", "Anonymised responses (no personal data, no free text)"),
                 [[(h, 1) for h in shown]], data_rows_as_read(rows, header_row, t),
                 [36, 13, 10, 18, 10, 20, 9] + [5] * (len(header_row) - 7),
                 title_cols=1, page_label=_page(t))
