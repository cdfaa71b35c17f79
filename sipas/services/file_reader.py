"""The reader of large local response files (`sipas analyze FILE`): the interchange format read block by block
into column arrays, so a file of millions of rows is read in bounded memory and at array speed.

The rules and the problems are those of `interchange.read_table` (the reader of uploads, limited to
`interchange.MAX_ROWS`): the same checks, the same `FileProblem`s in the same order. Only the row limit differs:
an analyst's own file on their own machine may be as large as the `ANALYZE_MAX_ROWS` setting allows.
"""
from __future__ import annotations

import contextlib
import csv
import gc
import itertools
import operator
from collections.abc import Iterator
from pathlib import Path

import numpy as np

import surveys
from sipas.errors import ValidationFailed
from sipas.models import Channel
from sipas.services.interchange import (
    MAX_PROBLEMS_LISTED,
    META,
    FileProblem,
    ResponseTable,
    _answer_problem,
    _header_problems,
    id_problems,
    level_problems,
    unreadable_refused,
    weight_values,
    xlsx_rows,
)
from surveys import Profile
from surveys.answers import BLANK_REQUIRED

#: Rows turned into arrays at a time: large enough for array speed, small enough that lists of cells stay small.
BLOCK_ROWS = 10_000
_CHANNELS = frozenset(c.value for c in Channel)


def _not_utf8(path: Path) -> ValidationFailed:
    """The upload reader's message for a file that is not UTF-8 (where the first bad byte is)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8-sig")
        return ValidationFailed([f"{path.name}: not a readable CSV file"])
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return ValidationFailed([f"row {line}: the file is not UTF-8 (Tệp không ở mã UTF-8): byte {exc.start + 1} "
                                 "is not UTF-8 text; save it as \"CSV UTF-8\" in Excel, or as XLSX"],
                                f"{path.name}: not UTF-8, nothing was read")


def _numbered_blocks(path: Path, max_rows: int) -> Iterator[tuple[list[int], list[list[str]]]]:
    """(row numbers, rows) in blocks, every row of the file (blank ones too), refusing it past max_rows."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValidationFailed([f"{path.name}: only .csv and .xlsx files are read"])
    with contextlib.ExitStack() as stack:
        # The csv reader itself is iterated (a generator around it costs a call per row).
        rows = (csv.reader(stack.enter_context(open(path, encoding="utf-8-sig", newline=""))) if suffix == ".csv"
                else xlsx_rows(path))
        yield from _blocks_of(path, rows, max_rows)


def _blocks_of(path: Path, rows: Iterator[list[str]], max_rows: int
               ) -> Iterator[tuple[list[int], list[list[str]]]]:
    first = 1
    # UnicodeDecodeError: the caller names the row and byte.
    with unreadable_refused(path, passing=(UnicodeDecodeError,)):
        while block := list(itertools.islice(rows, BLOCK_ROWS)):
            if first + len(block) - 1 > max_rows:
                raise ValidationFailed([f"{path.name}: more than {max_rows:,} rows (the setting ANALYZE_MAX_ROWS); "
                                        "split the file"], f"{path.name}: too many rows, nothing was read")
            yield list(range(first, first + len(block))), block
            first += len(block)


class _Problems:
    """Problems by section (the order read_table lists them in), each section kept only as far as the listing
    can reach, with the total counted: a file with a million bad cells does not hold a million messages."""

    def __init__(self) -> None:
        self.sections: dict[tuple[int, int], list[FileProblem]] = {}
        self.total = 0

    def add(self, section: tuple[int, int], problems: list[FileProblem]) -> None:
        if problems:
            kept = self.sections.setdefault(section, [])
            kept += problems[:MAX_PROBLEMS_LISTED - len(kept)]
            self.total += len(problems)

    def listed(self) -> list[str]:
        ordered = [p.message for key in sorted(self.sections) for p in self.sections[key]][:MAX_PROBLEMS_LISTED]
        if self.total > len(ordered):
            ordered.append(f"... and {self.total - len(ordered)} more problems")
        return ordered


