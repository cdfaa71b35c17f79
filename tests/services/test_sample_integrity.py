"""A sample that cannot be lost or corrupted: the frame is locked after the draw (reset only audited and before
any invitation is used), the draw is kept only with its list, the list can be downloaded again with new links,
and the weights refuse raking that does not converge and control totals that cannot be right."""
from __future__ import annotations

import csv
import uuid

import pytest
from sqlalchemy import func, select

from sipas.cli.sample import (
    frame_import,
    sample_draw,
    sample_invitations,
    sample_reset,
    sample_weights,
)
from sipas.db import session_factory
from sipas.errors import ValidationFailed
from sipas.models import AuditEvent, FrameUnit, Invitation, Response
from sipas.services import sampling
from sipas.services.catalog import get_round
from tests.factories import make_round

PLAN = {"LCU.STP": (300, "Tư pháp"), "LCU.SYT": (120, "Y tế"), "LCU.TTPVHCC": (580, "Đất đai")}


def _demo_frame(tmp_path, name="dossiers.csv", plan=PLAN):
    lines = ["dossier_code,agency_code,service_point_code,field,contact"]
    for code, (n, field) in plan.items():
        lines += [f"{code}-{i:06d},{code},{code}.MC,{'Hộ tịch' if i % 3 == 0 else field},Số {i}" for i in range(n)]
    path = tmp_path / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return str(path)


def _count(app, model, *where):
    s = session_factory(app)()
    try:
        return s.scalar(select(func.count()).select_from(model).where(*where))
    finally:
        s.close()


def _refused(text: str, call, *args, **kwargs) -> None:
    with pytest.raises(ValidationFailed) as caught:
        call(*args, **kwargs)
    assert text in str(caught.value.problems), caught.value.problems


def _answer(client, link: str, value: str = "4", **extra) -> None:
    path = "/i/" + link.rsplit("/i/", 1)[1]
    r = client.post(path, data={"S1": value, "confirm_incomplete": "1", "response_id": str(uuid.uuid4()), **extra})
    assert r.status_code in (200, 302, 303), r.status_code


# --- the frame is locked after the draw -------------------------------------------------------------------


def test_a_dossier_list_loaded_after_the_draw_is_refused_on_the_cli(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()
    assert runner.invoke(frame_import, [_demo_frame(tmp_path), "--round", "LCU-2026"]).exit_code == 0
    assert runner.invoke(sample_draw, ["--round", "LCU-2026", "--total", "60", "--seed", "1", "--output",
                                       str(tmp_path / "list.csv")]).exit_code == 0
    small = _demo_frame(tmp_path, "small.csv", {"LCU.STP": (10, "Tư pháp")})
    result = runner.invoke(frame_import, [small, "--round", "LCU-2026", "--stratify-by", "field"])
    assert result.exit_code == 1 and "dossier list is locked" in result.output, result.output
    # Before the fix: the unsampled part of the frame was deleted and stratified_by overwritten.
    assert _count(demo_app, FrameUnit) == 1000
    s = session_factory(demo_app)()
    assert get_round(s, "LCU-2026").design["stratified_by"] == ["agency"]
    s.close()


def test_a_dossier_list_uploaded_after_the_draw_is_refused_on_the_page(demo_app, tmp_path):
    import io

    from tests.conftest import login
    client = demo_app.test_client()
    login(client, "analyst")
    lines = "dossier_code,agency_code\n" + "".join(f"D{i},LCU.STP\n" for i in range(100))
    client.post("/admin/rounds/LCU-2026/sample",
                data={"action": "frame", "file": (io.BytesIO(lines.encode()), "f.csv")},
                content_type="multipart/form-data")
    r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "draw", "total": "10", "seed": "5"})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    page = client.get("/admin/rounds/LCU-2026/sample").get_data(as_text=True)
    assert 'id="drawn"' in page and 'value="frame"' not in page and 'value="draw"' not in page  # drawn state
    r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "frame", "file": (
        io.BytesIO(b"dossier_code,agency_code\nX1,LCU.STP\n"), "g.csv")}, content_type="multipart/form-data")
    assert r.status_code == 422 and "dossier list is locked" in r.get_data(as_text=True)
    assert _count(demo_app, FrameUnit) == 100


