"""The columnar path of `sipas analyze FILE`: a plain CSV file that passes every check, read by pyarrow's CSV
parser straight into column arrays and checked with array operations (no Python step per row or cell).

It only ever accepts: `read_clean_csv` returns the table that the exact block reader
(`file_reader.read_large_table`) would return, or None whenever anything could make the two differ or the file
has a problem; the block reader then reads the file and reports every problem by row and column, in the upload
reader's words and order. So a file is refused, and its problems listed, by one reader only.

What hands a file over (None): quotes (pyarrow and Python's csv treat stray quotes differently), a carriage
return outside a CRLF line end, NUL bytes, blank lines (both readers skip them but number rows differently), rows
of another width, text that is not UTF-8, an id or a weight with white space around it, answers of more than
one character ("5.0"), a cell longer than Python's csv field limit, and any cell the rules refuse.
"""
from __future__ import annotations

import csv
import mmap
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from sipas.models import Channel
from sipas.services.interchange import LEVELS, MAX_WEIGHT, META, ResponseTable, _header_problems
from surveys import Profile
from surveys.answers import check_answer_characters

#: Bytes parsed per batch: the answers of a batch are checked and kept as float32 before the next is parsed.
BATCH_BYTES = 8 << 20
_CHANNELS = frozenset(c.value for c in Channel)
#: The weight spellings that Python's float() and Arrow's parser both read, to the same correctly rounded value.
_PLAIN_NUMBER = r"^(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"
#: Texts held once per distinct value (a few hundred agencies, PSUs) rather than once per row.
_CODES = ("agency_code", "level", "channel", "stratum", "psu", "unit_code")


class _HandOver(Exception):
    """The file is not one this path can prove clean: the block reader reads it."""


def read_clean_csv(path: Path, profile: Profile, *, max_rows: int) -> ResponseTable | None:
    """The table of a clean CSV file, or None to hand it to the block reader (see the module's docstring)."""
    if path.suffix.lower() != ".csv" or not path.is_file() or not path.stat().st_size:
        return None
    try:
        return _read(path, profile, max_rows)
    except (_HandOver, pa.ArrowException, UnicodeDecodeError, OSError):
        return None


def _read(path: Path, profile: Profile, max_rows: int) -> ResponseTable:
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        header_line = _checked_bytes(data)
        # Every line is a row (no blank lines, no line breaks in cells): the answers' array is made once, full size.
        n = sum(data[lo:lo + BATCH_BYTES].count(b"\n") for lo in range(0, len(data), BATCH_BYTES))
        n -= data[-1:] == b"\n"
    if n + 1 > max_rows:
        raise _HandOver  # more rows than allowed: the block reader says so
    header = [h.strip() for h in header_line.decode("utf-8").split(",")]
    if _header_problems(Path(), header, [True], profile):
        raise _HandOver
    names = [f"c{k}" for k in range(len(header))]  # the file's names may repeat or be blank
    reader = pa_csv.open_csv(
        str(path),
        read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, block_size=BATCH_BYTES),
        parse_options=pa_csv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
        convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                              strings_can_be_null=False, quoted_strings_can_be_null=False))
    position = {name: f"c{k}" for k, name in enumerate(header)}
    items = [c for c in header if c not in META]
    kept: dict[str, list[pa.Array]] = {name: [] for name in META if name in position}
    weights: list[np.ndarray] = []
    values = np.empty((n, len(items)), dtype=np.float32)  # answers are small integers: float32 holds them exactly
    done = 0
    for batch in reader:
        if done + batch.num_rows > n:
            raise _HandOver
        for name in kept:
            kept[name].append(batch.column(position[name]))
        _within_field_limit([batch.column(position[name]) for name in META if name in position])
        weights.append(_weights(batch.column(position["weight"])) if "weight" in position
                       else np.ones(batch.num_rows))
        answers, problems = check_answer_characters(profile, items,
                                                    [_characters(batch.column(position[c])) for c in items])
        if problems:
            raise _HandOver
        values[done:done + batch.num_rows] = answers
        done += batch.num_rows
    if done != n or n == 0:
        raise _HandOver  # no body (the block reader says so), or lines that were not rows
    table = _table(kept, n, items, np.concatenate(weights), values)
    del kept, reader
    pa.default_memory_pool().release_unused()  # the parser's buffers, before the analysis needs the memory
    return table


def _checked_bytes(data: mmap.mmap) -> bytes:
    """The header line, after the checks on the whole file that hand it over: a NUL byte, a quote, a blank line,
    a carriage return outside a CRLF line end (mmap.find runs at memory speed, a regular expression far slower,
    so the expression runs only on a file that has carriage returns)."""
    end = data.find(b"\n")
    header = data[:max(end, 0)].removeprefix(b"\xef\xbb\xbf").rstrip(b"\r")
    if end < 0 or not header or any(data.find(b) >= 0 for b in (b"\x00", b'"', b"\n\n", b"\n\r\n")):
        raise _HandOver
    if data.find(b"\r") >= 0 and re.search(rb"\r(?!\n)", data):  # an mmap is a buffer: re reads it in place
        raise _HandOver
    return header


