"""Check one respondent's answers against a profile: codes, scales, required items, block limits."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from surveys.schema import Profile


def check_answers(profile: Profile, answers: Mapping[str, object]) -> tuple[dict[str, int], dict[str, str]]:
    """Return (clean answers, problems). Missing answers are None or absent; problems are keyed by item code.

    Messages are in Vietnamese with the English after a slash: citizens see them on the forms.
    """
    clean: dict[str, int] = {}
    problems: dict[str, str] = {}
    for code, raw in answers.items():
        if not profile.has_item(str(code)):
            problems[str(code)] = "Câu hỏi không có trong phiếu / unknown item code"
            continue
        if raw is None or raw == "":
            continue
        if isinstance(raw, bool) or not isinstance(raw, (int, str)):
            problems[code] = "Giá trị không hợp lệ / value must be an integer"
            continue
        try:
            value = int(raw)
        except ValueError:
            problems[code] = "Giá trị không hợp lệ / value must be an integer"
            continue
        item = profile.item(code)
        if value not in item.scale.values:
            allowed = ", ".join(str(v) for v in sorted(item.scale.values))
            problems[code] = f"Giá trị {value} không thuộc thang đo ({allowed}) / value not on the scale"
            continue
        clean[code] = value
    for item in profile.items:
        if item.required and item.code not in clean and item.code not in problems:
            problems[item.code] = "Câu hỏi bắt buộc chưa trả lời / required item is missing"
    for block in profile.blocks:
        codes = [i.code for i in profile.block_items(block.code)]
        chosen = sum(1 for c in codes if clean.get(c) == 1)
        if chosen > block.max_choices:
            problems[block.code] = (f"Chỉ được chọn tối đa {block.max_choices} phương án / "
                                    f"choose at most {block.max_choices}")
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
        raws = columns[k]
        # Blanks and integer spellings of the scale are one dict lookup each; anything else takes `_cell_value`.
        common = {"": np.nan, **{str(v): float(v) for v in item.scale.values}}
        cells: list[float | None] = [common.get(raw) for raw in raws]
        if item.required:
            problems += [AnswerProblem(i, code, BLANK_REQUIRED) for i, raw in enumerate(raws) if raw == ""]
        for i in [i for i, v in enumerate(cells) if v is None]:
            cells[i] = value = _cell_value(raws[i], item.scale.values)
            if np.isnan(value):
                problems.append(AnswerProblem(i, code, NOT_ON_SCALE, raws[i]))
        values[:, k] = cells
    for block in profile.blocks:
        idx = [k for k, code in enumerate(items) if profile.item(code).block == block.code]
        if idx:
            chosen = (values[:, idx] == 1).sum(axis=1)
            problems += [AnswerProblem(int(i), block.code, TOO_MANY_CHOICES, str(int(chosen[i])))
                         for i in np.flatnonzero(chosen > block.max_choices)]
    return values, problems


def _cell_value(raw: str, allowed: frozenset[int]) -> float:
    """A cell that is not a plain integer: its value if it is an integral number on the scale, else NaN."""
    try:
        v = float(raw)
    except ValueError:
        return np.nan
    return v if v.is_integer() and int(v) in allowed else np.nan
