"""The interchange format: one row per response, item codes as columns (CSV or XLSX).

Used by `sipas analyze FILE` and `sipas import responses FILE`; documented in docs/interchange-format.md.
Columns: response_id, agency_code, level (province/district/commune or tỉnh/huyện/xã), optional channel,
stratum, psu, weight, unit_code (the respondent's province, 2 digits, or commune, 5 digits, on the map the
analysis names), then one column per item code; a blank cell is a missing answer.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sipas.errors import ValidationFailed
from sipas.models import Channel
from surveys import Profile

META = ("response_id", "agency_code", "level", "channel", "stratum", "psu", "weight", "unit_code")
LEVELS = {"province": "province", "district": "district", "commune": "commune",
          "tỉnh": "province", "huyện": "district", "xã": "commune", "tinh": "province", "huyen": "district",
          "xa": "commune"}
MAX_PROBLEMS_LISTED = 200


@dataclass
class ResponseTable:
    """Responses as arrays (one row per response)."""

    response_id: np.ndarray
    agency_code: np.ndarray
    level: np.ndarray
    channel: np.ndarray  # "" where not given
    stratum: np.ndarray  # "" where not given
    psu: np.ndarray  # "" where not given (the respondent is its own PSU)
    weight: np.ndarray
    items: list[str]
    values: np.ndarray  # float [N, K], NaN = missing
    #: Spreadsheet row number of each row in the file (header = 1), kept when rows are skipped.
    row_numbers: np.ndarray | None = None
    #: The respondent's official unit code as written in the file ("" where not given), or None without the column.
    unit_code: np.ndarray | None = None
    #: The respondent's two-digit province code on the analysis map (set by `with_provinces`).
    province: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.response_id)

    def row_number(self, r: int) -> int:
        """The file row of table row r."""
        return int(self.row_numbers[r]) if self.row_numbers is not None else r + 2


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and non-empty rows of a CSV or XLSX file, as strings (shared by every file import)."""
    if path.suffix.lower() == ".csv":
        # utf-8-sig: Excel writes a byte-order mark at the start of UTF-8 CSV files.
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    elif path.suffix.lower() == ".xlsx":
        import openpyxl
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            rows = [["" if v is None else str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
                     for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            workbook.close()
    else:
        raise ValidationFailed([f"{path.name}: only .csv and .xlsx files are read"])
    if not rows:
        raise ValidationFailed([f"{path.name}: the file is empty"])
    nul = [f"row {r}: contains a NUL byte" for r, row in enumerate(rows, start=1) if any("\x00" in c for c in row)]
    if nul:
        raise ValidationFailed(nul[:MAX_PROBLEMS_LISTED], f"{path.name}: NUL bytes, nothing was read")
    header = [h.strip() for h in rows[0]]
    body = [r for r in rows[1:] if any(c.strip() for c in r)]
    return header, body


def read_table(path: Path | str, profile: Profile, *, skip_invalid: bool = False):
    """Read and validate a file; raise ValidationFailed listing every problem by row and column.

    Nothing is returned unless the whole file is clean (rows are numbered as in a spreadsheet: header = 1).
    With skip_invalid, returns (table of the clean rows, problems of the rows left out) instead; problems
    with the columns themselves still refuse the whole file.
    """
    path = Path(path)
    header, body = read_rows(path)
    problems: list[str] = []
    for required in ("response_id", "agency_code", "level"):
        if required not in header:
            problems.append(f"column '{required}' is missing")
    seen_cols = set()
    for col in header:
        if col in seen_cols:
            problems.append(f"column '{col}' appears twice")
        seen_cols.add(col)
        if col not in META and not profile.has_item(col):
            problems.append(f"column '{col}': not an item of profile {profile.key}")
    if problems:
        raise ValidationFailed(problems)
    col = {name: i for i, name in enumerate(header)}
    items = [c for c in header if c not in META]
    n = len(body)

    def column(name: str) -> list[str]:
        i = col.get(name)
        return [(r[i].strip() if i < len(r) else "") for r in body] if i is not None else [""] * n

    ids = column("response_id")
    seen: dict[str, int] = {}
    for r, rid in enumerate(ids, start=2):
        if not rid:
            problems.append(f"row {r}, column response_id: empty")
        elif rid in seen:
            problems.append(f"row {r}, column response_id: duplicate of row {seen[rid]}")
        else:
            seen[rid] = r
    levels = []
    for r, raw in enumerate(column("level"), start=2):
        level = LEVELS.get(raw.lower())
        if level is None:
            problems.append(f"row {r}, column level: {raw!r} is not province/district/commune (tỉnh/huyện/xã)")
        levels.append(level or "")
    for r, code in enumerate(column("agency_code"), start=2):
        if not code:
            problems.append(f"row {r}, column agency_code: empty")
    channels = column("channel")
    valid_channels = {c.value for c in Channel}
    for r, ch in enumerate(channels, start=2):
        if ch and ch not in valid_channels:
            problems.append(f"row {r}, column channel: {ch!r} is not one of {', '.join(sorted(valid_channels))}")
    weights = np.ones(n)
    if "weight" in col:
        for r, raw in enumerate(column("weight"), start=2):
            if raw == "":
                continue  # a blank weight is 1, like an absent weight column
            try:
                w = float(raw)
                if not (w > 0 and np.isfinite(w)):
                    raise ValueError
                weights[r - 2] = w
            except ValueError:
                problems.append(f"row {r}, column weight: {raw!r} must be a positive number")
    values = np.full((n, len(items)), np.nan)
    for k, code in enumerate(items):
        allowed = profile.item(code).scale.values
        for r, raw in enumerate(column(code), start=2):
            if raw == "":
                continue
            try:
                v = float(raw)
                if not v.is_integer() or int(v) not in allowed:
                    raise ValueError
            except ValueError:
                problems.append(f"row {r}, column {code}: {raw!r} is not one of "
                                f"{', '.join(str(a) for a in sorted(allowed))} (blank = missing)")
                continue
            values[r - 2, k] = v
    for block in profile.blocks:
        idx = [k for k, code in enumerate(items) if profile.item(code).block == block.code]
        if idx:
            chosen = (values[:, idx] == 1).sum(axis=1)
            for r in np.flatnonzero(chosen > block.max_choices):
                problems.append(f"row {r + 2}, block {block.code}: {int(chosen[r])} options chosen, "
                                f"at most {block.max_choices}")
    unit_codes = np.array(column("unit_code"), dtype=object) if "unit_code" in col else None
    table_args = (np.array(ids, dtype=object), np.array(column("agency_code"), dtype=object),
                  np.array(levels, dtype=object), np.array(channels, dtype=object),
                  np.array(column("stratum"), dtype=object), np.array(column("psu"), dtype=object), weights,
                  items, values, np.arange(2, n + 2), unit_codes)
    if skip_invalid:
        bad = {int(p.split(",")[0].split()[1]) for p in problems if p.startswith("row ")}
        keep = np.array([r + 2 not in bad for r in range(n)], dtype=bool)
        table = ResponseTable(*[a[keep] if isinstance(a, np.ndarray) and len(a) == n else a for a in table_args])
        return table, problems
    if problems:
        listed = problems[:MAX_PROBLEMS_LISTED]
        if len(problems) > len(listed):
            listed.append(f"... and {len(problems) - len(listed)} more problems")
        raise ValidationFailed(listed, f"{path.name}: {len(problems)} problems, nothing was read")
    return ResponseTable(*table_args[:9], None, unit_codes)


def with_provinces(table: ResponseTable, admin_map: str) -> ResponseTable:
    """The table with each respondent's province, read from its `unit_code` on the named map.

    A 2-digit code must be a province of that map, a 5-digit code a commune of it (its province is taken);
    every row needs a code. Raises ValidationFailed listing every problem by row, and changes nothing.
    """
    from sipas.services.units import map_codes

    if table.unit_code is None:
        raise ValidationFailed(["column 'unit_code' is missing: grouping by province needs the respondent's "
                                "province (2 digits) or commune (5 digits)"])
    provinces, communes = map_codes(admin_map)
    out, problems = [], []
    for r, raw in enumerate(table.unit_code):
        code = str(raw).strip()
        row = table.row_number(r)
        if code.isdigit() and len(code) in (1, 2) and code.zfill(2) in provinces:
            out.append(code.zfill(2))
        elif code.isdigit() and len(code) in (4, 5) and code.zfill(5) in communes:
            out.append(communes[code.zfill(5)])
        else:
            why = "empty" if not code else f"{code!r} is neither a province (2 digits) nor a commune (5 digits)"
            problems.append(f"row {row}, column unit_code: {why} of the map {admin_map}")
            out.append("")
    if problems:
        listed = problems[:MAX_PROBLEMS_LISTED]
        if len(problems) > len(listed):
            listed.append(f"... and {len(problems) - len(listed)} more problems")
        raise ValidationFailed(listed, f"{len(problems)} problems with unit_code, nothing was analysed")
    import dataclasses
    return dataclasses.replace(table, province=np.array(out, dtype=object))


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas in a CSV cell: a leading = + - @ TAB or CR gets a ' prefix."""
    return "'" + text if text and text.startswith(FORMULA_PREFIXES) else text


def export_rows(session, rnd, profile: Profile, *, batch: int = 5000):
    """Yield (header, then one list per valid response) in the interchange format, streaming from the database.

    Answers are read in batches of responses so a national round never sits in memory at once.
    """
    from sqlalchemy import select

    from sipas.models import Agency, Answer, Response, ResponseStatus

    items = [i.code for i in profile.items]
    yield list(META) + items
    position = {code: len(META) + k for k, code in enumerate(items)}
    from sipas.services.units import province_of

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
            row = [r.uuid, code, level, r.channel.value, csv_safe(r.stratum or ""), csv_safe(r.psu or ""),
                   repr(r.weight), unit_code] + [""] * len(items)
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


def import_table(session, rnd, table: ResponseTable, *, default_channel: str = "import") -> tuple[int, int, list[str]]:
    """Store the rows of a clean table as responses of a round; returns (created, already there, problems).

    The response UUID is the file's response_id when it is a UUID, otherwise a UUID derived from the round
    and the response_id, so importing the same file twice adds nothing. Flushes; the caller commits.
    """
    import uuid as uuidlib

    from sqlalchemy import select

    from sipas.errors import DuplicateSubmission
    from sipas.models import Agency
    from sipas.services.responses import Design, Submission, record_response

    agencies = {a.code: a for a in session.scalars(select(Agency))}
    problems, created, existing = [], 0, 0
    for r in range(len(table)):
        row = table.row_number(r)
        agency = agencies.get(str(table.agency_code[r]))
        if agency is None or agency not in rnd.agencies:
            problems.append(f"row {row}, column agency_code: {table.agency_code[r]!r} does not take part in {rnd.code}")
            continue
        if agency.level.value != table.level[r]:
            problems.append(f"row {row}, column level: {table.level[r]} but {agency.code} is {agency.level.value}")
            continue
        rid = str(table.response_id[r])
        try:
            response_uuid = str(uuidlib.UUID(rid))
        except ValueError:
            response_uuid = str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"sipas:{rnd.code}:{rid}"))
        answers = {code: (None if np.isnan(v) else int(v)) for code, v in zip(table.items, table.values[r])}
        channel = Channel(table.channel[r] or default_channel)
        if channel in (Channel.PAPER_POST, Channel.PAPER_DIRECT):
            channel = Channel.IMPORT  # keyed elsewhere: no surveyor of ours to attach
        try:
            design = Design(table.stratum[r] or None, table.psu[r] or None, float(table.weight[r]))
            submission = Submission(rnd, agency, answers, channel, uuid=response_uuid, design=design)
            result = record_response(session, submission, check_open=False)
        except ValidationFailed as exc:
            details = exc.problems.items() if isinstance(exc.problems, dict) else enumerate(exc.problems)
            problems.extend(f"row {row}, column {k}: {m}" for k, m in details)
            continue
        except DuplicateSubmission:
            problems.append(f"row {row}, column response_id: {rid!r} was imported before with other answers")
            continue
        created += result.created
        existing += not result.created
    return created, existing, problems
