"""Operator commands, run through the real CLI group."""
from __future__ import annotations

import re

from sqlalchemy import select

from sipas import words
from sipas.cli.setup import agencies_list, rounds_list, units_import
from sipas.db import session_factory
from sipas.models import Round


def test_units_import_prints_counts(app):
    result = app.test_cli_runner().invoke(units_import)
    assert result.exit_code == 0, result.output
    assert "new_34/province: 34" in result.output and "new_34/commune: 3321" in result.output
    assert "historical_63/province: 63" in result.output


#: Codes a person must not read in the CLI tables meant for people (the method, map, status, level, kind).
RAW = re.compile(r"\b(SIPAS_2640|SIPAS_1001|new_34|historical_63|open|closed|draft|province|commune|district|"
                 r"department|peoples_committee)\b|\d{4}-\d\d-\d\d")


def test_rounds_and_agencies_list_the_demo_in_words(demo_app):
    runner = demo_app.test_cli_runner()
    out = runner.invoke(rounds_list).output.splitlines()
    assert out[0].split("\t") == ["id", "mã", "tên", "năm", "phương pháp", "bản đồ", "trạng thái", "phiếu hợp lệ"]
    rows = {line.split("\t")[1]: line.split("\t") for line in out[1:]}
    assert set(rows) == {"LCU-2021", "LCU-2024", "LCU-2026", "LCU-KIOSK-2026"}
    s = session_factory(demo_app)()
    method = s.scalar(select(Round.profile_key).where(Round.code == "LCU-2024"))
    s.close()
    assert rows["LCU-2024"][4:7] == [words.METHODS[method][0], "63 tỉnh, thành phố (đến 30/6/2025)",
                                     "Đã kết thúc thu thập"]
    assert int(rows["LCU-2024"][7].replace(".", "")) > 1000 and "." in rows["LCU-2024"][7]  # 1.234: vi separator
    assert not any(RAW.search(line) for line in out), out
    english = runner.invoke(rounds_list, ["--lang", "en"]).output
    assert "34 provinces (from 1 July 2025)" in english and "new_34" not in english
    s = session_factory(demo_app)()
    old_method = s.scalar(select(Round.profile_key).where(Round.code == "LCU-2021"))
    s.close()
    assert old_method != method and rows["LCU-2021"][4] == words.METHODS[old_method][0]  # the method break, in words
    result = runner.invoke(agencies_list, ["--round", "LCU-2024"])
    assert not any(RAW.search(line) for line in result.output.splitlines()), result.output
    assert "\tCấp tỉnh\tSở, ban, ngành\t" in result.output
    codes = [line.split("\t")[0] for line in result.output.splitlines()[1:]]
    assert "LCU.SKHDT" in codes and any(c.startswith("LCU.UBH.") for c in codes)
    result = runner.invoke(agencies_list, ["--round", "LCU-2026"])
    codes = [line.split("\t")[0] for line in result.output.splitlines()[1:]]
    # 2026: the merged departments are gone and there is no district level.
    assert "LCU.SKHDT" not in codes and "LCU.SNNMT" in codes and not any(c.startswith("LCU.UBH.") for c in codes)


def test_unknown_round_is_a_clear_error(demo_app):
    result = demo_app.test_cli_runner().invoke(agencies_list, ["--round", "NOPE"])
    assert result.exit_code == 1 and "no survey round 'NOPE'" in result.output