def _drawn_round(session, tmp_path, code="S-9"):
    rnd = make_round(session, channels=("invitation",), code=code)
    path = tmp_path / "f.csv"
    path.write_text("dossier_code,agency_code,contact\n" + "".join(f"D{i},T.A{i % 2},addr {i}\n" for i in range(60)),
                    encoding="utf-8")
    sampling.import_frame(session, rnd, path, dossier_key="k")
    drawn = sampling.draw(session, rnd, sampling.preview(session, rnd, total=10, method="equal"), seed=3)
    session.commit()
    return rnd, path, drawn


def test_the_frame_is_locked_and_a_reset_is_audited_on_both_databases(app, session, tmp_path):
    rnd, path, drawn = _drawn_round(session, tmp_path)
    _refused("locked", sampling.import_frame, session, rnd, path, dossier_key="k", stratify_by="level")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(FrameUnit)) == 60
    _refused("say why", sampling.reset_draw, session, rnd, actor="cli", reason="")
    assert sampling.reset_draw(session, rnd, actor="cli", reason="wrong month exported") == 10
    session.commit()
    assert session.scalar(select(func.count()).select_from(FrameUnit)) == 0
    assert session.scalar(select(func.count()).select_from(Invitation)) == 0  # the old links are gone
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "sample_reset"))
    assert event.detail == {"reason": "wrong month exported", "drawn": 10, "seed": 3}
    assert "seed" not in rnd.design and rnd.design["resets"][0]["seed"] == 3
    assert sampling.import_frame(session, rnd, path, dossier_key="k") == 60  # a new list, a new draw
    assert len(sampling.draw(session, rnd, sampling.preview(session, rnd, total=6, method="equal"), seed=4)) == 6
    session.commit()


def test_no_reset_once_an_invitation_is_answered_on_both_databases(app, session, tmp_path):
    rnd, _, drawn = _drawn_round(session, tmp_path)
    _answer(app.test_client(), f"/i/{drawn[0][1]}")
    assert session.scalar(select(func.count()).select_from(Response)) == 1
    _refused("already received a response", sampling.reset_draw, session, rnd, actor="cli",
             reason="wrong month exported")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(FrameUnit).where(FrameUnit.sampled)) == 10


def test_reset_on_the_cli_then_a_new_list(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()
    runner.invoke(frame_import, [_demo_frame(tmp_path), "--round", "LCU-2026"])
    runner.invoke(sample_draw, ["--round", "LCU-2026", "--total", "60", "--seed", "1", "--output",
                                str(tmp_path / "list.csv")])
    result = runner.invoke(sample_reset, ["--round", "LCU-2026", "--reason", "the list missed August"])
    assert result.exit_code == 0 and "60 dossiers undone" in result.output, result.output
    result = runner.invoke(frame_import, [_demo_frame(tmp_path, "small.csv", {"LCU.STP": (50, "Tư pháp")}),
                                          "--round", "LCU-2026"])
    assert result.exit_code == 0 and _count(demo_app, FrameUnit) == 50


# --- the draw is kept only with its list --------------------------------------------------------------------


@pytest.mark.parametrize("output", ["missing-folder/list.csv", "x" * 300 + ".csv"])
def test_a_list_that_cannot_be_written_draws_nothing(demo_app, tmp_path, output):
    runner = demo_app.test_cli_runner()
    runner.invoke(frame_import, [_demo_frame(tmp_path), "--round", "LCU-2026"])
    result = runner.invoke(sample_draw, ["--round", "LCU-2026", "--total", "60", "--seed", "1", "--output",
                                         str(tmp_path / output)])
    # Before: a traceback with 60 dossiers marked sampled and 60 invitations whose links were lost.
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    assert "error:" in result.output and ("does not exist" in result.output or "could not be written" in result.output)
    assert _count(demo_app, FrameUnit, FrameUnit.sampled) == 0 and _count(demo_app, Invitation) == 0
    result = runner.invoke(sample_draw, ["--round", "LCU-2026", "--total", "60", "--seed", "1", "--output",
                                         str(tmp_path / "list.csv")])
    assert result.exit_code == 0 and "60 dossiers sampled" in result.output  # the retry is not "already drawn"


# --- the invitation list again ------------------------------------------------------------------------------


def test_the_invitation_list_again_reissues_only_unused_links_on_both_databases(app, session, tmp_path):
    rnd, _, drawn = _drawn_round(session, tmp_path)
    client = app.test_client()
    _answer(client, f"/i/{drawn[0][1]}")
    again = sampling.reissue_invitation_list(session, rnd, actor="cli")
    session.commit()
    assert len(again) == 9 and drawn[0][0].id not in {u.id for u, _ in again}
    rows = sampling.invitation_rows(session, again, lambda t: f"http://x/i/{t}")
    assert len(rows) == 9 and {r[0] for r in rows} == {session.get(Invitation, u.invitation_id).serial
                                                          for u, _ in again}
    old = dict((u.id, t) for u, t in drawn)
    # An old link no longer opens a form; its new link records the response.
    assert client.get(f"/i/{old[again[0][0].id]}").status_code == 404
    _answer(client, f"/i/{again[0][1]}")
    assert session.scalar(select(func.count()).select_from(Response)) == 2
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "invitations_reissued"))
    assert event.detail == {"reissued": 9, "already_used": 1}


