"""The invitation list a mail merge needs, and the reserve list for replacements: drawn after the main sample
with the same seed, not invited until released (audited), counted by the fieldwork tracker."""
from __future__ import annotations

import csv
import io
import uuid

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from sipas.cli.sample import frame_import, sample_draw, sample_fieldwork, sample_release_reserve, sample_weights
from sipas.db import session_factory
from sipas.errors import ValidationFailed
from sipas.models import AuditEvent, CountState, FrameUnit, Invitation, Response
from sipas.recompute import fold_counts
from sipas.services import sampling
from sipas.services.catalog import get_round
from tests.conftest import login
from tests.factories import make_round


def _frame(tmp_path, n: int = 50, name: str = "f.csv"):
    """n dossiers for each of T.A0 and T.A1, with the columns a mail merge needs."""
    path = tmp_path / name
    path.write_text("dossier_code,agency_code,completed_on,name,address,contact\n" + "".join(
        f"HS-{a}-{i:03d},T.A{a},2026-07-{1 + i % 28:02d},Nguyễn Văn {i},\"Số {i}, phường Tân Phong\",+8491234{i:04d}\n"
        for a in (0, 1) for i in range(n)), encoding="utf-8")
    return path


def _link(token: str) -> str:
    return f"http://x/i/{token}"


def test_mail_merge_columns_and_a_reserve_list_that_is_released_on_both_databases(session, tmp_path):
    rnd = make_round(session, channels=("invitation",), code="S-R")
    sampling.import_frame(session, rnd, _frame(tmp_path), dossier_key="k")
    plan = sampling.preview(session, rnd, total=20)  # 10 of 50 in each stratum
    drawn = sampling.draw(session, rnd, plan, seed=11, reserve_percent=20)
    session.commit()
    reserve = sampling.held_reserve(session, rnd)
    # ceil(20 % of 10) = 2 reserves per stratum, ranked 1, 2, none of them in the main sample.
    assert [(u.stratum, u.reserve_rank) for u in reserve] == [("T.A0", 1), ("T.A0", 2), ("T.A1", 1), ("T.A1", 2)]
    assert not {u.id for u in reserve} & {u.id for u, _ in drawn}
    assert rnd.design["plan"]["reserve"] == 4 and rnd.design["plan"]["reserve_percent"] == 20
    rows = sampling.invitation_rows(session, drawn, _link, reserve=reserve)
    header = sampling.INVITATION_COLUMNS
    first = dict(zip(header, rows[0]))
    unit, token = drawn[0]
    i = int(unit.dossier_code.rsplit("-", 1)[1])
    assert first["dossier_code"] == unit.dossier_code and first["completed_on"] == f"{1 + i % 28:02d}/07/2026"
    assert first["agency_name"] == f"Sở Thử {unit.dossier_code.split('-')[1]}" and first["name"] == f"Nguyễn Văn {i}"
    assert first["address"] == f"Số {i}, phường Tân Phong" and first["code"] == token
    assert first["link"] == _link(token) and first["list"] == "mẫu chính"
    last = dict(zip(header, rows[-1]))
    assert last["list"] == "dự phòng (chưa mời)" and last["link"] == last["code"] == last["serial"] == ""
    assert last["dossier_code"] == reserve[-1].dossier_code
    # The CSV keeps phone numbers as they are (no apostrophe) and has the BOM Excel needs.
    content = sampling.invitation_list_bytes(rows, "csv")
    assert content.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert parsed[0]["contact"].startswith("+8491234") and parsed[0]["name"] == f"Nguyễn Văn {i}"
    sheet = list(load_workbook(io.BytesIO(sampling.invitation_list_bytes(rows, "xlsx"))).active.iter_rows(
        values_only=True))
    assert sheet[0] == header and sheet[-1][7] == "dự phòng (chưa mời)"

    # Release one reserve in T.A0: invited, audited, and the stratum's base weights become 50 / 11.
    with pytest.raises(ValidationFailed):
        sampling.release_reserve(session, rnd, stratum="T.A0", count=3, reason="5 refusals", actor=None)
    with pytest.raises(ValidationFailed):
        sampling.release_reserve(session, rnd, stratum="T.A0", count=1, reason="no", actor=None)
    released = sampling.release_reserve(session, rnd, stratum="T.A0", count=1, reason="3 refusals", actor=None)
    session.commit()
    assert [u.reserve_rank for u, _ in released] == [1]
    weights = session.scalars(select(FrameUnit.weight).where(FrameUnit.round_id == rnd.id,
                                                             FrameUnit.stratum == "T.A0",
                                                             FrameUnit.sampled.is_(True))).all()
    assert len(weights) == 11 and all(w == pytest.approx(50 / 11) for w in weights)
    assert sum(weights) == pytest.approx(50)  # base weights still add up to the stratum's N_h
    invited = session.scalars(select(Invitation.weight).where(Invitation.round_id == rnd.id,
                                                              Invitation.stratum == "T.A0")).all()
    assert len(invited) == 11 and all(w == pytest.approx(50 / 11) for w in invited)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "reserve_released"))
    assert event.detail == {"stratum": "T.A0", "released": 1, "reason": "3 refusals"}
    rows = sampling.invitation_rows(session, released, _link)
    assert dict(zip(header, rows[0]))["list"] == "dự phòng đã mời" and rows[0][0]  # now it has a serial
    tracker = {r.stratum: r for r in sampling.fieldwork(session, rnd)}
    assert (tracker["T.A0"].issued, tracker["T.A0"].released, tracker["T.A0"].reserve) == (11, 1, 1)
    assert (tracker["total"].released, tracker["total"].reserve) == (1, 3)

    # Contact data, dossier codes included, are deleted when the round closes.
    sampling.forget_contacts(session, rnd)
    session.commit()
    assert session.scalar(select(func.count()).select_from(FrameUnit).where(
        FrameUnit.round_id == rnd.id, (FrameUnit.dossier_code.is_not(None)) | (FrameUnit.name.is_not(None))
        | (FrameUnit.address.is_not(None)))) == 0


