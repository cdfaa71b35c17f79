"""Check one respondent's answers against a profile: codes, scales, required items, block limits."""
from __future__ import annotations

from typing import Mapping

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
