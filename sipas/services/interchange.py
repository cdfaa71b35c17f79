"""The interchange format: one row per response, item codes as columns (CSV or XLSX).

Used by `sipas analyze FILE` and `sipas import responses FILE`; documented in docs/interchange-format.md.
Columns: response_id, agency_code, level (province/district/commune or tỉnh/huyện/xã), optional channel,
stratum, psu, weight, unit_code (the respondent's province, 2 digits, or commune, 5 digits, on the map the
analysis names), then one column per item code; a blank cell is a missing answer.
"""
from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ExpatError

import numpy as np
import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

import surveys
from sipas.errors import ValidationFailed
from sipas.models import Channel
from sipas.services.units import map_codes
from surveys import Profile
from surveys.answers import BLANK_REQUIRED, NOT_ON_SCALE, AnswerProblem

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


#: No sampling weight exceeds the population of Vietnam; larger values overflow the sums (1e308 did).
MAX_WEIGHT = 1e9
#: The most rows any uploaded file may have (header included): a small file must not expand into millions.
MAX_ROWS = 200_000


def xlsx_rows(path: Path) -> Iterator[list[str]]:
    """The first sheet's rows as text cells (whole numbers without ".0"), read as they stream."""
    # Our own file handle, closed whatever happens: openpyxl leaves its own open when a workbook is broken.
    with open(path, "rb") as handle:
        try:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except InvalidFileException as exc:
            raise ValueError(str(exc)) from exc
        try:
            if not workbook.worksheets:
                raise ValidationFailed([f"{path.name}: the workbook has no sheet"])
            for row in workbook.worksheets[0].iter_rows(values_only=True):
                yield ["" if v is None else str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
                       for v in row]
        finally:
            workbook.close()


def _limited(rows, path: Path) -> list:
    """The rows, read one at a time, refusing the file as soon as it passes MAX_ROWS."""
    out = []
    for row in rows:
        out.append(row)
        if len(out) > MAX_ROWS:
            raise ValidationFailed([f"{path.name}: more than {MAX_ROWS:,} rows; split the file"],
                                   f"{path.name}: too many rows, nothing was read")
    return out


#: What the csv module and openpyxl raise for a file that is not what its name says (openpyxl reports a broken
#: workbook through many exception types); none of them is a server fault.
_UNREADABLE_XLSX = (zipfile.BadZipFile, KeyError, IndexError, ValueError, TypeError, ParseError, ExpatError, EOFError)


