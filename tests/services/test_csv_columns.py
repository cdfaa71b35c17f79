"""The columnar path of `sipas analyze FILE` (pyarrow): a clean CSV file gives exactly the upload reader's table;
any file it cannot prove clean is handed to the block reader, so problems and tables stay the upload reader's.
And the file totals built on integer codes give the estimates of the string labels they replaced."""
from __future__ import annotations

import csv

import numpy as np
import pytest

import surveys
from analysis import build_totals, certainty_psus
from analysis.design import ratio_estimates
from sipas.errors import ValidationFailed
from sipas.services.analysis_plan import plan_for, scores
from sipas.services.csv_columns import read_clean_csv
from sipas.services.file_reader import read_large_table
from sipas.services.interchange import read_table
from sipas.services.results.file_totals import table_totals

HEADER = ["response_id", "agency_code", "level", "channel", "stratum", "psu", "weight", "S1", "S2", "E1.1",
          "X1", "X2", "X3", "X4"]
FIELDS = ("response_id", "agency_code", "level", "channel", "stratum", "psu", "row_numbers", "unit_code")


def _rows(n: int) -> list[list[str]]:
    rng = np.random.default_rng(11)
    rows = []
    for i in range(n):
        chosen = rng.permutation([1, 1, 0, 0]) if i % 3 else [0, 0, 0, 0]
        rows.append([f"r{i}", f"A{i % 5}", ("tỉnh", "huyện", "commune", "province", "Xã")[i % 5],
                     ("online", "paper_direct", "")[i % 3], ("S0", "S1", "")[i % 3], ("P1", "P2", "", "P1")[i % 4],
                     ("1.5", "", "2", "1e2", ".25")[i % 5], str(1 + i % 5), "" if i % 6 == 0 else str(1 + i % 5),
                     str(i % 2), *[str(c) for c in chosen]])
    return rows


def _write(path, rows, header=HEADER, *, line_end="\n", prefix=""):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        fh.write(prefix)
        csv.writer(fh, lineterminator=line_end).writerows([header, *rows])
    return path


def _same_table(new, old) -> None:
    for name in FIELDS:
        a, b = getattr(new, name), getattr(old, name)
        assert (a is None) == (b is None) and (a is None or list(a) == list(b)), name
    np.testing.assert_array_equal(new.weight, old.weight)
    np.testing.assert_array_equal(new.values, old.values)
    assert new.items == old.items


@pytest.mark.parametrize("variant", ["plain", "crlf", "bom", "padded codes", "unit_code", "no design columns"])
def test_a_clean_file_is_read_as_columns_into_the_upload_readers_table(tmp_path, variant):
    rows, header = _rows(60), list(HEADER)
    kwargs: dict = {"line_end": "\r\n"} if variant == "crlf" else {"prefix": "\ufeff"} if variant == "bom" else {}
    if variant == "padded codes":
        rows = [[r[0], f" {r[1]}", f"{r[2]} ", *r[3:]] for r in rows]
    if variant == "unit_code":
        header.append("unit_code")
        rows = [[*r, ("01", "79", "")[i % 3]] for i, r in enumerate(rows)]
    if variant == "no design columns":
        keep = [k for k, name in enumerate(header) if name not in ("channel", "stratum", "psu", "weight")]
        header, rows = [header[k] for k in keep], [[r[k] for k in keep] for r in rows]
    path = _write(tmp_path / "clean.csv", rows, header, **kwargs)
    profile = surveys.load("SIPAS_2640")
    columns = read_clean_csv(path, profile, max_rows=100)
    assert columns is not None  # read by the columnar path
    _same_table(columns, read_table(path, profile))
    _same_table(read_large_table(path, profile, max_rows=100), columns)


