"""Sample design, the rest of it: any frame column as strata, Neyman from last round's results, the invitation
list as XLSX, and calibration to known control totals."""
from __future__ import annotations

import math
import uuid

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

import surveys
from sipas.cli.sample import frame_import, frame_stratify, sample_draw, sample_preview, sample_weights
from sipas.db import session_factory
from sipas.errors import ValidationFailed
from sipas.models import Agency, FrameUnit, Invitation, Response, ResponseStatus
from sipas.services import sampling
from sipas.services.catalog import get_round

PLAN = {"LCU.STP": (300, "Tư pháp"), "LCU.SYT": (120, "Y tế"), "LCU.TTPVHCC": (580, "Đất đai")}


def _frame(tmp_path, first_contact: str = "Số 1"):
    lines = ["dossier_code,agency_code,service_point_code,field,level,completed_on,on_time,contact"]
    for code, (n, field) in PLAN.items():
        for i in range(n):
            other = "Hộ tịch" if i % 3 == 0 else field
            lines.append(f"{code}-{i:06d},{code},{code}.MC,{other},,2026-0{7 + i % 2}-15,{i % 4 != 0:d},"
                         f"\"{first_contact if i == 0 else f'Số {i}'}\"")
    path = tmp_path / "dossiers.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    return str(path)