@contextlib.contextmanager
def unreadable_refused(path: Path, *, passing: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """A file the csv module or openpyxl cannot read is refused with ValidationFailed, never a server error
    (`passing`: errors the caller answers itself)."""
    passed_on: tuple[type[BaseException], ...] = (ValidationFailed, *passing)
    try:
        yield
    except passed_on:
        raise
    except csv.Error as exc:
        raise ValidationFailed([f"{path.name}: not a readable CSV file ({exc})"]) from None
    except _UNREADABLE_XLSX as exc:
        raise ValidationFailed([f"{path.name}: not a readable XLSX workbook ({type(exc).__name__})"]) from None


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and non-empty rows of a CSV or XLSX file, as strings (shared by every file import)."""
    header, body, _ = read_numbered_rows(path)
    return header, body


def read_numbered_rows(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, non-empty rows and each row's number in the file (header = 1; blank rows still count): the one
    reader of every file import.

    Rows are streamed and counted (MAX_ROWS). A file that is not what its name says (not a zip, no sheet,
    broken or hostile XML such as undefined entities or entity expansion, a CSV field over the csv module's
    limit, text that is not UTF-8) is refused with ValidationFailed, never a server error.
    """
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValidationFailed([f"{path.name}: only .csv and .xlsx files are read"])
    with unreadable_refused(path):
        if suffix == ".csv":
            data = path.read_bytes()
            try:
                # utf-8-sig: Excel writes a byte-order mark at the start of UTF-8 CSV files.
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                line = data[:exc.start].count(b"\n") + 1
                raise ValidationFailed([f"row {line}: the file is not UTF-8 (Tệp không ở mã UTF-8): byte "
                                        f"{exc.start + 1} is not UTF-8 text; save it as \"CSV UTF-8\" in Excel, or "
                                        "as XLSX"], f"{path.name}: not UTF-8, nothing was read") from None
            rows = _limited(csv.reader(io.StringIO(text, newline="")), path)
        else:
            rows = _limited(xlsx_rows(path), path)
    if not rows:
        raise ValidationFailed([f"{path.name}: the file is empty"])
    nul = [f"row {r}: contains a NUL byte" for r, row in enumerate(rows, start=1) if any("\x00" in c for c in row)]
    if nul:
        raise ValidationFailed(nul[:MAX_PROBLEMS_LISTED], f"{path.name}: NUL bytes, nothing was read")
    header = [h.strip() for h in rows[0]]
    numbered = [(r, row) for r, row in enumerate(rows[1:], start=2) if any(c.strip() for c in row)]
    return header, [row for _, row in numbered], [r for r, _ in numbered]


class FileProblem(str):
    """One problem of a file, as data: the file row (header = 1), the column (or block) it is in and what kind
    of problem (the `surveys.answers` kinds for answers); the string itself is the message shown, so lists of
    problems print and join as before."""

    row: int
    column: str | None
    kind: str

    def __new__(cls, row: int, column: str | None, kind: str, message: str) -> FileProblem:
        problem = super().__new__(cls, message)
        problem.row, problem.column, problem.kind = row, column, kind
        return problem

    def __getnewargs__(self) -> tuple[Any, ...]:  # copies and pickles keep the data
        return self.row, self.column, self.kind, str(self)

    @property
    def message(self) -> str:
        return str(self)


class _Rows:
    """The body of a file by column: stripped cells, with each row's number in the file."""

    def __init__(self, header: list[str], body: list[list[str]], numbers: list[int]):
        self.header, self.body, self.numbers = header, body, numbers
        self.index_of = {name: i for i, name in enumerate(header)}

    def __len__(self) -> int:
        return len(self.body)

    def column(self, name: str) -> list[str]:
        i = self.index_of.get(name)
        if i is None:
            return [""] * len(self.body)
        return [(r[i].strip() if i < len(r) else "") for r in self.body]


def read_table(path: Path | str, profile: Profile, *, skip_invalid: bool = False):
    """Read and validate a file; raise ValidationFailed listing every problem by row and column.

    Nothing is returned unless the whole file is clean (rows are numbered as in a spreadsheet: header = 1).
    With skip_invalid, returns (table of the clean rows, problems of the rows left out, as `FileProblem`s)
    instead; problems with the columns themselves still refuse the whole file.
    """
    path = Path(path)
    header, body, numbers = read_numbered_rows(path)
    column_problems = _header_problems(path, header, body, profile)
    if column_problems:
        raise ValidationFailed(column_problems)
    rows = _Rows(header, body, numbers)
    problems = _shape_problems(rows) + _id_problems(rows)
    levels, level_problems = _levels(rows)
    channels, channel_problems = _channels(rows)
    weights, weight_problems = _weights(rows)
    items = [c for c in header if c not in META]
    values, answer_problems = surveys.check_answer_columns(profile, items, [rows.column(c) for c in items])
    problems += level_problems + channel_problems + weight_problems + [
        _answer_problem(p, numbers, profile) for p in answer_problems]
    table = ResponseTable(np.array(rows.column("response_id"), dtype=object),
                          np.array(rows.column("agency_code"), dtype=object), np.array(levels, dtype=object),
                          np.array(channels, dtype=object), np.array(rows.column("stratum"), dtype=object),
                          np.array(rows.column("psu"), dtype=object), weights, items, values,
                          np.array(numbers, dtype=int),
                          np.array(rows.column("unit_code"), dtype=object) if "unit_code" in rows.index_of else None)
    if skip_invalid:
        bad = {p.row for p in problems}
        return _rows_of(table, np.array([r not in bad for r in numbers], dtype=bool)), problems
    if problems:
        listed = [p.message for p in problems[:MAX_PROBLEMS_LISTED]]
        if len(problems) > len(listed):
            listed.append(f"... and {len(problems) - len(listed)} more problems")
        noun = "problems" if len(problems) > 1 else "problem"
        raise ValidationFailed(listed, f"{path.name}: {len(problems)} {noun}, nothing was read")
    return table


def _header_problems(path: Path, header: list[str], body: list, profile: Profile) -> list[str]:
    """What refuses the whole file: no rows, missing or repeated columns, columns the profile does not know."""
    problems: list[str] = []
    if not body:
        problems.append(f"{path.name}: no responses below the header row")
    for code in (item.code for item in profile.items if item.required):
        if code not in header:
            problems.append(f"column '{code}' is missing (a required item of profile {profile.key})")
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
    return problems


def _shape_problems(rows: _Rows) -> list[FileProblem]:
    width = len(rows.header)
    return [FileProblem(r, None, "row_width", f"row {r}: {len(row)} cells, the header has {width}")
            for r, row in zip(rows.numbers, rows.body) if len(row) != width]


def _id_problems(rows: _Rows) -> list[FileProblem]:
    return id_problems(rows.numbers, rows.column("response_id"), {})


def id_problems(numbers: Sequence[int], ids: Sequence[str], seen: dict[str, int]) -> list[FileProblem]:
    """Blank and repeated response ids (`seen`: id -> first row, kept across the blocks of a large file)."""
    problems = []
    for r, rid in zip(numbers, ids):
        if not rid:
            problems.append(FileProblem(r, "response_id", "blank", f"row {r}, column response_id: empty"))
        elif (first := seen.setdefault(rid, r)) != r:
            problems.append(FileProblem(r, "response_id", "duplicate",
                                        f"row {r}, column response_id: duplicate of row {first}"))
    return problems


def _levels(rows: _Rows) -> tuple[list[str], list[FileProblem]]:
    """Each row's level in English words, and the problems of the level and agency_code columns."""
    levels, unknown, agency = level_problems(rows.numbers, rows.column("level"), rows.column("agency_code"), {})
    return levels, unknown + agency


def level_problems(numbers: Sequence[int], raw_levels: Sequence[str], agency_codes: Sequence[str],
                   first_level: dict[str, tuple[str, int]]) -> tuple[list[str], list[FileProblem], list[FileProblem]]:
    """Each row's level in English words, the level column's problems and the agency_code column's
    (`first_level`: agency -> (level, row), kept across the blocks of a large file)."""
    unknown, levels = [], []
    for r, raw in zip(numbers, raw_levels):
        level = LEVELS.get(raw.lower())
        if level is None:
            unknown.append(FileProblem(r, "level", "unknown", f"row {r}, column level: {raw!r} is not "
                                       "province/district/commune (tỉnh/huyện/xã)"))
        levels.append(level or "")
    # An agency has one level: the analysis groups agencies within levels, so a second one would be dropped.
    agency = []
    for r, code, level in zip(numbers, agency_codes, levels):
        if not code:
            agency.append(FileProblem(r, "agency_code", "blank", f"row {r}, column agency_code: empty"))
        elif level:
            known = first_level.setdefault(code, (level, r))
            if known[0] != level:
                agency.append(FileProblem(r, "level", "second_level", f"row {r}, column level: agency {code} "
                                          f"is {known[0]} in row {known[1]}, here {level}"))
    return levels, unknown, agency


def _channels(rows: _Rows) -> tuple[list[str], list[FileProblem]]:
    channels = rows.column("channel")
    valid = {c.value for c in Channel}
    return channels, [FileProblem(r, "channel", "unknown", f"row {r}, column channel: {ch!r} is not one of "
                                  f"{', '.join(sorted(valid))}")
                      for r, ch in zip(rows.numbers, channels) if ch and ch not in valid]


def _weights(rows: _Rows) -> tuple[np.ndarray, list[FileProblem]]:
    """Each row's weight (a blank weight is 1, like an absent weight column) and the weights refused."""
    return weight_values(rows.numbers, rows.column("weight") if "weight" in rows.index_of else None)


def weight_values(numbers: Sequence[int], raw: Sequence[str] | None) -> tuple[np.ndarray, list[FileProblem]]:
    """The weights of a weight column (None: no such column; a blank cell is 1) and the weights refused."""
    weights = np.ones(len(numbers))
    problems: list[FileProblem] = []
    for i, cell in enumerate(raw or ()):
        if cell == "":
            continue
        try:
            w = float(cell)
            if not (0 < w <= MAX_WEIGHT):
                raise ValueError
            weights[i] = w
        except ValueError:
            r = numbers[i]
            problems.append(FileProblem(r, "weight", "not_a_weight", f"row {r}, column weight: {cell!r} must be a "
                                        f"positive number no larger than {MAX_WEIGHT:,.0f}"))
    return weights, problems


def _answer_problem(p: AnswerProblem, numbers: list[int], profile: Profile) -> FileProblem:
    """An answer problem of the profile's validator in the file's words, at its file row."""
    r = numbers[p.row]
    if p.kind == BLANK_REQUIRED:
        return FileProblem(r, p.code, p.kind, f"row {r}, column {p.code}: a required item left blank")
    if p.kind == NOT_ON_SCALE:
        allowed = ", ".join(str(a) for a in sorted(profile.item(p.code).scale.values))
        return FileProblem(r, p.code, p.kind, f"row {r}, column {p.code}: {p.raw!r} is not one of {allowed} "
                           "(blank = missing)")
    block = next(b for b in profile.blocks if b.code == p.code)
    return FileProblem(r, p.code, p.kind, f"row {r}, block {p.code}: {p.raw} options chosen, "
                       f"at most {block.max_choices}")


def _rows_of(table: ResponseTable, keep: np.ndarray) -> ResponseTable:
    """The table with only the rows kept."""
    return dataclasses.replace(table, **{f.name: getattr(table, f.name)[keep] for f in dataclasses.fields(table)
                                         if isinstance(getattr(table, f.name), np.ndarray)
                                         and len(getattr(table, f.name)) == len(table)})


def with_provinces(table: ResponseTable, admin_map: str) -> ResponseTable:
    """The table with each respondent's province, read from its `unit_code` on the named map.

    A 2-digit code must be a province of that map, a 5-digit code a commune of it (its province is taken);
    every row needs a code. Raises ValidationFailed listing every problem by row, and changes nothing.
    """
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
    return dataclasses.replace(table, province=np.array(out, dtype=object))