def _handed_over_cases() -> dict[str, list[list[str]]]:
    good = _rows(12)

    def changed(r: int, k: int, value: str) -> list[list[str]]:
        rows = [list(row) for row in good]
        rows[r][k] = value
        return rows
    return {
        "quoted cell": changed(3, 1, "A,1"),
        "padded id": changed(2, 0, " r2 "),
        "decimal answer": changed(4, 7, "5.0"),
        "answer off the scale": changed(5, 8, "7"),
        "block over its maximum": [*good[:2], [*good[2][:10], "1", "1", "1", "1"], *good[3:]],
        "duplicate id": changed(6, 0, "r1"),
        "blank id": changed(6, 0, ""),
        "unknown level": changed(2, 2, "county"),
        "second level of an agency": changed(5, 2, "district"),
        "blank agency": changed(2, 1, ""),
        "weight spelt otherwise": changed(2, 6, "1_0"),
        "negative weight": changed(2, 6, "-2"),
        "huge weight": changed(2, 6, "1e12"),
        "unknown channel": changed(2, 3, "fax"),
        "short row": [*good[:3], good[3][:5], *good[4:]],
        "blank row": [*good[:3], [], *good[3:]],
        "row of blank cells": [*good[:3], [""] * len(HEADER), *good[3:]],
        "non-ASCII answer": changed(2, 7, "٣"),
        "cell past the csv field limit": changed(2, 4, "S" * (csv.field_size_limit() + 1)),
    }


@pytest.mark.parametrize("case", sorted(_handed_over_cases()))
def test_a_file_the_columns_cannot_prove_clean_goes_to_the_block_reader(tmp_path, case):
    path = _write(tmp_path / "f.csv", _handed_over_cases()[case])
    profile = surveys.load("SIPAS_2640")
    assert read_clean_csv(path, profile, max_rows=100) is None
    try:
        old = read_table(path, profile)
    except ValidationFailed as refused:
        with pytest.raises(ValidationFailed) as new:
            read_large_table(path, profile, max_rows=100)
        assert new.value.problems == refused.problems
    else:
        _same_table(read_large_table(path, profile, max_rows=100), old)


@pytest.mark.parametrize("content", [b"", b"response_id\n", b"\n\n", "response_id\rr1\n".encode(),
                                     b"response_id,agency_code\nr\xff1,A\n", b"response_id,x\x00\n"])
def test_odd_bytes_go_to_the_block_reader(tmp_path, content):
    path = tmp_path / "odd.csv"
    path.write_bytes(content)
    assert read_clean_csv(path, surveys.load("SIPAS_2640"), max_rows=100) is None


def test_a_file_over_the_row_limit_goes_to_the_block_reader_which_refuses_it(tmp_path):
    path = _write(tmp_path / "big.csv", _rows(30))
    profile = surveys.load("SIPAS_2640")
    assert read_clean_csv(path, profile, max_rows=31) is not None  # 30 rows and the header
    assert read_clean_csv(path, profile, max_rows=30) is None
    with pytest.raises(ValidationFailed) as refused:
        read_large_table(path, profile, max_rows=30)
    assert "more than 30 rows" in refused.value.problems[0]


def test_file_totals_on_integer_codes_give_the_estimates_of_string_labels(tmp_path):
    # Blank strata and PSUs, a one-PSU stratum (certainty), one PSU label in two strata.
    rows = _rows(90)
    for i, row in enumerate(rows):
        row[4], row[5] = ("S0", "S1", "", "S2")[i % 4], ("P1", "P2", "", "P1", "P3")[i % 5] if i % 4 != 3 else "Q"
    path = _write(tmp_path / "design.csv", rows)
    profile = surveys.load("SIPAS_2640")
    table, plan = read_table(path, profile), plan_for(profile)
    totals, units = table_totals(plan, table)
    # The labels as the analysis spelt them before: strings, certainty PSUs by `certainty_psus`.
    ids = np.arange(len(table)).astype(str)
    stratum = np.where(table.stratum == "", "_", table.stratum).astype(str)
    psu = certainty_psus(stratum, np.where(table.psu == "", np.char.add("#", ids), table.psu).astype(str), ids)
    answered, score = scores(plan, table.items, table.values)
    before = build_totals(table.agency_code.astype(str), stratum, psu, table.weight, answered,
                          score.astype(float), list(plan.items), pair_items=list(plan.pair_items))
    assert totals.groups == before.groups and sorted(units) == before.groups
    assert totals.stratum_psus.sum() == before.stratum_psus.sum() and len(totals.cell_psu) == len(before.cell_psu)
    new, old = ratio_estimates(totals), ratio_estimates(before)
    for name in ("estimate", "variance", "variance_iid", "df", "n_answered"):
        np.testing.assert_allclose(getattr(new, name), getattr(old, name), rtol=1e-12, atol=1e-15, err_msg=name)
    for name in ("pair_n", "pair_d", "pair_c"):
        np.testing.assert_allclose(getattr(totals, name), getattr(before, name), rtol=1e-12)
    assert {units[a].tier for a in units} == {"province", "district", "commune"}
