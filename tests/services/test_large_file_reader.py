"""The command line's block reader (`sipas analyze FILE`) against the upload reader: same table, same problems,
same estimates; only the row limit differs."""
from __future__ import annotations

import csv
import json

import numpy as np
import openpyxl
import pytest

import surveys
from sipas.cli.results import analyze
from sipas.errors import ValidationFailed
from sipas.results import to_payload
from sipas.services import file_reader, interchange
from sipas.services.analysis_plan import plan_for
from sipas.services.file_reader import read_large_table
from sipas.services.interchange import read_table
from sipas.services.results.compute import compute_table

HEADER = ["response_id", "agency_code", "level", "channel", "stratum", "psu", "weight", "S1", "S2", "E1.1",
          "X1", "X2", "X3", "X4"]


def _good_rows(n: int) -> list[list[str]]:
    rng = np.random.default_rng(5)
    rows = []
    for i in range(n):
        agency = f"A{i % 4}"
        level = ("tỉnh", "huyện", "commune", "province")[i % 4]
        chosen = rng.permutation([1, 1, 0, 0])[:4] if i % 3 else [0, 0, 0, 0]
        rows.append([f" r{i} ", agency, level, ("online", "paper_direct", "")[i % 3], f"S{i % 2}", f"P{i % 7}",
                     f"{1 + (i % 5) * 0.5}", str(1 + i % 5), "" if i % 6 == 0 else str(1 + (i * 7) % 5),
                     "1.0" if i % 2 else "0", *[str(c) for c in chosen]])
    return rows


def _bad_rows() -> list[list[str]]:
    return [
        ["r1", "A0", "xã", "", "", "", "1", "4", "", "1", "1", "1", "1", "1"],  # block X: 4 chosen; duplicate id
        ["r2", "", "county", "fax", "", "", "-2", "9", "3", "", "", "", "", ""],
        ["", "A1", "huyện", "", "", "", "x", "", "4.5", "2", "", "", "", ""],  # S1 is required
        ["r3", "A0", "tỉnh", "", "", "", "", "5", "5", "1", "", "", "", ""],  # A0 was commune
        ["r4", "A2", "xã", "", "", ""],  # too few cells
        ["", "", "", "", "", "", "", "", "", "", "", "", "", ""],  # blank: skipped, still counted
    ]


def _write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


@pytest.fixture
def small_blocks(monkeypatch):
    # Blocks of 4 rows: duplicates, agency levels and problem order must hold across blocks.
    monkeypatch.setattr(file_reader, "BLOCK_ROWS", 4)


def test_a_good_file_gives_the_same_table_and_the_same_estimates(tmp_path, small_blocks):
    path = _write_csv(tmp_path / "good.csv", _good_rows(40))
    profile = surveys.load("SIPAS_2640")
    old, new = read_table(path, profile), read_large_table(path, profile, max_rows=100)
    for name in ("response_id", "agency_code", "level", "channel", "stratum", "psu", "row_numbers"):
        assert list(getattr(new, name)) == list(getattr(old, name)), name
    np.testing.assert_array_equal(new.weight, old.weight)
    np.testing.assert_array_equal(new.values, old.values)
    assert new.items == old.items and new.unit_code is None
    plan = plan_for(profile)
    a, b = compute_table(plan, old, seed=3), compute_table(plan, new, seed=3)
    pa, pb = to_payload(a), to_payload(b)
    pa.pop("computed_at", None), pb.pop("computed_at", None)
    assert _close(pa, pb) > 100  # numbers compared


def _close(x, y) -> int:
    """Assert two payloads equal, numbers to 1e-12; returns how many numbers were compared."""
    if isinstance(x, dict):
        assert x.keys() == y.keys()
        return sum(_close(x[k], y[k]) for k in x)
    if isinstance(x, list):
        assert len(x) == len(y)
        return sum(_close(u, v) for u, v in zip(x, y))
    if isinstance(x, float):
        assert abs(x - y) <= 1e-12
        return 1
    assert x == y
    return 0


def test_a_bad_file_gives_the_same_problems_in_the_same_order(tmp_path, small_blocks):
    path = _write_csv(tmp_path / "bad.csv", _good_rows(5) + _bad_rows() + [["r1", *_good_rows(1)[0][1:]]])
    profile = surveys.load("SIPAS_2640")
    with pytest.raises(ValidationFailed) as old:
        read_table(path, profile)
    with pytest.raises(ValidationFailed) as new:
        read_large_table(path, profile, max_rows=100)
    assert new.value.problems == old.value.problems
    assert str(new.value) == str(old.value)
    assert len(new.value.problems) >= 12


@pytest.mark.parametrize("rows", [[], [["", ""]], [["r1", "A0", "xã\x00"]]])
def test_empty_files_and_nul_bytes_are_refused_as_uploads_are(tmp_path, rows):
    path = _write_csv(tmp_path / "x.csv", rows)
    profile = surveys.load("SIPAS_2640")
    with pytest.raises(ValidationFailed) as old:
        read_table(path, profile)
    with pytest.raises(ValidationFailed) as new:
        read_large_table(path, profile, max_rows=100)
    assert new.value.problems == old.value.problems


def test_xlsx_files_are_read_as_the_upload_reader_reads_them(tmp_path, small_blocks):
    wb = openpyxl.Workbook()
    for row in [HEADER, *_good_rows(9)]:
        wb.active.append([float(c) if c.isdigit() else c for c in row])
    wb.save(tmp_path / "x.xlsx")
    profile = surveys.load("SIPAS_2640")
    old, new = read_table(tmp_path / "x.xlsx", profile), read_large_table(tmp_path / "x.xlsx", profile, max_rows=20)
    np.testing.assert_array_equal(new.values, old.values)
    assert list(new.response_id) == list(old.response_id)


def test_the_command_line_reads_past_the_upload_limit_up_to_its_own(demo_app, tmp_path, monkeypatch):
    monkeypatch.setattr(interchange, "MAX_ROWS", 10)  # the upload limit
    path = _write_csv(tmp_path / "big.csv", _good_rows(30))
    with pytest.raises(ValidationFailed):
        read_table(path, surveys.load("SIPAS_2640"))
    out = tmp_path / "o.json"
    runner = demo_app.test_cli_runner()
    result = runner.invoke(analyze, [str(path), "--profile", "SIPAS_2640", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["groups"]
    demo_app.config["ANALYZE_MAX_ROWS"] = 20
    result = runner.invoke(analyze, [str(path), "--profile", "SIPAS_2640", "--output", str(tmp_path / "p.json")])
    assert result.exit_code == 1 and "more than 20 rows (the setting ANALYZE_MAX_ROWS)" in result.output