def test_the_main_sample_is_the_same_with_or_without_a_reserve(session, tmp_path):
    rnd = make_round(session, channels=("invitation",), code="S-A")
    codes = []
    for percent in (0, 30):
        sampling.import_frame(session, rnd, _frame(tmp_path), dossier_key="k")
        drawn = sampling.draw(session, rnd, sampling.preview(session, rnd, total=20), seed=11,
                              reserve_percent=percent)
        codes.append(sorted(u.dossier_code for u, _ in drawn))
        session.commit()
        if not percent:
            assert not sampling.held_reserve(session, rnd)
            sampling.reset_draw(session, rnd, actor=None, reason="the same list, now with a reserve")
    assert codes[0] == codes[1] and len(sampling.held_reserve(session, rnd)) == 6
    sampling.reset_draw(session, rnd, actor=None, reason="a two-stage draw instead")
    sampling.import_frame(session, rnd, _frame(tmp_path), dossier_key="k")
    with pytest.raises(ValidationFailed) as refused:
        sampling.draw(session, rnd, sampling.preview(session, rnd, total=20), seed=1, two_stage=(1, 1),
                      reserve_percent=10)
    assert "two-stage" in " ".join(refused.value.lines())


def _counts_stale(app, round_id: int) -> bool:
    with session_factory(app)() as s:
        return s.get(CountState, round_id).stale