def test_the_invitation_list_again_on_the_cli(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()
    runner.invoke(frame_import, [_demo_frame(tmp_path), "--round", "LCU-2026"])
    runner.invoke(sample_draw, ["--round", "LCU-2026", "--total", "60", "--seed", "1", "--output",
                                str(tmp_path / "list.csv")])
    result = runner.invoke(sample_invitations, ["--round", "LCU-2026", "--output", str(tmp_path / "again.csv")])
    assert result.exit_code == 0 and "60 invitations re-issued" in result.output, result.output
    with open(tmp_path / "list.csv", encoding="utf-8-sig") as f:
        first = {r["serial"]: r["link"] for r in csv.DictReader(f)}
    with open(tmp_path / "again.csv", encoding="utf-8-sig") as f:
        second = {r["serial"]: r["link"] for r in csv.DictReader(f)}
    assert first.keys() == second.keys() and not set(first.values()) & set(second.values())


# --- weights ------------------------------------------------------------------------------------------------


def _answer_half(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()
    assert runner.invoke(frame_import, [_demo_frame(tmp_path), "--round", "LCU-2026"]).exit_code == 0
    out = tmp_path / "list.csv"
    assert runner.invoke(sample_draw, ["--round", "LCU-2026", "--total", "120", "--seed", "4",
                                       "--output", str(out)]).exit_code == 0
    with open(out, encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    client = demo_app.test_client()
    for row in rows[::2]:
        _answer(client, row["link"])
    return runner


def _weights(demo_app):
    s = session_factory(demo_app)()
    try:
        return sorted(s.scalars(select(Response.weight).join(Invitation, Invitation.response_id == Response.id)
                                .where(Response.weight.is_not(None))))
    finally:
        s.close()


TOTALS = ("variable,category,total\nagency,LCU.STP,3600\nagency,LCU.SYT,1500\nagency,LCU.TTPVHCC,6900\n"
          "field,Tư pháp,2400\nfield,Y tế,1000\nfield,Đất đai,4600\nfield,Hộ tịch,4000\n")


def test_raking_that_does_not_converge_keeps_the_previous_weights(demo_app, tmp_path):
    runner = _answer_half(demo_app, tmp_path)
    assert runner.invoke(sample_weights, ["--round", "LCU-2026"]).exit_code == 0
    before = _weights(demo_app)
    totals = tmp_path / "totals.csv"
    totals.write_text(TOTALS, encoding="utf-8")
    # The totals are 12 times the frame: trimming to 0.9-1.1 times the starting weight cannot reach them.
    args = ["--round", "LCU-2026", "--totals", str(totals), "--trim", "0.9,1.1"]
    result = runner.invoke(sample_weights, args)
    assert result.exit_code == 1 and "did not converge" in result.output, result.output
    assert _weights(demo_app) == before
    result = runner.invoke(sample_weights, args + ["--accept-nonconverged"])
    assert result.exit_code == 0 and "did NOT converge" in result.output and "--accept-nonconverged" in result.output
    assert _weights(demo_app) != before
    s = session_factory(demo_app)()
    report = get_round(s, "LCU-2026").design["weights_report"]
    assert report["accepted_nonconverged"] is True and report["rake_converged"] is False
    assert report["rake_max_gap"] > 0.1
    s.close()


@pytest.mark.parametrize("raw, value", [
    ("6800", 6800.0), ("1.234.567", 1234567.0), ("1,234,567", 1234567.0), ("6.800,5", 6800.5), ("6,800.5", 6800.5),
    ("6,8", 6.8), ("6.8", 6.8), ("6 800", 6800.0), ("6\u00a0800", 6800.0), ("1.234,567", 1234.567)])
def test_control_totals_are_read_by_the_convention_they_fit(raw, value):
    assert sampling.parse_total(raw) == (value, None)


@pytest.mark.parametrize("raw, why", [("6.800", "ambiguous"), ("6,800", "ambiguous"), ("abc", "not a number"),
                                      ("0", "not a positive"), ("-4", "not a number"), ("1.234,567,1", "not a number")])
def test_control_totals_that_cannot_be_read_safely_are_refused(raw, why):
    value, reason = sampling.parse_total(raw)
    assert value is None and why in reason


def test_ambiguous_and_too_small_totals_change_no_weight(demo_app, tmp_path):
    runner = _answer_half(demo_app, tmp_path)
    before = _weights(demo_app)
    totals = tmp_path / "totals.csv"
    # "6.800": 6,800 in a Vietnamese sheet, 6.8 in an English one (before: read as 6.8, weights 0.025-0.14).
    totals.write_text("variable,category,total\nagency,LCU.STP,\"3.600\"\nagency,LCU.SYT,1500\n"
                      "agency,LCU.TTPVHCC,\"6.800\"\n", encoding="utf-8")
    result = runner.invoke(sample_weights, ["--round", "LCU-2026", "--totals", str(totals)])
    assert result.exit_code == 1 and "row 2, column total: '3.600' is ambiguous" in result.output, result.output
    assert "row 4" in result.output and _weights(demo_app) == before
    # A tenth of the frame: refused unless confirmed, and the confirmation is recorded.
    totals.write_text("variable,category,total\nagency,LCU.STP,30\nagency,LCU.SYT,12\nagency,LCU.TTPVHCC,58\n",
                      encoding="utf-8")
    result = runner.invoke(sample_weights, ["--round", "LCU-2026", "--totals", str(totals)])
    assert result.exit_code == 1 and "below the number of dossiers on the frame" in result.output, result.output
    assert "LCU.STP 30 < 300" in result.output and _weights(demo_app) == before
    result = runner.invoke(sample_weights, ["--round", "LCU-2026", "--totals", str(totals), "--confirm-below-frame"])
    assert result.exit_code == 0, result.output
    assert sum(_weights(demo_app)) == pytest.approx(100)  # written once confirmed: they add up to the totals
    s = session_factory(demo_app)()
    assert get_round(s, "LCU-2026").design["weights_report"]["confirmed_below_frame"] is True
    s.close()


@pytest.mark.parametrize("trim", ["a,b", "0.3", "2,3", "0.3,inf"])
def test_a_bad_trim_says_what_is_expected(demo_app, tmp_path, trim):
    runner = _answer_half(demo_app, tmp_path)
    result = runner.invoke(sample_weights, ["--round", "LCU-2026", "--rake", "agency", "--trim", trim])
    assert result.exit_code == 1 and "low,high" in result.output or "high at least 1" in result.output, result.output
    assert "could not convert" not in result.output


def test_the_page_downloads_the_list_again_and_only_an_administrator_resets(demo_app):
    import io

    from tests.conftest import login
    analyst = demo_app.test_client()
    login(analyst, "analyst")
    lines = "dossier_code,agency_code\n" + "".join(f"D{i},LCU.STP\n" for i in range(100))
    analyst.post("/admin/rounds/LCU-2026/sample", data={"action": "frame", "file": (io.BytesIO(lines.encode()),
                                                                                      "f.csv")},
                 content_type="multipart/form-data")
    r = analyst.post("/admin/rounds/LCU-2026/sample", data={"action": "draw", "total": "10", "seed": "5"})
    first = {row["serial"]: row["link"] for row in csv.DictReader(io.StringIO(r.data.decode("utf-8-sig")))}
    r = analyst.post("/admin/rounds/LCU-2026/sample", data={"action": "invitations", "format": "csv"})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    second = {row["serial"]: row["link"] for row in csv.DictReader(io.StringIO(r.data.decode("utf-8-sig")))}
    assert first.keys() == second.keys() and not set(first.values()) & set(second.values())
    page = analyst.get("/admin/rounds/LCU-2026/sample").get_data(as_text=True)
    assert 'value="reset"' not in page  # the reset form is for administrators
    r = analyst.post("/admin/rounds/LCU-2026/sample", data={"action": "reset", "reason": "wrong month exported"})
    assert r.status_code == 422 and _count(demo_app, FrameUnit) == 100
    admin = demo_app.test_client()
    login(admin, "admin")
    page = admin.get("/admin/rounds/LCU-2026/sample").get_data(as_text=True)
    assert 'value="reset"' in page and '<strong id="seed">5</strong>' in page
    r = admin.post("/admin/rounds/LCU-2026/sample", data={"action": "reset", "reason": "wrong month exported"})
    assert r.status_code == 200 and _count(demo_app, FrameUnit) == 0
    assert _count(demo_app, Invitation, Invitation.serial.in_(list(first))) == 0  # the draw's links are gone
    # A new list, a new draw; once an invitation is answered the tracker shows it and no reset is possible.
    admin.post("/admin/rounds/LCU-2026/sample", data={"action": "frame", "file": (io.BytesIO(lines.encode()), "f.csv")},
               content_type="multipart/form-data")
    r = admin.post("/admin/rounds/LCU-2026/sample", data={"action": "draw", "total": "10", "seed": "6"})
    third = [row["link"] for row in csv.DictReader(io.StringIO(r.data.decode("utf-8-sig")))]
    _answer(admin, third[0])
    page = admin.get("/admin/rounds/LCU-2026/sample").get_data(as_text=True)
    assert ('<td>LCU.STP</td><td class="num">10</td><td class="num">1</td><td class="num">1</td>'
            '<td class="num">10.0 %</td>') in page  # the fieldwork tracker, live
    r = admin.post("/admin/rounds/LCU-2026/sample", data={"action": "reset", "reason": "wrong month exported"})
    assert r.status_code == 422 and "already received a response" in r.get_data(as_text=True)
    s = session_factory(demo_app)()
    assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "sample_reset")) == 1
    s.close()


# --- Neyman: the previous round ----------------------------------------------------------------------------


def test_neyman_takes_the_latest_round_with_the_same_questionnaire(demo_app):
    from datetime import date

    from sipas.models import Round
    s = session_factory(demo_app)()
    this = get_round(s, "LCU-2026")
    kiosk = get_round(s, "LCU-KIOSK-2026")
    assert s.scalar(select(func.count()).select_from(Response).where(Response.round_id == kiosk.id))  # it has ratings
    later = Round(code="LCU-2027", name="SIPAS 2027", year=2027, method_version=this.method_version,
                  profile_key=this.profile_key, admin_map=this.admin_map, jurisdiction=this.jurisdiction,
                  opens_on=date(2027, 9, 1), closes_on=date(2027, 12, 31), status=this.status,
                  channels=list(this.channels), agencies=list(this.agencies))
    s.add(later)
    s.flush()
    # Before: the kiosk rating round (same year, a later id, another questionnaire) gave p = 1.000.
    assert sampling.previous_proportions(s, later).round_code == "LCU-2026"
    s.rollback()
    s.close()


def test_neyman_follows_merged_departments_to_their_predecessors(demo_app):
    import surveys
    from sipas.models import Agency
    s = session_factory(demo_app)()
    last = get_round(s, "LCU-2024")
    items = {i.code for i in surveys.load(last.profile_key).items if i.kind == "satisfaction"}
    counts: dict[str, list[int]] = {}
    for response in s.scalars(select(Response).where(Response.round_id == last.id)):
        if response.status.value != "valid":
            continue
        pair = counts.setdefault(response.agency.code, [0, 0])
        for answer in response.answers:
            if answer.item_code in items:
                pair[0] += 1
                pair[1] += answer.value in (4, 5)
    # From the demo's list of the 1 March 2025 merger: SNNMT = SNNPTNT + STNMT; STC took over SKHDT.
    snnmt = [sum(counts[c][k] for c in ("LCU.SNNPTNT", "LCU.STNMT")) for k in (0, 1)]
    stc = [sum(counts[c][k] for c in ("LCU.STC", "LCU.SKHDT")) for k in (0, 1)]
    assert s.scalar(select(func.count()).select_from(Agency).where(Agency.code == "LCU.SNNMT")) == 1
    props = sampling.previous_proportions(s, get_round(s, "LCU-2026"))
    # Before: SNNMT had no share of its own and fell back to the level; STC ignored what SKHDT handed over.
    assert props.by_agency["LCU.SNNMT"] == pytest.approx(snnmt[1] / snnmt[0], abs=1e-12)
    assert props.by_agency["LCU.STC"] == pytest.approx(stc[1] / stc[0], abs=1e-12)
    assert props.by_agency["LCU.STP"] == pytest.approx(counts["LCU.STP"][1] / counts["LCU.STP"][0], abs=1e-12)
    s.close()


# --- fieldwork ----------------------------------------------------------------------------------------------


def test_the_fieldwork_tracker_counts_per_stratum_without_touching_the_weights_on_both_databases(app, session,
                                                                                                 tmp_path):
    from sipas.models import ResponseStatus
    rnd, _, drawn = _drawn_round(session, tmp_path)
    client = app.test_client()
    a0 = [t for u, t in drawn if u.stratum == "T.A0"]
    a1 = [t for u, t in drawn if u.stratum == "T.A1"]
    _answer(client, f"/i/{a0[0]}", "4")
    _answer(client, f"/i/{a0[1]}", "5")
    _answer(client, f"/i/{a0[2]}", "3", website="http://spam")  # a robot's: kept, flagged, never counted
    _answer(client, f"/i/{a1[0]}", "2")
    assert session.scalar(select(func.count()).select_from(Response).where(
        Response.status == ResponseStatus.FLAGGED)) == 1
    weights = sorted(session.scalars(select(Response.weight)))
    rows = sampling.fieldwork(session, rnd)
    assert [(r.stratum, r.issued, r.returned, r.valid) for r in rows] == [
        ("T.A0", 5, 3, 2), ("T.A1", 5, 1, 1), ("total", 10, 4, 3)]
    assert rows[0].rate == 0.4 and rows[1].rate == 0.2 and rows[2].rate == 0.3
    session.commit()
    assert sorted(session.scalars(select(Response.weight))) == weights and "weights_report" not in rnd.design


# --- the invitation list in a mail merge --------------------------------------------------------------------


def test_the_csv_list_keeps_phone_numbers_as_they_are_and_still_guards_formulas():
    contacts = ["+84912345678", "+84 (0) 912-345-678", "-5", "=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0",
                "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "Số 1, đường Lê Lợi"]
    rows = [["S-I000001", "T.A0", "T.A0", "", c, "http://x/i/t", "6"] for c in contacts]
    text = sampling.invitation_list_bytes(rows, "csv").decode("utf-8-sig")
    got = [r["contact"] for r in csv.DictReader(text.splitlines())]
    # Before: every phone number came out as '+84912345678 and the apostrophe showed in the mail merge.
    assert got[:3] == ["+84912345678", "+84 (0) 912-345-678", "-5"]
    assert got[3:7] == ["'" + c for c in contacts[3:7]] and got[7] == contacts[7]


# --- bad parameters -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, expected", [
    (["--two-stage", "3,x"], "two whole numbers OFFICES,PER_OFFICE"),
    (["--e", "0"], "the margin of error is a proportion between 0 and 0.5"),
    (["--deff", "-1"], "the design effect is a positive number"),
    (["--minimum", "-3"], "zero or more interviews per stratum")])