class _Columns:
    """A block's body by column: stripped cells of the header's columns, and the row numbers."""

    def __init__(self, header: list[str], rows: list[list[str]], numbers: list[int]):
        self.numbers, self.rows = numbers, rows
        width = len(header)
        if min(map(len, rows)) < width:  # short rows read as blank cells (their width is a problem of its own)
            rows = [row if len(row) >= width else row + [""] * (width - len(row)) for row in rows]
        # One C-level pass per column (zip(*rows) over tens of thousands of rows is several times slower).
        self.by_name = {name: _stripped(list(map(operator.itemgetter(k), rows))) for k, name in enumerate(header)}

    def column(self, name: str) -> list[str]:
        return self.by_name.get(name) or [""] * len(self.numbers)


def _stripped(column: list[str]) -> list[str]:
    """The cells stripped; answer columns hold a handful of distinct spellings, so those decide whether any
    cell needs it."""
    if any(v != v.strip() for v in set(column)):
        return [c.strip() for c in column]
    return column


class _Reader:
    """The state kept across blocks: first rows of each response id and agency, interned text, arrays."""

    def __init__(self, path: Path, header: list[str], profile: Profile):
        self.path, self.header, self.profile = path, header, profile
        self.items = [c for c in header if c not in META]
        self.problems = _Problems()
        self.seen_ids: dict[str, int] = {}
        self.first_level: dict[str, tuple[str, int]] = {}
        self.text: dict[str, str] = {}
        self.parts: dict[str, list[np.ndarray]] = {name: [] for name in (*META, "levels", "numbers", "values")}

    def block(self, numbers: list[int], rows: list[list[str]]) -> None:
        cols = _Columns(self.header, rows, numbers)
        width = len(self.header)
        self.problems.add((0, 0), [FileProblem(r, None, "row_width", f"row {r}: {len(row)} cells, the header has "
                                               f"{width}") for r, row in zip(numbers, rows) if len(row) != width])
        self.problems.add((1, 0), self._ids(cols))
        levels = self._levels(cols)
        self.problems.add((4, 0), [FileProblem(r, "channel", "unknown", f"row {r}, column channel: {ch!r} is not "
                                               f"one of {', '.join(sorted(_CHANNELS))}")
                                   for r, ch in zip(numbers, cols.column("channel")) if ch and ch not in _CHANNELS])
        self.parts["weight"].append(self._weights(cols))
        self._answers(cols)
        for name in ("agency_code", "channel", "stratum", "psu", "unit_code"):
            self.parts[name].append(self._interned(cols.column(name)))
        self.parts["response_id"].append(np.array(cols.column("response_id"), dtype=object))
        self.parts["levels"].append(self._interned(levels))
        self.parts["numbers"].append(np.array(numbers, dtype=np.int64))

    def _interned(self, cells: list[str]) -> np.ndarray:
        """One string object per distinct value: a million rows of a few hundred agencies hold a few hundred."""
        text = self.text
        return np.array([text.setdefault(c, c) for c in cells], dtype=object)

    def _ids(self, cols: _Columns) -> list[FileProblem]:
        return id_problems(cols.numbers, cols.column("response_id"), self.seen_ids)

    def _levels(self, cols: _Columns) -> list[str]:
        """Each row's level in English words; the level and agency_code problems go to their sections."""
        levels, unknown, agency_problems = level_problems(cols.numbers, cols.column("level"),
                                                          cols.column("agency_code"), self.first_level)
        self.problems.add((2, 0), unknown)
        self.problems.add((3, 0), agency_problems)
        return levels

    def _weights(self, cols: _Columns) -> np.ndarray:
        weights, problems = weight_values(cols.numbers, cols.column("weight") if "weight" in self.header else None)
        self.problems.add((5, 0), problems)
        return weights

    def _answers(self, cols: _Columns) -> None:
        values, problems = surveys.check_answer_columns(self.profile, self.items,
                                                        [cols.column(c) for c in self.items])
        # Answer values are small integers: float32 holds them exactly, in half the memory.
        self.parts["values"].append(values.astype(np.float32))
        position = {code: k for k, code in enumerate(self.items)}
        blocks = {b.code: j for j, b in enumerate(self.profile.blocks)}
        for key, group in itertools.groupby(problems, key=lambda p: (p.code, p.kind)):
            code, kind = key
            # check_answer_columns lists by item (blanks, then off-scale cells), then by block.
            section = (2 * position[code] + (kind != BLANK_REQUIRED) if code in position
                       else 2 * len(self.items) + blocks[code])
            self.problems.add((6, section), [_answer_problem(p, cols.numbers, self.profile) for p in group])

    def table(self) -> ResponseTable:
        def joined(name: str, dtype=object) -> np.ndarray:
            parts = self.parts.pop(name)
            return np.concatenate(parts) if parts else np.array([], dtype=dtype)
        return ResponseTable(joined("response_id"), joined("agency_code"), joined("levels"), joined("channel"),
                             joined("stratum"), joined("psu"), joined("weight", float), self.items,
                             _stacked(self.parts.pop("values"), len(self.items)), joined("numbers", np.int64),
                             joined("unit_code") if "unit_code" in self.header else None)


