"""A file's problems are data: each carries its file row, its column (or block) and its kind, so rows are skipped
by number, not by reading the message; the message itself is unchanged (the problem is that string)."""
from __future__ import annotations

import pytest

import surveys
from sipas.errors import ValidationFailed
from sipas.services.interchange import read_table


def test_problems_carry_row_column_and_kind(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("response_id,agency_code,level,weight,S0,S1\n"
                    "1,A,xã,1.5,5,4\n"
                    "1,A,xã,1,5,4\n"  # row 3: a duplicate id
                    "3,A,xã,-2,5,\n"  # row 4: a weight below zero
                    "4,A,xã,1,,9\n"  # row 5: the required S0 blank, 9 off the scale
                    "5,A,huyện,1,5.0,3\n",  # row 6: agency A is a commune agency in row 2
                    encoding="utf-8")
    profile = surveys.load("KIOSK_RT")
    table, problems = read_table(path, profile, skip_invalid=True)
    assert sorted((p.row, p.column, p.kind) for p in problems) == [
        (3, "response_id", "duplicate"), (4, "weight", "not_a_weight"), (5, "S0", "blank_required"),
        (5, "S1", "not_on_scale"), (6, "level", "second_level")]
    assert list(table.response_id) == ["1"] and table.weight.tolist() == [1.5]
    assert "row 5, column S1: '9' is not one of 1, 2, 3, 4, 5 (blank = missing)" in problems
    with pytest.raises(ValidationFailed) as refused:
        read_table(path, profile)
    assert "row 3, column response_id: duplicate of row 2" in refused.value.problems