def test_bad_design_parameters_are_refused_with_what_is_expected(demo_app, tmp_path, args, expected):
    from sipas.cli.sample import sample_preview
    runner = demo_app.test_cli_runner()
    runner.invoke(frame_import, [_demo_frame(tmp_path), "--round", "LCU-2026"])
    result = runner.invoke(sample_draw, ["--round", "LCU-2026", "--total", "60", "--seed", "1", "--output",
                                         str(tmp_path / "list.csv"), *args])
    # Before: "invalid literal for int()" for 3,x and NaN margins for e = 0 / deff = -1.
    assert result.exit_code == 1 and expected in result.output and "nan" not in result.output.lower(), result.output
    assert _count(demo_app, FrameUnit, FrameUnit.sampled) == 0
    if "--two-stage" not in args:
        result = runner.invoke(sample_preview, ["--round", "LCU-2026", *args])
        assert result.exit_code == 1 and expected in result.output


def test_the_page_takes_e_deff_and_minimum_and_refuses_a_bad_seed(demo_app):
    import io

    from tests.conftest import login
    client = demo_app.test_client()
    login(client, "analyst")
    lines = "dossier_code,agency_code\n" + "".join(f"D{i},{'LCU.STP' if i < 190 else 'LCU.SYT'}\n" for i in range(200))
    client.post("/admin/rounds/LCU-2026/sample", data={"action": "frame", "file": (io.BytesIO(lines.encode()),
                                                                                     "f.csv")},
                content_type="multipart/form-data")
    page = client.get("/admin/rounds/LCU-2026/sample?total=20&minimum=5&e=0,1&deff=2").get_data(as_text=True)
    # Proportional 20 of 190 + 10 gives 19 + 1; the minimum of 5 lifts LCU.SYT to 5 and takes 4 from LCU.STP.
    assert '<td>LCU.SYT</td><td class="num">10</td><td class="num">5</td>' in page, page
    assert 'name="e" inputmode="decimal" value="0,1"' in page and "Neyman" in page
    r = client.get("/admin/rounds/LCU-2026/sample?total=20&e=0")
    assert r.status_code == 422 and "between 0 and 0.5" in r.get_data(as_text=True)
    r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "draw", "total": "20", "seed": "abc"})
    assert r.status_code == 422 and "&#39;abc&#39;: a whole number" in r.get_data(as_text=True)
    r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "draw", "total": "20", "seed": "1",
                                                          "two_stage": "3,x"})
    assert r.status_code == 422 and "OFFICES,PER_OFFICE" in r.get_data(as_text=True)
    assert _count(demo_app, FrameUnit, FrameUnit.sampled) == 0
    r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "draw", "total": "20", "seed": "1",
                                                          "minimum": "5", "e": "0,1", "deff": "2"})
    assert r.status_code == 200 and _count(demo_app, FrameUnit, FrameUnit.sampled) == 20
    s = session_factory(demo_app)()
    assert get_round(s, "LCU-2026").design["sizes"] == {"LCU.STP": 15, "LCU.SYT": 5}
    s.close()