def test_reserve_on_the_cli_and_weights_after_release(demo_app, tmp_path):
    lines = ["dossier_code,agency_code,name,address"] + [
        f"D{code}{i},{code},Bà {i},Bản {i}" for code, n in (("LCU.STP", 200), ("LCU.SYT", 100)) for i in range(n)]
    path = tmp_path / "f.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    runner = demo_app.test_cli_runner()
    assert runner.invoke(frame_import, [str(path), "--round", "LCU-2026"]).exit_code == 0
    out = tmp_path / "list.csv"
    result = runner.invoke(sample_draw, ["--round", "LCU-2026", "--total", "30", "--seed", "5", "--reserve", "50",
                                         "--output", str(out)])
    assert result.exit_code == 0 and "with 15 reserve dossiers" in result.output, result.output
    with open(out, encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    main = [r for r in rows if r["list"] == "mẫu chính"]
    assert len(main) == 30 and len(rows) == 45 and main[0]["agency_name"] and main[0]["name"].startswith("Bà ")
    client = demo_app.test_client()
    for row in main[::2]:
        client.post(row["link"].split("5000", 1)[1], data={"S1": "4", "confirm_incomplete": "1",
                                                           "response_id": str(uuid.uuid4())})
    with session_factory(demo_app)() as s:
        rnd_id = get_round(s, "LCU-2026").id
    fold_counts(demo_app, rnd_id)
    assert not _counts_stale(demo_app, rnd_id)
    released = tmp_path / "released.xlsx"
    result = runner.invoke(sample_release_reserve, ["--round", "LCU-2026", "--stratum", "LCU.STP", "--count", "4",
                                                    "--reason", "4 refusals", "--output", str(released)])
    assert result.exit_code == 0, result.output
    sheet = list(load_workbook(released).active.iter_rows(values_only=True))
    assert len(sheet) == 5 and all(r[7] == "dự phòng đã mời" and r[5].startswith("http") for r in sheet[1:])
    result = runner.invoke(sample_fieldwork, ["--round", "LCU-2026"])
    assert "LCU.STP\t24\t" in result.output and result.output.rstrip().endswith("\t4\t11"), result.output
    # The responses already returned in LCU.STP now carry 200 / 24; the final weights still add up to N_h.
    s = session_factory(demo_app)()
    stp = s.scalars(select(Response.weight).where(Response.stratum == "LCU.STP")).all()
    assert stp and all(w == pytest.approx(200 / 24) for w in stp)
    s.close()
    # Both weight writers go through freshness.mark_reweighted: the maintained counts are rebuilt, not read.
    assert _counts_stale(demo_app, rnd_id)
    fold_counts(demo_app, rnd_id)
    assert not _counts_stale(demo_app, rnd_id)
    assert runner.invoke(sample_weights, ["--round", "LCU-2026"]).exit_code == 0
    assert _counts_stale(demo_app, rnd_id)
    s = session_factory(demo_app)()
    total = s.scalar(select(func.sum(Response.weight)).where(Response.stratum == "LCU.STP"))
    assert total == pytest.approx(200)
    assert "reserve_releases" in get_round(s, "LCU-2026").design
    s.close()


def test_reserve_on_the_sample_page(demo_app):
    client = demo_app.test_client()
    login(client, "analyst")
    lines = ["dossier_code,agency_code"] + [f"D{i},LCU.STP" for i in range(100)]
    client.post("/admin/rounds/LCU-2026/sample", data={"action": "frame", "file": (
        io.BytesIO("\n".join(lines).encode()), "f.csv")}, content_type="multipart/form-data")
    r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "draw", "total": "10", "seed": "3",
                                                            "reserve": "abc"})
    assert r.status_code == 422 and "whole percentage" in r.get_data(as_text=True)
    r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "draw", "total": "10", "seed": "3",
                                                            "reserve": "30"})
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert len(rows) == 13 and rows[-1]["list"] == "dự phòng (chưa mời)"
    page = client.get("/admin/rounds/LCU-2026/sample").get_data(as_text=True)
    assert 'id="release-reserve"' in page and "LCU.STP (còn 3 dự phòng)" in page
    r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "release", "stratum": "LCU.STP", "count": "x",
                                                            "reason": "2 refusals"})
    assert r.status_code == 422
    r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "release", "stratum": "LCU.STP", "count": "2",
                                                            "reason": "2 refusals", "format": "csv"})
    assert r.status_code == 200 and "reserve" in r.headers["Content-Disposition"]
    assert len(list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))) == 2
    page = client.get("/admin/rounds/LCU-2026/sample").get_data(as_text=True)
    assert ('<td>LCU.STP</td><td class="num">12</td><td class="num">0</td><td class="num">0</td>'
            '<td class="num">0.0 %</td><td class="num">2</td><td class="num">1</td>') in page
