"""From a dossier list to weighted responses: import, preview, seeded draw, invitation list, close."""
from __future__ import annotations

import csv

import pytest
import uuid

from sqlalchemy import func, select

from sipas.cli.sample import frame_import, sample_draw, sample_preview
from sipas.db import session_factory
from sipas.models import FrameUnit, Invitation, Response, RoundStatus
from sipas.services import admin
from sipas.services.catalog import get_round

AGENCIES = {"LCU.STP": 300, "LCU.SYT": 120, "LCU.TTPVHCC": 580}


def _frame(tmp_path):
    path = tmp_path / "dossiers.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["dossier_code", "agency_code", "service_point_code", "field", "completed_on", "contact"])
        for code, n in AGENCIES.items():
            for i in range(n):
                w.writerow([f"000.00.{code}-{i:06d}", code, f"{code}.MC", "Tư pháp", "2026-08-15",
                            f"Số {i} đường {code}, Lai Châu"])
    return str(path)


def test_the_journey_from_dossier_list_to_weighted_responses(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()
    result = runner.invoke(frame_import, [_frame(tmp_path), "--round", "LCU-2026"])
    assert result.exit_code == 0 and "1,000 dossiers loaded" in result.output, result.output
    s = session_factory(demo_app)()
    assert "000.00" not in "".join(s.scalars(select(FrameUnit.dossier_hash)))  # codes only as keyed hashes
    s.close()
    result = runner.invoke(sample_preview, ["--round", "LCU-2026"])
    lines = dict(line.split("\t")[:3:2] for line in result.output.splitlines()[1:])
    # 2013 formula per stratum, by hand: 300/1.75 = 171.4 -> 172; 120/1.3 = 92.3 -> 93; 580/2.45 = 236.7 -> 237.
    assert lines == {"LCU.STP": "172", "LCU.SYT": "93", "LCU.TTPVHCC": "237", "total": "502"}
    result = runner.invoke(sample_preview, ["--round", "LCU-2026", "--total", "100"])
    assert "LCU.TTPVHCC\t580\t58\t" in result.output
    copy = tmp_path / "copy.sqlite"
    import sqlite3  # the backup API copies what is still in the write-ahead log too
    with sqlite3.connect(demo_app.config["DATABASE_URL"].removeprefix("sqlite:///")) as src, \
            sqlite3.connect(copy) as dst:
        src.backup(dst)
    out = tmp_path / "list.csv"
    result = runner.invoke(sample_draw, ["--round", "LCU-2026", "--total", "100", "--seed", "42", "--output", str(out)])
    assert result.exit_code == 0 and "100 dossiers sampled (seed 42)" in result.output, result.output
    with open(out, encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 100 and rows[0]["link"].startswith("http://127.0.0.1:5000/i/") and rows[0]["contact"]
    s = session_factory(demo_app)()
    for code, n in AGENCIES.items():
        from sipas.models import Agency
        agency_id = s.scalar(select(Agency.id).where(Agency.code == code))
        total = s.scalar(select(func.sum(FrameUnit.weight)).where(FrameUnit.sampled, FrameUnit.agency_id == agency_id))
        assert abs(total - n) < 1e-9  # base weights add up to the frame size per stratum
    rnd = get_round(s, "LCU-2026")
    assert rnd.design["seed"] == 42 and rnd.design["sizes"]["LCU.TTPVHCC"] == 58
    selected = sorted(s.scalars(select(FrameUnit.dossier_hash).where(FrameUnit.sampled)))
    s.close()
    # The same seed on the same frame draws the same dossiers.
    from sipas import create_app
    from tests.conftest import private_dirs
    twin = create_app({**private_dirs(tmp_path / "twin"), "TESTING": True, "DATABASE_URL": f"sqlite:///{copy}",
                       "SECRET_KEY": "test-secret"})
    result = twin.test_cli_runner().invoke(sample_draw, ["--round", "LCU-2026", "--total", "100", "--seed", "42",
                                                         "--output", str(tmp_path / "list2.csv")])
    assert result.exit_code == 0, result.output
    t = session_factory(twin)()
    assert sorted(t.scalars(select(FrameUnit.dossier_hash).where(FrameUnit.sampled))) == selected
    t.close()
    session_factory(twin).kw["bind"].dispose()
    # A response through a sampled dossier's invitation carries its stratum and weight.
    client = demo_app.test_client()
    path = rows[0]["link"].split("5000", 1)[1]
    client.post(path, data={"S1": "4", "confirm_incomplete": "1", "response_id": str(uuid.uuid4())})
    s = session_factory(demo_app)()
    inv = s.scalar(select(Invitation).where(Invitation.serial == rows[0]["serial"]))
    response = s.get(Response, inv.response_id)
    assert response.weight == float(rows[0]["weight"]) and response.stratum == rows[0]["agency_code"]
    # A second draw is refused; closing the round deletes the contacts.
    assert runner.invoke(sample_draw, ["--round", "LCU-2026", "--seed", "1", "--output", str(out)]).exit_code == 1
    admin.set_status(s, get_round(s, "LCU-2026"), RoundStatus.CLOSED)
    s.commit()
    assert s.scalar(select(func.count()).select_from(FrameUnit).where(FrameUnit.contact.is_not(None))) == 0
    s.close()


def test_a_bad_frame_loads_nothing(demo_app, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("dossier_code,agency_code,completed_on\nA1,LCU.STP,2026-01-01\nA1,LCU.STP,2026-01-02\n"
                    "A2,NOPE,2026-01-01\nA3,LCU.STP,yesterday\n", encoding="utf-8")
    result = demo_app.test_cli_runner().invoke(frame_import, [str(path), "--round", "LCU-2026"])
    assert result.exit_code == 1
    for expected in ("row 3, column dossier_code: duplicate", "row 4, column agency_code", "row 5, column completed_on"):
        assert expected in result.output
    s = session_factory(demo_app)()
    assert s.scalar(select(func.count()).select_from(FrameUnit)) == 0
    s.close()


def test_frame_and_draw_on_both_databases(session, tmp_path):
    from sipas.services.sampling import draw, import_frame, preview
    from tests.factories import make_round
    rnd = make_round(session, channels=("invitation",), code="S-1")
    path = tmp_path / "f.csv"
    path.write_text("dossier_code,agency_code,contact\n" + "".join(
        f"D{i},T.A{i % 2},addr {i}\n" for i in range(60)), encoding="utf-8")
    assert import_frame(session, rnd, path, dossier_key="k") == 60
    plan = preview(session, rnd, total=10, method="equal")
    assert [(p.stratum, p.N, p.n) for p in plan] == [("T.A0", 30, 5), ("T.A1", 30, 5)]
    drawn = draw(session, rnd, plan, seed=3)
    session.commit()
    assert len(drawn) == 10 and all(u.weight == 6.0 for u, _ in drawn)
    assert session.scalar(select(func.count()).select_from(Invitation).where(Invitation.weight == 6.0)) == 10


def test_weights_after_fieldwork_add_up_to_the_frame(demo_app, tmp_path):
    from sipas.cli.sample import sample_weights
    runner = demo_app.test_cli_runner()
    runner.invoke(frame_import, [_frame(tmp_path), "--round", "LCU-2026"])
    out = tmp_path / "list.csv"
    assert runner.invoke(sample_draw, ["--round", "LCU-2026", "--total", "60", "--seed", "9", "--output",
                                       str(out)]).exit_code == 0
    with open(out, encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    client = demo_app.test_client()
    answered = [r for i, r in enumerate(rows) if i % 3 != 0]  # two in three answer
    for r in answered:
        client.post(r["link"].split("5000", 1)[1], data={"S1": "5", "confirm_incomplete": "1",
                                                         "response_id": str(uuid.uuid4())})
    result = runner.invoke(sample_weights, ["--round", "LCU-2026"])
    assert result.exit_code == 0, result.output
    assert "LCU.TTPVHCC\t35\t" in result.output and "Kish design effect" in result.output
    s = session_factory(demo_app)()
    serials = [r["serial"] for r in answered]
    invs = s.scalars(select(Invitation).where(Invitation.serial.in_(serials))).all()
    weights = {}
    from sipas.models import Agency
    for inv in invs:
        code = s.get(Agency, inv.agency_id).code
        weights[code] = weights.get(code, 0) + s.get(Response, inv.response_id).weight
    s.close()
    assert weights == {code: pytest.approx(n) for code, n in AGENCIES.items()}  # non-response adjusted to N_h
    result = runner.invoke(sample_weights, ["--round", "LCU-2026", "--rake", "agency,field"])
    assert "raking:" in result.output and "converged" in result.output


def test_two_stage_draw_on_both_databases(session, tmp_path):
    from sipas.models import ServicePoint
    from sipas.services.sampling import draw, import_frame, preview
    from tests.factories import make_round
    rnd = make_round(session, channels=("invitation",), code="S-2", agencies=1)
    agency = rnd.agencies[0]
    for k in range(1, 4):
        agency.service_points.append(ServicePoint(code=f"T.A0.P{k}", name=f"Điểm {k}"))
    session.commit()
    sizes = {"T.A0.MC": 40, "T.A0.P1": 30, "T.A0.P2": 20, "T.A0.P3": 10}
    rows = [f"D{p}{i},T.A0,{p},addr\n" for p, n in sizes.items() for i in range(n)]
    path = tmp_path / "f.csv"
    path.write_text("dossier_code,agency_code,service_point_code,contact\n" + "".join(rows), encoding="utf-8")
    import_frame(session, rnd, path, dossier_key="k")
    drawn = draw(session, rnd, preview(session, rnd, total=10), seed=4, two_stage=(2, 5))
    session.commit()
    assert len(drawn) == 10 and len({u.psu for u, _ in drawn}) == 2
    # pi = pi_office x 5 / N_office with pi_office = 2 N_office / 100: every dossier has pi = 0.1, weight 10.
    assert all(abs(u.weight - 10.0) < 1e-9 for u, _ in drawn)
    assert rnd.design["dossiers_per_office"] == 5


def test_a_paper_return_of_a_sampled_dossier_carries_its_weight(session, tmp_path):
    from sipas.models import PaperFormStatus, Role
    from sipas.services import accounts, paper
    from sipas.services.sampling import draw, import_frame, preview
    from tests.factories import make_round
    rnd = make_round(session, channels=("invitation", "paper_post"), code="S-3")
    path = tmp_path / "f.csv"
    path.write_text("dossier_code,agency_code\n" + "".join(f"D{i},T.A{i % 2}\n" for i in range(40)), encoding="utf-8")
    import_frame(session, rnd, path, dossier_key="k")
    drawn = draw(session, rnd, preview(session, rnd, total=8, method="equal"), seed=1)
    a = accounts.create_user(session, "a1", "long-enough-password-1", [Role.SURVEYOR])
    b = accounts.create_user(session, "b1", "long-enough-password-1", [Role.SURVEYOR])
    unit, _ = drawn[0]
    inv = session.get(Invitation, unit.invitation_id)
    agency = next(x for x in rnd.agencies if x.id == unit.agency_id)
    batch = paper.open_batch(session, rnd, agency, "HOP-S", 4, "paper_post", a)
    paper.key_form(session, batch, inv.serial, {"S1": "4"}, 1, a)
    form = paper.key_form(session, batch, inv.serial, {"S1": "4"}, 2, b)
    session.commit()
    response = session.get(Response, form.response_id)
    assert form.status is PaperFormStatus.VERIFIED
    assert (response.stratum, response.weight) == (unit.stratum, unit.weight) and response.weight == 5.0
    session.refresh(inv)
    assert inv.response_id == response.id and inv.used_at is not None