# --- the sample plan ----------------------------------------------------------------------------------------


def test_the_sample_plan_is_recorded_with_the_draw_and_printable(demo_app, tmp_path):
    import hashlib

    from tests.conftest import login
    runner = demo_app.test_cli_runner()
    client = demo_app.test_client()
    login(client, "analyst")
    runner.invoke(frame_import, [_demo_frame(tmp_path), "--round", "LCU-2026"])
    assert client.get("/admin/rounds/LCU-2026/sample/plan").status_code == 404  # no draw, no plan
    result = runner.invoke(sample_draw, ["--round", "LCU-2026", "--total", "100", "--allocation", "equal", "--e",
                                         "0.07", "--deff", "2", "--minimum", "20", "--seed", "77", "--output",
                                         str(tmp_path / "list.csv")])
    assert result.exit_code == 0, result.output
    s = session_factory(demo_app)()
    rnd = get_round(s, "LCU-2026")
    pairs = sorted(s.execute(select(FrameUnit.dossier_hash, FrameUnit.stratum).where(FrameUnit.round_id == rnd.id)))
    expected = hashlib.sha256("".join(f"{d}\t{h}\n" for d, h in pairs).encode()).hexdigest()
    plan = rnd.design["plan"]
    s.close()
    assert plan["frame_fingerprint"] == expected and plan["frame_size"] == 1000 and plan["seed"] == 77
    assert plan["parameters"] == {"total": 100, "allocation": "equal", "e": 0.07, "deff": 2.0, "minimum": 20,
                                  "previous_round": None}
    # Equal allocation of 100 over 3 strata: 34, 33, 33 (largest remainder); N from the frame as loaded.
    assert [(x["stratum"], x["N"], x["n"]) for x in plan["strata"]] == [
        ("LCU.STP", 300, 34), ("LCU.SYT", 120, 33), ("LCU.TTPVHCC", 580, 33)]
    page = client.get("/admin/rounds/LCU-2026/sample/plan").get_data(as_text=True)
    assert f'<code id="fingerprint">{expected}</code>' in page and '<dd id="plan-seed">77</dd>' in page
    assert "<td>LCU.SYT</td><td class=\"num\">120</td><td class=\"num\">33</td>" in page


