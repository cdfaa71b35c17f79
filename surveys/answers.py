"""Check one respondent's answers against a profile: codes, scales, required items, block limits."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from surveys.schema import Profile


def N_(message: str) -> str:
    """Marks a message for the translation catalogue (pybabel's default keyword) without translating it here."""
    return message


class Problem(str):
    """A problem in English (what logs and the API show) that keeps its catalogue message and values, so that
    the web pages can show it in the reader's language only (sipas/web/problems.py)."""

    msgid: str
    params: dict[str, object]

    def __new__(cls, msgid: str, **params: object) -> Problem:
        obj = super().__new__(cls, msgid % params if params else msgid)
        obj.msgid = msgid
        obj.params = params
        return obj


def check_answers(profile: Profile, answers: Mapping[str, object]) -> tuple[dict[str, int], dict[str, str]]:
    """Return (clean answers, problems). Missing answers are None or absent; problems are keyed by item code.

    Messages are `Problem`s: English here, in the reader's language on the web pages (through the catalogue).
    """
    clean: dict[str, int] = {}
    problems: dict[str, str] = {}
    for code, raw in answers.items():
        if not profile.has_item(str(code)):
            problems[str(code)] = Problem(N_("This question is not in the questionnaire."))
            continue
        if raw is None or raw == "":
            continue
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)  # JSON does not tell 3 from 3.0 (nor does JSON Schema's "integer"): an API's 3.0 is 3
        if isinstance(raw, bool) or not isinstance(raw, (int, str)):
            problems[code] = Problem(N_("This answer is not valid."))
            continue
        try:
            value = int(raw)
        except ValueError:
            problems[code] = Problem(N_("This answer is not valid."))
            continue
        item = profile.item(code)
        if value not in item.scale.values:
            allowed = ", ".join(str(v) for v in sorted(item.scale.values))
            problems[code] = Problem(N_("The answer %(value)s is not one of this question's options (%(allowed)s)."),
                                     value=value, allowed=allowed)
            continue
        clean[code] = value
    for item in profile.items:
        if item.required and item.code not in clean and item.code not in problems:
            problems[item.code] = Problem(N_("This question must be answered."))
    for block in profile.blocks:
        codes = [i.code for i in profile.block_items(block.code)]
        chosen = sum(1 for c in codes if clean.get(c) == 1)
        if chosen > block.max_choices:
            problems[block.code] = Problem(N_("Choose at most %(n)s options."), n=block.max_choices)
    return clean, problems


def complete_blocks(profile: Profile, answers: dict[str, int | None]) -> dict[str, int | None]:
    """Options of an answered multiple-choice block that were left blank become 0 ("not chosen").

    A block counts as answered when at least one option is chosen; an unanswered block stays missing, so
    expectation shares are computed among those who answered the block (docs/methodology.md, index rule 5).
    """
    out = dict(answers)
    for block in profile.blocks:
        codes = [i.code for i in profile.block_items(block.code)]
        if any(out.get(c) == 1 for c in codes):
            for c in codes:
                if out.get(c) is None:
                    out[c] = 0
    return out


#: What is wrong with an answer, as data (`AnswerProblem.kind`).
BLANK_REQUIRED = "blank_required"
NOT_ON_SCALE = "not_on_scale"
TOO_MANY_CHOICES = "too_many_choices"


@dataclass(frozen=True)
class AnswerProblem:
    """One problem of one respondent's answers: the row (index in the columns given), the item or block code,
    the kind of problem, and the cell as written (the number of options chosen for a block)."""

    row: int
    code: str
    kind: str
    raw: str = ""


def check_answer_columns(profile: Profile, items: Sequence[str], columns: Sequence[Sequence[str]]
                         ) -> tuple[np.ndarray, list[AnswerProblem]]:
    """The array form of `check_answers` for many respondents at once (files): `columns[k]` holds the stripped
    cells of item `items[k]`, one per respondent. Returns (values float [N, K], NaN = missing or refused;
    problems, row by row within each check).

    The rules are those of `check_answers`: a value must be on the item's scale, a required item must be
    answered, a block holds at most its maximum of chosen options (refused cells are not counted). One spelling
    more is read, because spreadsheets write it: an integral decimal such as "5.0" is the value 5.
    """
    n = len(columns[0]) if columns else 0
    values = np.full((n, len(items)), np.nan)
    problems: list[AnswerProblem] = []
    for k, code in enumerate(items):
        item = profile.item(code)
        chars = _single_characters(columns[k])
        column, found = (_by_lookup(item, code, columns[k]) if chars is None
                         else _by_character(item, code, chars))
        values[:, k] = column
        problems += found
    return values, problems + _block_problems(profile, items, values)


