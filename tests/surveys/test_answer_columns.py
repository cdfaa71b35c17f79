"""The array form of the answer validator (files) agrees with the respondent validator (forms, kiosks, paper).

A corpus of rows, valid and invalid, for each profile: every row goes through `check_answers` one respondent at a
time and, with all the others, through `check_answer_columns`; the items and blocks refused must be the same for
every row, and the values kept must be the clean answers. Its problems are data: row, item or block, kind.
"""
from __future__ import annotations

import numpy as np
import pytest

import surveys
from surveys.answers import BLANK_REQUIRED, NOT_ON_SCALE, TOO_MANY_CHOICES


def _corpus(profile, rng, n):
    spellings = ["", "abc", "7", "-1", "2.5", "99"]
    rows = []
    for r in range(n):
        row = {}
        clean = r % 3 == 0  # a third of the rows: answers on the scale, no block option chosen
        for item in profile.items:
            allowed = sorted(item.scale.values)
            u = rng.random()
            if clean:
                row[item.code] = "0" if item.block else str(rng.choice(allowed))
            elif item.block:  # options of a multiple-choice block: often more chosen than allowed
                row[item.code] = "1" if u < 0.45 else "0" if u < 0.9 else ""
            elif u < 0.8:
                row[item.code] = str(rng.choice(allowed))
            else:
                row[item.code] = str(rng.choice(spellings))
        rows.append(row)
    return rows


@pytest.mark.parametrize("key", ["SIPAS_2640", "SIPAS_1001", "KIOSK_RT"])
def test_array_form_refuses_what_the_respondent_validator_refuses(key):
    profile = surveys.load(key)
    rows = _corpus(profile, np.random.default_rng(5), 300)
    items = [item.code for item in profile.items]
    values, problems = surveys.check_answer_columns(profile, items, [[row[c] for row in rows] for c in items])
    by_row: dict[int, set[str]] = {}
    for p in problems:
        by_row.setdefault(p.row, set()).add(p.code)
    kinds = {p.kind for p in problems}
    assert {NOT_ON_SCALE} <= kinds and (TOO_MANY_CHOICES in kinds or not profile.blocks)
    assert (BLANK_REQUIRED in kinds) == any(item.required for item in profile.items)
    valid_rows = 0
    for r, row in enumerate(rows):
        clean, refused = surveys.check_answers(profile, row)
        assert set(refused) == by_row.get(r, set()), r
        kept = {c: int(values[r, k]) for k, c in enumerate(items) if not np.isnan(values[r, k])}
        assert kept == clean, r
        valid_rows += not refused
    assert 0 < valid_rows < len(rows)  # the corpus holds both


def test_array_form_reads_spreadsheet_decimals_and_reports_rows_as_data():
    # Spreadsheets write 5 as "5.0": the file form reads it; a form field never receives it.
    profile = surveys.load("KIOSK_RT")
    items = [item.code for item in profile.items]
    cells = {c: ["5.0", "4", "x"] for c in items}
    values, problems = surveys.check_answer_columns(profile, items, [cells[c] for c in items])
    assert values[0].tolist() == [5.0] * len(items) and values[1].tolist() == [4.0] * len(items)
    assert np.isnan(values[2]).all()
    expected = [(2, c, NOT_ON_SCALE, "x") for c in sorted(items)]
    assert sorted((p.row, p.code, p.kind, p.raw) for p in problems) == expected


def test_a_whole_number_written_as_a_decimal_is_that_answer_in_both_forms():
    """JSON reads 4 and 4.0 alike and spreadsheets write "4.0": both forms take them as 4 (the API relies on
    check_answers for this), and both refuse 4.5, NaN and infinity."""
    profile = surveys.load("KIOSK_RT")
    clean, problems = surveys.check_answers(profile, {"S0": 4.0})
    assert clean == {"S0": 4} and not problems
    for bad in (4.5, float("nan"), float("inf")):
        clean, problems = surveys.check_answers(profile, {"S0": bad})
        assert clean == {} and list(problems) == ["S0"]
    values, refused = surveys.check_answer_columns(profile, ["S0"], [["4.0", "4.5"]])
    assert values[0, 0] == 4 and [(p.row, p.kind) for p in refused] == [(1, NOT_ON_SCALE)]