def _offsets(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(start offsets with the end appended, bytes) of a string array without nulls, as numpy views."""
    _, offsets, data = array.buffers()
    starts = np.frombuffer(offsets, dtype=np.int32)[array.offset:array.offset + len(array) + 1]
    return starts, np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)


def _characters(array: pa.Array) -> np.ndarray:
    """Each cell's one ASCII character code (0: blank); any longer cell hands the file over."""
    starts, data = _offsets(array)
    lengths = np.diff(starts)
    if len(lengths) and lengths.max() > 1:
        raise _HandOver
    chars = np.zeros(len(lengths), dtype=np.uint8)
    one = lengths == 1
    chars[one] = data[starts[:-1][one]]
    if (chars >= 0x80).any():  # half of a multi-byte character: not ASCII
        raise _HandOver
    return chars


def _within_field_limit(columns: list[pa.Array]) -> None:
    """Python's csv refuses a cell longer than its field limit (the block reader then refuses the file)."""
    if any(len(c) and np.diff(_offsets(c)[0]).max() > csv.field_size_limit() for c in columns):
        raise _HandOver  # bytes: at least as many as characters, so this never lets a longer cell through


def _weights(array: pa.Array) -> np.ndarray:
    """A batch's weights (blank = 1); a weight the rules refuse, or one spelt otherwise, hands the file over."""
    given = pc.not_equal(array, "")
    if not pc.all(pc.or_(pc.invert(given), pc.match_substring_regex(array, _PLAIN_NUMBER))).as_py():
        raise _HandOver
    weights = pc.if_else(given, array, "1").cast(pa.float64()).to_numpy()
    if not ((weights > 0) & (weights <= MAX_WEIGHT)).all():
        raise _HandOver
    return weights


def _surrounded(array: pa.ChunkedArray | pa.Array) -> bool:
    """Whether a cell may have white space at either end (conservative: any non-ASCII end byte counts)."""
    for chunk in (array.chunks if isinstance(array, pa.ChunkedArray) else [array]):
        starts, data = _offsets(chunk)
        filled = np.diff(starts) > 0
        ends = np.concatenate([data[starts[:-1][filled]], data[starts[1:][filled] - 1]])
        # str.strip() removes ASCII 9-13, 28-32 and Unicode spaces (all beyond ASCII).
        if ((ends <= 32) | (ends >= 0x80)).any():
            return True
    return False


def _coded(chunks: list[pa.Array], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(index per row, stripped distinct texts) of a column of codes; two spellings of one text hand it over."""
    if not chunks:
        return np.zeros(n, dtype=np.int64), np.array([""], dtype=object)
    encoded = pa.chunked_array(chunks).combine_chunks().dictionary_encode()
    texts = [t.strip() for t in encoded.dictionary.to_pylist()]
    if len(set(texts)) < len(texts):
        raise _HandOver
    return encoded.indices.to_numpy().astype(np.int64), np.array(texts, dtype=object)


def _table(kept: dict[str, list[pa.Array]], n: int, items: list[str], weight: np.ndarray,
           values: np.ndarray) -> ResponseTable:
    codes = {name: _coded(kept.get(name, []), n) for name in _CODES}
    ids = pa.chunked_array(kept.pop("response_id"))
    if pc.any(pc.equal(pc.binary_length(ids), 0)).as_py() or _surrounded(ids) or pc.count_distinct(ids).as_py() != n:
        raise _HandOver  # blank, padded or repeated ids
    agency, agencies = codes["agency_code"]
    level, raw_levels = codes["level"]
    words = [LEVELS.get(raw.lower()) for raw in raw_levels]
    channels = set(codes["channel"][1]) - {""}
    if "" in agencies or None in words or not channels <= _CHANNELS:
        raise _HandOver
    # An agency has one level (a second one is a problem of the file).
    pairs = np.unique(agency * len(raw_levels) + np.array([words.index(w) for w in words])[level])
    if len(pairs) != len(np.unique(pairs // len(raw_levels))):
        raise _HandOver
    column = {name: texts[index] for name, (index, texts) in codes.items()}
    return ResponseTable(ids.to_numpy(zero_copy_only=False), column["agency_code"],
                         np.array(words, dtype=object)[level], column["channel"], column["stratum"], column["psu"],
                         weight, items, values, np.arange(2, n + 2, dtype=np.int64),
                         column["unit_code"] if "unit_code" in kept else None)