def test_any_frame_columns_make_the_strata_and_can_be_changed_before_the_draw(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()
    result = runner.invoke(frame_import, [_frame(tmp_path), "--round", "LCU-2026", "--stratify-by", "level,field"])
    assert result.exit_code == 0, result.output
    s = session_factory(demo_app)()
    strata = dict(s.execute(select(FrameUnit.stratum, func.count()).group_by(FrameUnit.stratum)).all())
    # Every demo agency here is at province level; a third of each agency's dossiers are Hộ tịch.
    assert strata == {"province/Hộ tịch": 100 + 40 + 194, "province/Tư pháp": 200, "province/Y tế": 80,
                      "province/Đất đai": 386}
    s.close()
    result = runner.invoke(frame_stratify, ["--round", "LCU-2026", "--by", "on_time,completed_month"])
    assert result.exit_code == 0, result.output
    s = session_factory(demo_app)()
    strata = dict(s.execute(select(FrameUnit.stratum, func.count()).group_by(FrameUnit.stratum)).all())
    # i % 4 == 0 is late and even i is July: every late dossier was completed in July (75 + 30 + 145).
    assert strata == {"late/2026-07": 250, "on_time/2026-07": 250, "on_time/2026-08": 500}
    assert get_round(s, "LCU-2026").design["stratified_by"] == ["on_time", "completed_month"]
    s.close()
    assert runner.invoke(frame_stratify, ["--round", "LCU-2026", "--by", "colour"]).exit_code == 1
    assert runner.invoke(sample_draw, ["--round", "LCU-2026", "--total", "40", "--seed", "3", "--output",
                                       str(tmp_path / "l.csv")]).exit_code == 0
    result = runner.invoke(frame_stratify, ["--round", "LCU-2026", "--by", "agency"])
    assert result.exit_code == 1 and "already drawn" in result.output


def _last_round_shares(s, code: str) -> dict[str, float]:
    """Independent of previous_proportions: loop over the stored answers of LCU-2024 in Python."""
    rnd = get_round(s, code)
    profile = surveys.load(rnd.profile_key)
    items = {i.code for i in profile.items if i.kind == "satisfaction"}
    hits: dict[str, list[int]] = {}
    for response in s.scalars(select(Response).where(Response.round_id == rnd.id,
                                                      Response.status == ResponseStatus.VALID)):
        code_of = response.agency.code
        for answer in response.answers:
            if answer.item_code in items:
                pair = hits.setdefault(code_of, [0, 0])
                pair[0] += 1
                pair[1] += answer.value in (4, 5)
    return {k: v[1] / v[0] for k, v in hits.items()}


def test_neyman_allocation_uses_last_rounds_satisfaction_shares(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()
    assert runner.invoke(frame_import, [_frame(tmp_path), "--round", "LCU-2026"]).exit_code == 0
    result = runner.invoke(sample_preview, ["--round", "LCU-2026", "--total", "200", "--allocation", "neyman"])
    assert result.exit_code == 0, result.output
    rows = {line.split("\t")[0]: line.split("\t") for line in result.output.splitlines()[1:-1]}
    s = session_factory(demo_app)()
    shares = _last_round_shares(s, "LCU-2024")
    s.close()
    weights = {code: n * math.sqrt(shares[code] * (1 - shares[code])) for code, (n, _) in PLAN.items()}
    for code, (n, _) in PLAN.items():
        ideal = 200 * weights[code] / sum(weights.values())
        assert abs(int(rows[code][2]) - ideal) < 1, (code, rows[code], ideal)  # largest-remainder rounding
        assert abs(float(rows[code][4]) - shares[code]) < 5e-4 and rows[code][5] == f"LCU-2024: agency {code}"
    assert sum(int(r[2]) for r in rows.values()) == 200
    # Neyman differs from proportional here only through the shares: check it is not silently proportional.
    proportional = {c: 200 * n / 1000 for c, (n, _) in PLAN.items()}
    assert any(abs(int(rows[c][2]) - proportional[c]) >= 1 for c in PLAN) or len(set(shares.values())) == 1


def test_neyman_without_an_earlier_round_says_so(demo_app, tmp_path):
    s = session_factory(demo_app)()
    rnd = get_round(s, "LCU-2024")
    with pytest.raises(ValidationFailed) as caught:
        sampling.previous_proportions(s, rnd)
    assert "no earlier round" in str(caught.value.problems)
    s.close()


def test_the_invitation_list_as_xlsx_keeps_every_cell_as_text(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()
    assert runner.invoke(frame_import, [_frame(tmp_path, first_contact="=HYPERLINK(\"x\")"), "--round",
                                        "LCU-2026"]).exit_code == 0
    out = tmp_path / "list.xlsx"
    result = runner.invoke(sample_draw, ["--round", "LCU-2026", "--total", "1000", "--seed", "9", "--output", str(out)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    ws = wb.active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == sampling.INVITATION_COLUMNS and len(rows) == 1001
    formula = [c for row in ws.iter_rows(min_row=2) for c in row if str(c.value).startswith("=")]
    assert formula and all(c.data_type == "s" for c in formula)  # the contact stays text, never a formula
    s = session_factory(demo_app)()
    serials = set(s.scalars(select(Invitation.serial)))
    assert {r[0] for r in rows[1:]} <= serials and all(r[5].startswith("http://127.0.0.1:5000/i/") for r in rows[1:])
    s.close()
    bad = runner.invoke(sample_draw, ["--round", "LCU-2026", "--seed", "1", "--output", str(tmp_path / "x.pdf")])
    assert bad.exit_code == 1 and ".csv or .xlsx" in bad.output


def _answer_half(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()
    assert runner.invoke(frame_import, [_frame(tmp_path), "--round", "LCU-2026"]).exit_code == 0
    out = tmp_path / "list.csv"
    assert runner.invoke(sample_draw, ["--round", "LCU-2026", "--total", "120", "--seed", "4",
                                       "--output", str(out)]).exit_code == 0
    import csv
    with open(out, encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    client = demo_app.test_client()
    for row in rows[::2]:
        client.post(row["link"].split("5000", 1)[1], data={"S1": "4", "confirm_incomplete": "1",
                                                           "response_id": str(uuid.uuid4())})
    return runner


def _weight_sums(demo_app, column):
    s = session_factory(demo_app)()
    rnd = get_round(s, "LCU-2026")
    rows = s.execute(select(column, func.sum(Response.weight), func.count())
                     .join(Invitation, Invitation.response_id == Response.id)
                     .join(FrameUnit, FrameUnit.invitation_id == Invitation.id)
                     .join(Agency, Agency.id == FrameUnit.agency_id)
                     .where(Response.round_id == rnd.id).group_by(column)).all()
    s.close()
    return {k: (float(w), n) for k, w, n in rows}


def test_weights_calibrate_to_external_control_totals(demo_app, tmp_path):
    runner = _answer_half(demo_app, tmp_path)
    # Known totals from the one-stop system's yearly statistics: not the frame's counts (they cover more months).
    totals = tmp_path / "totals.csv"
    totals.write_text("variable,category,total\nagency,LCU.STP,3600\nagency,LCU.SYT,1500\nagency,LCU.TTPVHCC,6900\n"
                      "field,Tư pháp,2400\nfield,Y tế,1000\nfield,Đất đai,4600\nfield,Hộ tịch,4000\n",
                      encoding="utf-8")
    result = runner.invoke(sample_weights, ["--round", "LCU-2026", "--totals", str(totals)])
    assert result.exit_code == 0 and "converged" in result.output and "calibrated to control totals" in result.output, \
        result.output
    by_agency = _weight_sums(demo_app, Agency.code)
    # Raking stops when every margin is within 1e-8 of its total (relative): compare to that tolerance.
    assert {k: w for k, (w, _) in by_agency.items()} == pytest.approx({"LCU.STP": 3600, "LCU.SYT": 1500,
                                                                      "LCU.TTPVHCC": 6900}, rel=1e-7)
    by_field = _weight_sums(demo_app, FrameUnit.field)
    assert {k: w for k, (w, _) in by_field.items()} == pytest.approx({"Tư pháp": 2400, "Y tế": 1000,
                                                                     "Đất đai": 4600, "Hộ tịch": 4000}, rel=1e-7)


@pytest.mark.parametrize("content, message", [
    ("variable,category,total\nagency,LCU.STP,3600\nagency,LCU.SYT,1500\n", "no control total"),
    ("variable,category,total\nagency,LCU.STP,3600\nagency,LCU.SYT,1500\nagency,LCU.TTPVHCC,6900\n"
     "field,Tư pháp,2400\nfield,Y tế,1000\nfield,Đất đai,4600\nfield,Hộ tịch,5000\n", "disagree on the total"),
    ("variable,category,total\ncolour,red,3\nagency,LCU.STP,-4\n", "2 problems"),
])
def test_bad_control_totals_change_no_weight(demo_app, tmp_path, content, message):
    runner = _answer_half(demo_app, tmp_path)
    before = _weight_sums(demo_app, Agency.code)
    totals = tmp_path / "totals.csv"
    totals.write_text(content, encoding="utf-8")
    result = runner.invoke(sample_weights, ["--round", "LCU-2026", "--totals", str(totals)])
    assert result.exit_code == 1 and message in result.output, result.output
    assert _weight_sums(demo_app, Agency.code) == before