def _stacked(blocks: list[np.ndarray], width: int) -> np.ndarray:
    """The blocks' rows in one array, each block released once copied (peak: the result and one block)."""
    out = np.empty((sum(len(b) for b in blocks), width), dtype=np.float32)
    start = 0
    while blocks:
        block = blocks.pop(0)
        out[start:start + len(block)] = block
        start += len(block)
    return out


def read_large_table(path: Path | str, profile: Profile, *, max_rows: int) -> ResponseTable:
    """Read and validate a large file block by block; raise ValidationFailed listing every problem by row and
    column, as `interchange.read_table` does (same problems, same order), or return the whole table.

    Values are float32 (exact for answers on a scale); rows and problems are numbered as in a spreadsheet.
    """
    path = Path(path)
    # Reading makes millions of short-lived lists and no reference cycles: the cyclic collector would walk them
    # again and again (a third of the reading time at a million rows, measured).
    collecting = gc.isenabled()
    gc.disable()
    # Imported here: the web app loads this module but never reads files by columns, and pyarrow costs each of
    # its processes ~33 MiB.
    from sipas.services.csv_columns import read_clean_csv
    try:
        # A clean CSV file is read as columns by pyarrow; any other file, and every file with a problem, here.
        return read_clean_csv(path, profile, max_rows=max_rows) or _read(path, profile, max_rows)
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    finally:
        if collecting:
            gc.enable()


def _read(path: Path, profile: Profile, max_rows: int) -> ResponseTable:
    blocks = _numbered_blocks(path, max_rows)
    header: list[str] | None = None
    reader: _Reader | None = None
    nul: list[str] = []
    column_problems: list[str] = []
    for numbers, rows in blocks:
        texts = list(map("".join, rows))  # a row's cells as one string: NUL bytes and blank rows in one look
        nul += _nul_rows(numbers, rows, texts)
        if header is None:
            header = [h.strip() for h in rows[0]]
            numbers, rows, texts = numbers[1:], rows[1:], texts[1:]
        kept = range(len(rows)) if all(map(str.strip, texts)) else [i for i, t in enumerate(texts) if t.strip()]
        if nul or column_problems or not kept:
            continue  # the file is refused: only NUL bytes are still looked for
        if reader is None:
            column_problems = _header_problems(path, header, [True], profile)
            if column_problems:
                continue
            reader = _Reader(path, header, profile)
        if len(kept) < len(rows):
            numbers, rows = [numbers[i] for i in kept], [rows[i] for i in kept]
        reader.block(numbers, rows)
    if header is None:
        raise ValidationFailed([f"{path.name}: the file is empty"])
    if nul:
        raise ValidationFailed(nul[:MAX_PROBLEMS_LISTED], f"{path.name}: NUL bytes, nothing was read")
    if reader is None:
        raise ValidationFailed(column_problems or _header_problems(path, header, [], profile))
    if reader.problems.total:
        noun = "problems" if reader.problems.total > 1 else "problem"
        raise ValidationFailed(reader.problems.listed(),
                               f"{path.name}: {reader.problems.total} {noun}, nothing was read")
    return reader.table()


def _nul_rows(numbers: list[int], rows: list[list[str]], texts: list[str]) -> list[str]:
    if "\x00" not in "".join(texts):
        return []
    return [f"row {r}: contains a NUL byte" for r, row in zip(numbers, rows) if any("\x00" in c for c in row)]
