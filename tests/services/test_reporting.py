"""Indices of stored rounds (database GROUP BY path) and of files (interchange format), end to end."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from sqlalchemy import func, select

import surveys
from sipas.cli.results import analyze, export_responses
from sipas.db import session_factory
from sipas.errors import ValidationFailed
from sipas.models import ResultSet, Round
from sipas.results import from_payload
from sipas.services.interchange import read_table
from sipas.services.results import store
from sipas.services.results.compute import compute_round


def _json(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_round_and_its_exported_file_give_identical_indices(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()
    csv_path, from_db, from_file = tmp_path / "r.csv", tmp_path / "db.json", tmp_path / "file.json"
    assert runner.invoke(export_responses, ["--round", "LCU-2024", "--output", str(csv_path)]).exit_code == 0
    result = runner.invoke(analyze, ["--round", "LCU-2024", "--output", str(from_db)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(analyze, [str(csv_path), "--profile", "SIPAS_1001", "--output", str(from_file)])
    assert result.exit_code == 0, result.output
    db, f = _json(from_db), _json(from_file)
    assert [(g["by"], g["key"]) for g in db["groups"]] == [(g["by"], g["key"]) for g in f["groups"]]
    for a, b in zip(db["groups"], f["groups"]):
        for code, x in a["indices"].items():
            for field in ("estimate", "ci_low", "ci_high", "se", "df", "n"):
                assert x[field] == pytest.approx(b["indices"][code][field], abs=1e-9), (a["key"], code, field)


def test_round_and_its_exported_file_give_identical_rank_sets_with_the_rounds_seed(demo_app, tmp_path):
    # The seed rule: the bootstrap of the rank sets draws from each unit's t with the df of its interval, and
    # the file gives the same df, so with the round's seed (`--seed`) every set is the same.
    runner = demo_app.test_cli_runner()
    csv_path, from_db, from_file = tmp_path / "r.csv", tmp_path / "db.json", tmp_path / "file.json"
    assert runner.invoke(export_responses, ["--round", "LCU-2024", "--output", str(csv_path)]).exit_code == 0
    assert runner.invoke(analyze, ["--round", "LCU-2024", "--output", str(from_db)]).exit_code == 0
    seed = _json(from_db)["seed"]
    result = runner.invoke(analyze, [str(csv_path), "--profile", "SIPAS_1001", "--seed", str(seed),
                                     "--output", str(from_file)])
    assert result.exit_code == 0, result.output
    db, f = _json(from_db), _json(from_file)
    ranked = [(a["key"], a["rank"]) for a in db["groups"] if a.get("rank") and a["rank"].get("rank") is not None]
    assert len(ranked) > 5 and any(r["sim_high"] > r["sim_low"] for _, r in ranked)
    assert [(a["key"], a.get("rank")) for a in db["groups"]] == [(b["key"], b.get("rank")) for b in f["groups"]]

def test_analysis_json_has_the_documented_shape(demo_app, tmp_path):
    out = tmp_path / "o.json"
    result = demo_app.test_cli_runner().invoke(analyze, ["--round", "LCU-2026", "--output", str(out),
                                                         "--by", "all,level", "--confidence", "0.9"])
    assert result.exit_code == 0, result.output
    data = _json(out)
    assert data["profile"] == "SIPAS_1001" and data["confidence_level"] == 0.9
    assert [(g["by"], g["key"]) for g in data["groups"]] == [("all", "all"), ("level", "province"),
                                                             ("level", "commune")]
    ix = data["groups"][0]["indices"]
    assert {"SIPAS", "PART_A", "PART_B", "P1", "P9", "F1", "F5", "S0", "E1.1", "X3"} <= set(ix)
    assert set(ix["SIPAS"]) >= {"estimate", "ci_low", "ci_high", "n", "se", "df", "deff", "n_eff", "method",
                                "low_base"}
    assert ix["F1"]["estimate"] == ix["S1"]["estimate"]  # GENERAL_QUESTION rule
    # SIPAS_1001: part B is the mean of the five factors, the SIPAS the mean of the two parts.
    assert ix["PART_B"]["estimate"] == pytest.approx(sum(ix[f"S{k}"]["estimate"] for k in range(1, 6)) / 5)
    assert ix["SIPAS"]["estimate"] == pytest.approx((ix["PART_A"]["estimate"] + ix["PART_B"]["estimate"]) / 2)
    assert 70 < ix["SIPAS"]["estimate"] < 95 and ix["SIPAS"]["ci_low"] < ix["SIPAS"]["estimate"] < ix["SIPAS"]["ci_high"]


def test_self_selected_kiosk_ratings_are_never_pooled_with_samples(demo_app):
    session = session_factory(demo_app)()
    kiosk = session.scalar(select(Round).where(Round.code == "LCU-KIOSK-2026"))
    result = compute_round(session, kiosk)
    assert set(result.channel_groups()) == {"self_selected"}
    assert result.groups[0].estimate("SIPAS") == result.groups[0].estimate("S0")
    sampled = compute_round(session, session.scalar(select(Round).where(Round.code == "LCU-2026")))
    assert sampled.channel_groups() == ["sampled"]
    session.close()


def test_a_provisional_set_is_stored_unrounded_and_replaces_the_earlier_one(demo_app):
    session = session_factory(demo_app)()
    rnd = session.scalar(select(Round).where(Round.code == "LCU-2024"))
    result = compute_round(session, rnd)
    first = store.save(session, rnd, result)
    second = store.save(session, rnd, result)
    session.commit()
    rows = session.scalars(select(ResultSet).where(ResultSet.round_id == rnd.id,
                                                   ResultSet.admin_map == rnd.admin_map)).all()
    assert [r.id for r in rows] == [second.id] and second.version is None and second.snapshot_id == result.snapshot
    # The round's re-estimate on the 2025 map (the base of LCU-2026's changes) is another set: left alone.
    assert session.scalar(select(func.count()).select_from(ResultSet).where(
        ResultSet.round_id == rnd.id, ResultSet.admin_map != rnd.admin_map)) == 1
    assert first is not second and second.responses == result.responses > 0
    back = from_payload(second.payload)
    assert back.group("all", "all").estimate("SIPAS") == result.group("all", "all").estimate("SIPAS")  # unrounded
    assert back == result and store.load(session, second.id) == result
    assert second.method_version == "SIPAS_1001"
    session.close()


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def test_a_bad_file_is_reported_by_row_and_column_and_nothing_is_analysed(demo_app, tmp_path):
    bad = _write(tmp_path / "bad.csv", [
        ["response_id", "agency_code", "level", "weight", "S1", "X1", "X2", "X3", "X4"],
        ["r1", "A", "tỉnh", "1.5", "4", "1", "0", "", ""],
        ["r1", "A", "county", "-2", "9", "1", "1", "1", "1"],
        ["r3", "", "xã", "x", "", "", "", "", ""],
    ])
    out = tmp_path / "o.json"
    result = demo_app.test_cli_runner().invoke(analyze, [str(bad), "--profile", "SIPAS_2640", "--output", str(out)])
    assert result.exit_code == 1 and not out.exists()
    for expected in ("row 3, column response_id: duplicate of row 2", "row 3, column level: 'county'",
                     "row 3, column weight: '-2' must be a positive number", "row 3, column S1: '9' is not one of",
                     "row 3, block X: 4 options chosen, at most 3", "row 4, column agency_code: empty",
                     "row 4, column weight: 'x'"):
        assert expected in result.output


def test_answer_cells_are_read_by_value_whatever_their_spelling(tmp_path):
    # Integers are looked up, every other spelling takes the full rule: "5.0" is 5, "4.5" and "x" are refused.
    good = _write(tmp_path / "good.csv", [["response_id", "agency_code", "level", "S1", "E1.1"],
                                          ["a", "A", "xã", "5", ""], ["b", "A", "xã", "5.0", "1"],
                                          ["c", "A", "xã", "", "0.0"]])
    table = read_table(good, surveys.load("SIPAS_2640"))
    np.testing.assert_array_equal(table.values, [[5, np.nan], [5, 1], [np.nan, 0]])
    bad = _write(tmp_path / "bad.csv", [["response_id", "agency_code", "level", "S1", "E1.1"],
                                        ["a", "A", "xã", "4.5", "1"], ["b", "A", "xã", "x", "2"]])
    with pytest.raises(ValidationFailed) as err:
        read_table(bad, surveys.load("SIPAS_2640"))
    assert [p.split(":")[0] for p in err.value.problems] == ["row 2, column S1", "row 3, column S1",
                                                             "row 3, column E1.1"]


def test_unknown_columns_are_refused(tmp_path):
    bad = _write(tmp_path / "cols.csv", [["response_id", "agency_code", "level", "Q99"], ["1", "A", "xã", "1"]])
    with pytest.raises(ValidationFailed) as err:
        read_table(bad, surveys.load("SIPAS_2640"))
    assert "column 'Q99': not an item of profile SIPAS_2640" in err.value.problems


def test_xlsx_files_are_read_like_csv(tmp_path):
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["response_id", "agency_code", "level", "S1", "E1.1"])
    ws.append(["a", "AG", "huyện", 5, None])
    ws.append(["b", "AG", "district", 3, 1])
    wb.save(tmp_path / "x.xlsx")
    table = read_table(tmp_path / "x.xlsx", surveys.load("SIPAS_2640"))
    assert list(table.level) == ["district", "district"] and table.values[0, 0] == 5 and table.values[1, 1] == 1


def test_file_without_design_columns_is_a_simple_random_sample(tmp_path, demo_app):
    rows = [["response_id", "agency_code", "level", "S1"]] + [[str(i), "A", "xã", "5" if i < 7 else "2"]
                                                              for i in range(10)]
    out = tmp_path / "o.json"
    result = demo_app.test_cli_runner().invoke(analyze, [str(_write(tmp_path / "s.csv", rows)), "--profile",
                                                         "SIPAS_2640", "--output", str(out)])
    assert result.exit_code == 0, result.output
    s1 = _json(out)["groups"][0]["indices"]["S1"]
    # 7 of 10 satisfied, each respondent its own PSU in one stratum: df = n - 1 = 9.
    assert s1["estimate"] == pytest.approx(70) and s1["df"] == 9 and s1["n"] == 10 and s1["low_base"]


def test_database_path_matches_file_path_on_both_databases(session, tmp_path):
    # Runs on SQLite and PostgreSQL: the GROUP BY queries must give the numpy path's numbers.
    from sipas.services.demo import load_demo
    from sipas.services.analysis_plan import plan_for
    from sipas.services.interchange_export import write_csv
    from sipas.services.results.compute import compute_table
    load_demo(session, scale=0.2)
    session.commit()
    rnd = session.scalar(select(Round).where(Round.code == "LCU-2024"))
    profile = surveys.load(rnd.profile_key)
    db = compute_round(session, rnd)
    path = tmp_path / "r.csv"
    write_csv(session, rnd, profile, path)
    f = compute_table(plan_for(profile), read_table(path, profile))
    assert len(db.groups) == len(f.groups) > 10
    for a, b in zip(db.groups, f.groups):
        assert (a.by, a.key, a.n) == (b.by, b.key, b.n)
        for code in ("SIPAS", "F1", "E2.3", "X2"):
            x, y = a.indices[code], b.indices[code]
            for field in ("estimate", "se", "se_floored"):
                assert getattr(x, field) == pytest.approx(getattr(y, field), abs=1e-9)
            assert x.ci == pytest.approx(y.ci, abs=1e-9)


def test_csv_exports_neutralise_formulas(demo_app, tmp_path):
    from sipas.models import Response as ResponseModel
    s = session_factory(demo_app)()
    rnd = s.scalar(select(Round).where(Round.code == "LCU-2024"))
    r = s.scalar(select(ResponseModel).where(ResponseModel.round_id == rnd.id, ResponseModel.psu.is_not(None)))
    r.psu, r.stratum = "=HYPERLINK(\"http://x\")", "+cmd"
    s.commit()
    s.close()
    out = tmp_path / "e.csv"
    demo_app.test_cli_runner().invoke(export_responses, ["--round", "LCU-2024", "--output", str(out)])
    text = out.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "'+cmd" in text and ",=HYPERLINK" not in text


@pytest.mark.parametrize("code", ['=HYPERLINK("http://x")', "@SUM(A1)", "-2+3", "+1+2"])
def test_csv_export_guards_every_text_column_agency_codes_too(demo_app, tmp_path, code):
    from sipas.models import Agency, ResponseStatus
    from sipas.models import Response as ResponseModel
    s = session_factory(demo_app)()
    rnd = s.scalar(select(Round).where(Round.code == "LCU-2024"))
    r = s.scalar(select(ResponseModel).where(ResponseModel.round_id == rnd.id,
                                             ResponseModel.status == ResponseStatus.VALID).limit(1))
    agency = s.get(Agency, r.agency_id)
    agency.code = code
    s.commit()
    s.close()
    out = tmp_path / "e.csv"
    result = demo_app.test_cli_runner().invoke(export_responses, ["--round", "LCU-2024", "--output", str(out)])
    assert result.exit_code == 0, result.output
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    cells = [cell for row in rows[1:] for cell in row[:6]]  # the text columns: id, agency, level, channel, ...
    assert "'" + code in cells and code not in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


def test_an_output_in_a_missing_folder_is_refused_before_any_work(demo_app, tmp_path, monkeypatch):
    import sipas.cli.results
    monkeypatch.setattr(sipas.cli.results, "compute_round", lambda *a, **k: pytest.fail("analysed before failing"))
    out = tmp_path / "no-such-folder" / "o.json"
    result = demo_app.test_cli_runner().invoke(analyze, ["--round", "LCU-2024", "--output", str(out)])
    assert result.exit_code == 1 and "does not exist" in result.output and not out.parent.exists()
    assert "Traceback" not in result.output


def test_analysis_json_comes_from_the_results_tree(demo_app, tmp_path):
    out = tmp_path / "o.json"
    result = demo_app.test_cli_runner().invoke(analyze, ["--round", "LCU-2026", "--output", str(out)])
    assert result.exit_code == 0, result.output
    data = _json(out)
    assert from_payload(data).group("agency", "LCU.STP").tier == "province"
    assert data["labels"]["agency"]["LCU.STP"]["name"] and data["channel_counts"]
    whole = next(g for g in data["groups"] if g["by"] == "all")
    # 2024 was on the 63-province map; Lai Châu was left whole, so 2024 is re-estimated on the new map.
    change = whole["change"]["SIPAS"]
    assert change["reason"] is None and change["basis"] == "re_estimated" and change["previous_round"] == "LCU-2024"
    assert change["contrast"]["ci_low"] < change["contrast"]["difference"] < change["contrast"]["ci_high"]
    assert change["contrast"]["verdict"]


# Bad files given to `sipas analyze FILE` (each found by the independent check of the results work): a clear
# error naming the row and column, a non-zero exit code and no output file.
_HEAD = "response_id,agency_code,level,S1\n"
BAD_FILES = {
    "not utf-8": (_HEAD.encode() + "1,A,x\u00e3,5\n".encode("latin-1"), "SIPAS_2640",
                  "byte 39 is not UTF-8 text"),
    "agency with two levels": ((_HEAD + "1,A,xã,5\n2,A,tỉnh,4\n").encode(), "SIPAS_2640",
                               "row 3, column level: agency A is commune in row 2, here province"),
    "extra cell": ((_HEAD + "1,A,xã,5,9\n2,A,xã,4\n").encode(), "SIPAS_2640", "row 2: 5 cells, the header has 4"),
    "missing cell": ((_HEAD + "1,A,xã,5\n2,A,xã\n").encode(), "SIPAS_2640", "row 3: 3 cells, the header has 4"),
    "header only": (_HEAD.encode(), "SIPAS_2640", "no responses below the header row"),
    "huge weight": (b"response_id,agency_code,level,weight,S1\n1,A,x\xc3\xa3,1e308,5\n", "SIPAS_2640",
                    "row 2, column weight: '1e308' must be a positive number no larger than 1,000,000,000"),
    "required item blank": (b"response_id,agency_code,level,S0\n1,A,x\xc3\xa3,5\n2,A,x\xc3\xa3,\n", "KIOSK_RT",
                            "row 3, column S0: a required item left blank"),
    "required item absent": ((_HEAD + "1,A,xã,5\n").encode(), "KIOSK_RT",
                             "column 'S0' is missing (a required item of profile KIOSK_RT)"),
    # The blank line is file row 3, so the bad value sits in row 4 as a spreadsheet shows it.
    "blank line": ((_HEAD + "1,A,xã,5\n\n2,A,xã,9\n").encode(), "SIPAS_2640", "row 4, column S1: '9' is not one of"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_names_row_and_column_exits_non_zero_and_writes_nothing(demo_app, tmp_path, case):
    content, profile, expected = BAD_FILES[case]
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    out = tmp_path / "o.json"
    result = demo_app.test_cli_runner().invoke(analyze, [str(path), "--profile", profile, "--output", str(out)])
    assert result.exit_code != 0 and not out.exists(), result.output
    assert expected in result.output and "Traceback" not in result.output


def test_rows_skipped_on_import_keep_their_file_row_numbers(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(_HEAD + "1,A,xã,5\n\n2,A,xã,9\n3,A,xã,4,4\n4,A,xã,3\n", encoding="utf-8")
    table, problems = read_table(path, surveys.load("SIPAS_2640"), skip_invalid=True)
    assert list(table.response_id) == ["1", "4"] and [table.row_number(r) for r in range(2)] == [2, 6]
    assert sorted(p.split(":")[0].split(",")[0] for p in problems) == ["row 4", "row 5"]
    assert "row 5: 5 cells, the header has 4" in problems


def test_self_selected_ratings_are_read_per_answer_pattern_and_match_the_per_respondent_file_path(session, tmp_path):
    # Runs on SQLite and PostgreSQL. The file path makes every kiosk/online respondent its own PSU row by row
    # (analysis.certainty_psus); the database path hands over one cell per (agency, stratum, weight, answer
    # pattern) standing for its count of PSUs. Both must give the same estimates, SEs, intervals and df.
    from sipas.services.analysis_plan import plan_for
    from sipas.services.demo import load_demo
    from sipas.services.interchange_export import write_csv
    from sipas.services.results.compute import compute_table
    from sipas.services.results.totals import round_totals
    from sipas.results import SELF_SELECTED_GROUP
    import uuid as uuid_module
    from sipas.models import SELF_SELECTED, Answer, Response
    load_demo(session, scale=0.2)
    rnd = session.scalar(select(Round).where(Round.code == "LCU-KIOSK-2026"))
    # Repeat a few ratings so some patterns stand for many respondents (a busy office's "all satisfied").
    originals = session.scalars(select(Response).where(Response.round_id == rnd.id,
                                                       Response.channel.in_([c.value for c in SELF_SELECTED]))
                                .order_by(Response.id).limit(3)).all()
    for original in originals:
        for _ in range(25):
            copy = Response(uuid=str(uuid_module.uuid4()), round_id=rnd.id, agency_id=original.agency_id,
                            service_point_id=original.service_point_id, channel=original.channel,
                            profile_key=original.profile_key, stratum=original.stratum, psu=original.psu,
                            weight=original.weight, status=original.status, content_hash=original.content_hash)
            copy.answers = [Answer(item_code=a.item_code, value=a.value) for a in original.answers]
            session.add(copy)
    session.commit()
    profile = surveys.load(rnd.profile_key)
    plan = plan_for(profile)
    totals, _ = round_totals(session, rnd, plan, SELF_SELECTED_GROUP)
    # Independent count of the distinct (agency, stratum, weight, answers) among the self-selected responses.
    stored = session.scalars(select(Response).where(Response.round_id == rnd.id, Response.status == "valid",
                                                    Response.channel.in_([c.value for c in SELF_SELECTED]))).all()
    distinct = {(r.agency_id, r.stratum, r.weight,
                 tuple(sorted((a.item_code, a.value) for a in r.answers if a.item_code in plan.items)))
                for r in stored}
    assert len(totals.members) == len(distinct) < len(stored) - 70 and totals.members.sum() == len(stored)
    assert totals.cell_count is not None and totals.cell_count.max() >= 26
    db = compute_round(session, rnd)
    path = tmp_path / "r.csv"
    write_csv(session, rnd, profile, path)
    f = compute_table(plan_for(profile), read_table(path, profile))
    assert [(g.by, g.key, g.channel_group, g.n) for g in db.groups] == \
        [(g.by, g.key, g.channel_group, g.n) for g in f.groups]
    assert any(g.channel_group == SELF_SELECTED_GROUP for g in db.groups)
    for a, b in zip(db.groups, f.groups):
        for index, x in a.indices.items():
            y = b.indices[index]
            for field in ("estimate", "se", "se_floored", "df", "deff"):
                u, v = getattr(x, field), getattr(y, field)
                assert (u is None) == (v is None) and (u is None or u == pytest.approx(v, abs=1e-9)), \
                    (a.key, index, field, u, v)
            assert (x.ci is None) == (y.ci is None)
            if x.ci is not None:
                assert (x.ci.low, x.ci.high) == pytest.approx((y.ci.low, y.ci.high), abs=1e-9), (a.key, index)
