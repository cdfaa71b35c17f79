"""Setting up a province without the demo: agencies imported from a file, a round created, opened, closed."""
from __future__ import annotations

import csv

from sqlalchemy import select

from sipas.cli.setup import agencies_import, rounds_close, rounds_create, rounds_list, rounds_open, units_import
from sipas.models import Agency, Round, RoundStatus


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return str(path)


HEADER = ["code", "name", "kind", "level", "admin_map", "unit_code", "parent_code", "service_point_code"]


def test_a_province_sets_itself_up_from_the_command_line(app, session, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(units_import).exit_code == 0
    bad = _write(tmp_path / "bad.csv", [HEADER, ["HN.SNV", "Sở Nội vụ", "Sở", "tỉnh", "new_34", "01", "", "HN.SNV.MC"],
                                        ["HN.X1", "UBND Phường Hoàn Kiếm", "UBND", "xã", "new_34", "99999", "", ""],
                                        ["HN.X2", "UBND X", "bank", "xã", "new_34", "00070", "HN.NOPE", ""]])
    result = runner.invoke(agencies_import, [bad])
    assert result.exit_code == 1 and "row 3, column unit_code" in result.output and "row 4, column kind" in result.output
    assert session.scalar(select(Agency).where(Agency.code == "HN.SNV")) is None  # nothing changed
    good = _write(tmp_path / "ok.csv", [HEADER, ["HN.SNV", "Sở Nội vụ", "Sở", "tỉnh", "new_34", "01", "", "HN.SNV.MC"],
                                         ["HN.X70", "UBND Phường Hoàn Kiếm", "UBND", "xã", "new_34", "00070", "", "HN.X70.MC"],
                                         ["HN.X70.MC1", "Bộ phận một cửa Hoàn Kiếm", "Một cửa", "xã", "new_34", "00070",
                                          "HN.X70", ""]])
    result = runner.invoke(agencies_import, [good])
    assert result.exit_code == 0 and "3 agencies created, 0 updated" in result.output
    assert "0 agencies created, 3 updated" in runner.invoke(agencies_import, [good]).output
    desk = session.scalar(select(Agency).where(Agency.code == "HN.X70.MC1"))
    assert desk.parent.code == "HN.X70" and desk.unit.name == "Phường Hoàn Kiếm"
    result = runner.invoke(rounds_create, ["--code", "HN-2026", "--year", "2026", "--profile", "SIPAS_2640",
                                           "--province", "01", "--opens", "2026-10-01", "--closes", "2026-12-31",
                                           "--agencies", "HN.SNV,HN.X70"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(rounds_create, ["--code", "HN-2026", "--year", "2026", "--profile", "SIPAS_9",
                                         "--agencies", "NOPE"]).exit_code == 1
    assert runner.invoke(rounds_close, ["HN-2026"]).exit_code == 1  # a draft cannot be closed
    assert runner.invoke(rounds_open, ["HN-2026"]).exit_code == 0
    session.expire_all()
    rnd = session.scalar(select(Round).where(Round.code == "HN-2026"))
    assert rnd.status is RoundStatus.OPEN and rnd.jurisdiction.name == "Thành phố Hà Nội"
    assert [a.code for a in rnd.agencies] == ["HN.SNV", "HN.X70"]
    assert runner.invoke(rounds_close, ["HN-2026"]).exit_code == 0
    assert "HN-2026" in runner.invoke(rounds_list).output


def test_a_merger_is_recorded_with_its_date(app, session, tmp_path):
    from sipas.models import AgencySuccession
    runner = app.test_cli_runner()
    runner.invoke(units_import)
    first = _write(tmp_path / "a.csv", [HEADER, ["X.SKHDT", "Sở Kế hoạch và Đầu tư", "Sở", "tỉnh", "new_34", "01", "", ""],
                                         ["X.STC", "Sở Tài chính", "Sở", "tỉnh", "new_34", "01", "", ""]])
    assert runner.invoke(agencies_import, [first]).exit_code == 0
    merger = _write(tmp_path / "b.csv", [HEADER + ["valid_from", "predecessors"],
                                          ["X.STC2", "Sở Tài chính (mới)", "Sở", "tỉnh", "new_34", "01", "", "",
                                           "2025-03-01", "X.SKHDT;X.STC"]])
    result = runner.invoke(agencies_import, [merger])
    assert result.exit_code == 0, result.output
    session.expire_all()
    links = session.scalars(select(AgencySuccession)).all()
    assert len(links) == 2 and {str(link.effective_on) for link in links} == {"2025-03-01"}
    old = session.scalar(select(Agency).where(Agency.code == "X.SKHDT"))
    assert str(old.valid_to) == "2025-02-28"
    bad = _write(tmp_path / "c.csv", [HEADER + ["predecessors"], ["X.Y", "Y", "Sở", "tỉnh", "new_34", "01", "", "",
                                                                   "X.STC"]])
    assert "needs valid_from" in runner.invoke(agencies_import, [bad]).output