# --- real-world dossier lists -------------------------------------------------------------------------------


def test_an_xlsx_with_excel_dates_and_vietnamese_on_time_words_loads(demo_app, tmp_path):
    from datetime import datetime

    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.append(["dossier_code", "agency_code", "completed_on", "on_time"])
    for i, word in enumerate(["Đúng hạn", "Trễ hạn", "đúng  hạn", "Quá hạn", ""]):
        ws.append([f"X{i}", "LCU.STP", datetime(2027, 1, 7 + i), word])  # real Excel date cells
    ws.append(["X9", "LCU.STP", "08/01/2027", "1"])
    path = tmp_path / "list.xlsx"
    wb.save(path)
    runner = demo_app.test_cli_runner()
    result = runner.invoke(frame_import, [str(path), "--round", "LCU-2026", "--stratify-by", "on_time"])
    # Before: "'2027-01-07 00:00:00' is not YYYY-MM-DD" on every row, and the words silently became missing.
    assert result.exit_code == 0 and "6 dossiers loaded" in result.output, result.output
    s = session_factory(demo_app)()
    got = dict(s.execute(select(FrameUnit.stratum, func.count()).group_by(FrameUnit.stratum)).all())
    dates = sorted(s.scalars(select(FrameUnit.completed_on)))
    s.close()
    assert got == {"on_time": 3, "late": 2, "-": 1}
    assert [d.isoformat() for d in dates] == ["2027-01-07", "2027-01-08", "2027-01-08", "2027-01-09", "2027-01-10",
                                              "2027-01-11"]
    ws.append(["X10", "LCU.STP", datetime(2027, 1, 7), "x"])
    wb.save(path)
    result = runner.invoke(frame_import, [str(path), "--round", "LCU-2026"])
    assert result.exit_code == 1 and "row 8, column on_time: 'x' is not one of" in result.output, result.output


