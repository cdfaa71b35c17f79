"""Check one respondent's answers against a profile: codes, scales, required items, block limits."""
from __future__ import annotations

from typing import Mapping

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
