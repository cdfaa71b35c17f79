"""`sipas import responses`: all or nothing, --skip-invalid, idempotent re-import, both databases."""
from __future__ import annotations

import csv

from sqlalchemy import func, select

from sipas.cli.collection import import_responses
from sipas.models import Channel, Response


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return str(path)


def _count(session):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Response))


HEADER = ["response_id", "agency_code", "level", "stratum", "psu", "weight", "S1", "X1", "X2"]


def test_clean_file_imports_once(app, session, tmp_path):
    from tests.factories import make_round
    make_round(session, code="IMP-1", channels=("paper_post",))
    path = _write(tmp_path / "ok.csv", [HEADER, ["a1", "T.A0", "tỉnh", "s1", "p1", "2.5", "4", "1", ""],
                                        ["a2", "T.A1", "province", "s1", "p2", "3", "", "", "1"]])
    runner = app.test_cli_runner()
    result = runner.invoke(import_responses, [path, "--round", "IMP-1"])
    assert result.exit_code == 0, result.output
    assert "2 responses imported, 0 already there" in result.output
    result = runner.invoke(import_responses, [path, "--round", "IMP-1"])
    assert "0 responses imported, 2 already there" in result.output and _count(session) == 2
    r = session.scalars(select(Response).order_by(Response.id)).first()
    assert (r.channel, r.stratum, r.psu, r.weight) == (Channel.IMPORT, "s1", "p1", 2.5)
    assert {a.item_code: a.value for a in r.answers} == {"S1": 4, "X1": 1}


def test_a_file_with_errors_changes_nothing_unless_skip_invalid(app, session, tmp_path):
    from tests.factories import make_round
    make_round(session, code="IMP-2", channels=("paper_post",))
    path = _write(tmp_path / "bad.csv", [HEADER, ["a1", "T.A0", "tỉnh", "", "", "", "4", "", ""],
                                         ["a2", "T.A0", "tỉnh", "", "", "", "8", "", ""],
                                         ["a3", "NOPE", "tỉnh", "", "", "", "5", "", ""]])
    runner = app.test_cli_runner()
    result = runner.invoke(import_responses, [path, "--round", "IMP-2"])
    assert result.exit_code == 1 and "row 3, column S1" in result.output and _count(session) == 0
    result = runner.invoke(import_responses, [path, "--round", "IMP-2"])
    assert "row 4, column agency_code" in result.output or "row 3" in result.output
    result = runner.invoke(import_responses, [path, "--round", "IMP-2", "--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert "1 responses imported, 0 already there, 2 rows skipped" in result.output
    assert "skipped: row 3, column S1" in result.output and "skipped: row 4, column agency_code" in result.output
    assert _count(session) == 1


def test_nul_bytes_in_a_file_are_reported_not_sent_to_the_database(app, session, tmp_path):
    from tests.factories import make_round
    make_round(session, code="IMP-3", channels=("paper_post",))
    path = tmp_path / "nul.csv"
    path.write_text("response_id,agency_code,level,psu,S1\na1,T.A0,tỉnh,p\x001,4\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(import_responses, [str(path), "--round", "IMP-3"])
    assert result.exit_code == 1 and "row 2: contains a NUL byte" in result.output and _count(session) == 0


def test_a_closed_round_takes_an_import_only_as_a_correction_published_as_a_version(app, session, tmp_path):
    from sipas.models import ResultSet, RoundStatus
    from tests.factories import make_round
    make_round(session, code="IMP-C", channels=("paper_post",), status=RoundStatus.CLOSED)
    path = _write(tmp_path / "late.csv", [HEADER, ["c1", "T.A0", "tỉnh", "s1", "p1", "2", "4", "1", ""],
                                          ["c2", "T.A1", "tỉnh", "s1", "p2", "2", "5", "", "1"]])
    runner = app.test_cli_runner()
    refused = runner.invoke(import_responses, [path, "--round", "IMP-C"])
    assert refused.exit_code == 1 and "is closed" in refused.output and _count(session) == 0
    corrected = runner.invoke(import_responses, [path, "--round", "IMP-C", "--correction", "phiếu đến muộn"])
    assert corrected.exit_code == 0, corrected.output
    assert "correction published as version 1" in corrected.output and _count(session) == 2
    published = session.scalar(select(ResultSet).where(ResultSet.version == 1))
    assert published.responses == 2 and published.snapshot.rows == 2
