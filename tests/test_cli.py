"""Operator commands, run through the real CLI group."""
from __future__ import annotations

from sipas.cli.setup import agencies_list, rounds_list, units_import


def test_units_import_prints_counts(app):
    result = app.test_cli_runner().invoke(units_import)
    assert result.exit_code == 0, result.output
    assert "new_34/province: 34" in result.output and "new_34/commune: 3321" in result.output
    assert "historical_63/province: 63" in result.output


def test_rounds_and_agencies_list_the_demo(demo_app):
    runner = demo_app.test_cli_runner()
    out = runner.invoke(rounds_list).output.splitlines()
    assert out[0].split("\t") == ["id", "code", "name", "year", "profile", "map", "status", "responses"]
    rows = {line.split("\t")[1]: line.split("\t") for line in out[1:]}
    assert set(rows) == {"LCU-2021", "LCU-2024", "LCU-2026", "LCU-KIOSK-2026"}
    assert rows["LCU-2024"][4:6] == ["SIPAS_1001", "historical_63"] and int(rows["LCU-2024"][7]) > 1000
    assert rows["LCU-2021"][4:6] == ["SIPAS_2640", "historical_63"]
    result = runner.invoke(agencies_list, ["--round", "LCU-2024"])
    codes = [line.split("\t")[0] for line in result.output.splitlines()[1:]]
    assert "LCU.SKHDT" in codes and any(c.startswith("LCU.UBH.") for c in codes)
    result = runner.invoke(agencies_list, ["--round", "LCU-2026"])
    codes = [line.split("\t")[0] for line in result.output.splitlines()[1:]]
    # 2026: the merged departments are gone and there is no district level.
    assert "LCU.SKHDT" not in codes and "LCU.SNNMT" in codes and not any(c.startswith("LCU.UBH.") for c in codes)


def test_unknown_round_is_a_clear_error(demo_app):
    result = demo_app.test_cli_runner().invoke(agencies_list, ["--round", "NOPE"])
    assert result.exit_code == 1 and "no survey round 'NOPE'" in result.output