def test_a_latin1_csv_is_refused_with_a_clear_message(demo_app, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("dossier_code,agency_code,contact\nA1,LCU.STP,Rua S\u00e3o Jo\u00e3o\n".encode("latin-1"))
    result = demo_app.test_cli_runner().invoke(frame_import, [str(path), "--round", "LCU-2026"])
    # Before: a UnicodeDecodeError traceback on the CLI (and the raw codec message on the page).
    assert result.exit_code == 1 and "row 2: the file is not UTF-8" in result.output, result.output
    assert "codec" not in result.output and _count(demo_app, FrameUnit) == 0


def test_a_stratum_without_respondents_can_be_merged_into_another(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()
    runner.invoke(frame_import, [_demo_frame(tmp_path), "--round", "LCU-2026"])
    out = tmp_path / "list.csv"
    runner.invoke(sample_draw, ["--round", "LCU-2026", "--total", "60", "--seed", "2", "--output", str(out)])
    with open(out, encoding="utf-8-sig") as f:
        rows = [r for r in csv.DictReader(f) if r["stratum"] != "LCU.SYT"]  # nobody answers in LCU.SYT
    client = demo_app.test_client()
    for i, row in enumerate(rows[::2]):
        _answer(client, row["link"], str(2 + i % 4))
    result = runner.invoke(sample_weights, ["--round", "LCU-2026"])
    assert result.exit_code == 1 and "LCU.SYT" in result.output and "--merge" in result.output, result.output
    result = runner.invoke(sample_weights, ["--round", "LCU-2026", "--merge", "LCU.SYT=LCU.NOPE"])
    assert result.exit_code == 1 and "not strata of this sample: LCU.NOPE" in result.output
    result = runner.invoke(sample_weights, ["--round", "LCU-2026", "--merge", "LCU.SYT=LCU.STP"])
    assert result.exit_code == 0, result.output
    s = session_factory(demo_app)()
    from sipas.models import Agency
    sums = dict(s.execute(select(Agency.code, func.sum(Response.weight))
                          .join(Invitation, Invitation.response_id == Response.id)
                          .join(Agency, Agency.id == Invitation.agency_id).group_by(Agency.code)).all())
    merged = get_round(s, "LCU-2026").design["weights_report"]["merged"]
    s.close()
    # The merged class carries both strata's dossiers: 300 + 120 on LCU.STP's respondents; LCU.TTPVHCC its 580.
    assert sums["LCU.STP"] == pytest.approx(420) and sums["LCU.TTPVHCC"] == pytest.approx(580)
    assert merged == {"LCU.SYT": "LCU.STP"}