def check_answer_characters(profile: Profile, items: Sequence[str], chars: Sequence[np.ndarray]
                            ) -> tuple[np.ndarray, list[AnswerProblem]]:
    """`check_answer_columns` for columns whose every cell is one ASCII character: `chars[k]` holds each cell's
    character code (0 for a blank cell), as a columnar file reader finds them. Same rules, same problems."""
    n = len(chars[0]) if len(chars) else 0
    values = np.full((n, len(items)), np.nan)
    problems: list[AnswerProblem] = []
    for k, code in enumerate(items):
        values[:, k], found = _by_character(profile.item(code), code, chars[k])
        problems += found
    return values, problems + _block_problems(profile, items, values)


def _block_problems(profile: Profile, items: Sequence[str], values: np.ndarray) -> list[AnswerProblem]:
    """Blocks with more chosen options than their maximum (refused cells are NaN, so not counted)."""
    problems: list[AnswerProblem] = []
    for block in profile.blocks:
        idx = [k for k, code in enumerate(items) if profile.item(code).block == block.code]
        if idx:
            chosen = (values[:, idx] == 1).sum(axis=1)
            problems += [AnswerProblem(int(i), block.code, TOO_MANY_CHOICES, str(int(chosen[i])))
                         for i in np.flatnonzero(chosen > block.max_choices)]
    return problems


def _by_lookup(item, code: str, raws: Sequence[str]) -> tuple[list[float], list[AnswerProblem]]:
    """One item's values and problems, cell by cell."""
    problems: list[AnswerProblem] = []
    # Blanks and integer spellings of the scale are one dict lookup each; anything else takes `_cell_value`.
    common = {"": np.nan, **{str(v): float(v) for v in item.scale.values}}
    cells: list[float | None] = [common.get(raw) for raw in raws]
    # The scans by position run only when the column has such a cell ("in" is one pass in C).
    if item.required and "" in raws:
        problems += [AnswerProblem(i, code, BLANK_REQUIRED) for i, raw in enumerate(raws) if raw == ""]
    for i in ([i for i, v in enumerate(cells) if v is None] if None in cells else []):
        cells[i] = value = _cell_value(raws[i], item.scale.values)
        if np.isnan(value):
            problems.append(AnswerProblem(i, code, NOT_ON_SCALE, raws[i]))
    return cells, problems  # type: ignore[return-value]  # every None was replaced


def _single_characters(raws: Sequence[str]) -> np.ndarray | None:
    """Each cell's one ASCII character code (0 for a blank cell), or None when a cell is longer or not ASCII:
    answers are mostly one digit, and this reads a column of them in a few array passes instead of cell by
    cell."""
    text = ",".join(raws)
    if not text.isascii():
        return None
    codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    commas = np.flatnonzero(codes == ord(","))
    if len(commas) != len(raws) - 1:  # a cell holds a comma
        return None
    ends = np.append(commas, len(codes))
    starts = np.insert(commas + 1, 0, 0)
    lengths = ends - starts
    if len(raws) and lengths.max() > 1:
        return None
    chars = np.zeros(len(raws), dtype=np.uint8)
    one = lengths == 1
    chars[one] = codes[starts[one]]
    return None if (one & (chars == 0)).any() else chars  # a NUL cell would read as blank: the general path


def _by_character(item, code: str, chars: np.ndarray) -> tuple[np.ndarray, list[AnswerProblem]]:
    """One item's values and problems from one-character cells: the same rules as `_by_lookup`."""
    on_scale = np.full(256, np.nan)
    for v in item.scale.values:
        if 0 <= v <= 9:
            on_scale[ord("0") + v] = v
    values = on_scale[chars]
    problems: list[AnswerProblem] = []
    if item.required:
        problems += [AnswerProblem(int(i), code, BLANK_REQUIRED) for i in np.flatnonzero(chars == 0)]
    problems += [AnswerProblem(int(i), code, NOT_ON_SCALE, chr(chars[i]))
                 for i in np.flatnonzero((chars != 0) & np.isnan(values))]
    return values, problems


def _cell_value(raw: str, allowed: frozenset[int]) -> float:
    """A cell that is not a plain integer: its value if it is an integral number on the scale, else NaN."""
    try:
        v = float(raw)
    except ValueError:
        return np.nan
    return v if v.is_integer() and int(v) in allowed else np.nan
