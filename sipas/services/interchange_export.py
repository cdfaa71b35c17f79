"""Writing responses out: a round's valid responses in the interchange format (docs/interchange-format.md,
read back by sipas/services/interchange.py), and formula-safe CSV files for people to open in Excel.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlalchemy import select

from sipas.models import Agency, Answer, Response, ResponseStatus
from sipas.services.interchange import META
from sipas.services.units import province_of
from surveys import Profile

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


#: A phone number or a signed number ("+84 912 345 678", "-5", "+84 (0) 912-345-678"): digits cannot call a
#: function or reach another program, so it is written as it is (an apostrophe would show in a mail merge).
_NUMBER_LIKE = re.compile(r"[+-][0-9][0-9 ().-]*")


def csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas in a CSV cell: a leading = @ TAB or CR, or + - followed by anything but a
    phone or plain number, gets a ' prefix."""
    if not text or not text.startswith(FORMULA_PREFIXES) or _NUMBER_LIKE.fullmatch(text):
        return text
    return "'" + text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV file for people to open in Excel: UTF-8 with the byte-order mark Excel needs to show Vietnamese,
    every cell formula-safe. The one writer of the lists handed out (invitation links, from the CLI and the
    sampling page)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[csv_safe(str(c)) for c in row] for row in rows])
    return buffer.getvalue().encode("utf-8-sig")


def export_rows(session, rnd, profile: Profile, *, batch: int = 5000):
    """Yield (header, then one list per valid response) in the interchange format, streaming from the database.

    Answers are read in batches of responses so a national round never sits in memory at once.
    """
    items = [i.code for i in profile.items]
    yield list(META) + items
    position = {code: len(META) + k for k, code in enumerate(items)}
    agencies = list(session.scalars(select(Agency)))
    provinces = province_of(session, [a.unit_id for a in agencies])
    # unit_code: the agency's commune, or its province (a district's code is not one the format takes).
    levels = {a.id: (a.code, a.level.value, a.unit.code if a.unit.level.value == "commune"
                     else provinces[a.unit_id].code if a.unit_id in provinces else "") for a in agencies}
    last_id = 0
    while True:
        responses = session.execute(
            select(Response.id, Response.uuid, Response.agency_id, Response.channel, Response.stratum, Response.psu,
                   Response.weight).where(Response.round_id == rnd.id, Response.status == ResponseStatus.VALID,
                                          Response.id > last_id).order_by(Response.id).limit(batch)).all()
        if not responses:
            return
        ids = [r.id for r in responses]
        answers: dict[int, list[tuple[str, int]]] = {}
        for rid, code, value in session.execute(select(Answer.response_id, Answer.item_code, Answer.value)
                                                .where(Answer.response_id.in_(ids))):
            answers.setdefault(rid, []).append((code, value))
        for r in responses:
            code, level, unit_code = levels[r.agency_id]
            # Every text column is guarded, not only the free ones: an agency code comes from an import file.
            row = [csv_safe(text) for text in (r.uuid, code, level, r.channel.value, r.stratum or "", r.psu or "")]
            row += [repr(r.weight), unit_code] + [""] * len(items)
            for item, value in answers.get(r.id, []):
                if item in position:
                    row[position[item]] = str(value)
            yield row
        last_id = ids[-1]


def write_csv(session, rnd, profile: Profile, path: Path | str) -> int:
    """Export a round's valid responses to a CSV file; returns the number of responses written."""
    count = -1
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        for row in export_rows(session, rnd, profile):
            writer.writerow(row)
            count += 1
    return count
