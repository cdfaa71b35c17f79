"""Fixed totals per administrative level, then allocation within each level: service (both databases), CLI
and the sample page. The expected sizes are worked by hand from the frame counts below."""
from __future__ import annotations

import io

import pytest

from sipas.cli.sample import frame_import, sample_draw, sample_preview
from sipas.db import session_factory
from sipas.errors import ValidationFailed
from sipas.services import sampling
from sipas.services.catalog import get_round
from tests.conftest import login
from tests.factories import make_round

# Agency -> (level written on the frame, dossiers). One province-level list, two commune-level ones.
FRAME = {"T.A0": ("province", 100), "T.A1": ("commune", 200), "T.A2": ("commune", 100)}


def _frame(tmp_path, frame=FRAME, name="f.csv"):
    path = tmp_path / name
    path.write_text("dossier_code,agency_code,level\n" + "".join(
        f"{code}-{i},{code},{level}\n" for code, (level, n) in frame.items() for i in range(n)), encoding="utf-8")
    return path


def test_totals_per_level_are_allocated_within_each_level_and_recorded(session, tmp_path):
    rnd = make_round(session, channels=("invitation",), code="S-L", agencies=3)
    sampling.import_frame(session, rnd, _frame(tmp_path), dossier_key="k", stratify_by="level,agency")
    totals = sampling.parse_level_totals("province=20,commune=60")
    plan = sampling.preview(session, rnd, level_totals=totals)
    # Province: one stratum takes all 20. Commune: 60 shared 200:100 -> 40 and 20 (proportional).
    assert [(p.level, p.stratum, p.N, p.n) for p in plan] == [
        ("commune", "commune/T.A1", 200, 40), ("commune", "commune/T.A2", 100, 20),
        ("province", "province/T.A0", 100, 20)]
    equal = sampling.preview(session, rnd, level_totals=totals, method="equal")
    assert [p.n for p in equal] == [30, 30, 20]  # 60 split equally over the two commune strata
    drawn = sampling.draw(session, rnd, plan, seed=7, parameters={"allocation": "proportional",
                                                                   "level_totals": totals})
    session.commit()
    assert len(drawn) == 80
    by_level: dict[str, int] = {}
    for unit, _ in drawn:
        by_level[unit.level] = by_level.get(unit.level, 0) + 1
    assert by_level == {"province": 20, "commune": 60}
    record = get_round(session, "S-L").design["plan"]
    assert record["parameters"]["level_totals"] == {"province": 20, "commune": 60}
    assert [(s["level"], s["n"]) for s in record["strata"]] == [("commune", 40), ("commune", 20), ("province", 20)]


def test_totals_per_level_that_do_not_fit_the_frame_are_refused(session, tmp_path):
    rnd = make_round(session, channels=("invitation",), code="S-M", agencies=3)
    sampling.import_frame(session, rnd, _frame(tmp_path), dossier_key="k", stratify_by="level,agency")
    cases = {"province=20,commune=301": "only 300 dossiers of this level",
             "province=20,commune=60,district=5": "no dossier of this level",
             "commune=60": "no total for this level"}
    for text, why in cases.items():
        with pytest.raises(ValidationFailed) as refused:
            sampling.preview(session, rnd, level_totals=sampling.parse_level_totals(text))
        assert any(why in line for line in refused.value.lines()), (text, refused.value.lines())
    for text in ("province=4OO", "city=3", "province=1,tỉnh=2", "province"):
        with pytest.raises(ValidationFailed) as refused:
            sampling.parse_level_totals(text)
        assert "LEVEL=INTERVIEWS" in " ".join(refused.value.lines())
    with pytest.raises(ValidationFailed) as refused:
        sampling.preview(session, rnd, total=50, level_totals={"province": 20, "commune": 60})
    assert "not both" in " ".join(refused.value.lines())


def test_a_stratum_spanning_levels_is_refused(session, tmp_path):
    rnd = make_round(session, channels=("invitation",), code="S-O", agencies=3)
    path = _frame(tmp_path)
    with open(path, "a", encoding="utf-8") as f:
        f.write("T.A1-extra,T.A1,province\n")
    sampling.import_frame(session, rnd, path, dossier_key="k", stratify_by="agency")
    with pytest.raises(ValidationFailed) as refused:
        sampling.preview(session, rnd, level_totals={"province": 20, "commune": 60})
    assert "several levels" in " ".join(refused.value.lines())
    assert sampling.preview(session, rnd, total=10)  # without totals per level the same frame is fine


def test_level_totals_on_the_cli(demo_app, tmp_path):
    frame = {"LCU.STP": ("province", 300), "LCU.SYT": ("commune", 120), "LCU.TTPVHCC": ("commune", 180)}
    runner = demo_app.test_cli_runner()
    result = runner.invoke(frame_import, [str(_frame(tmp_path, frame)), "--round", "LCU-2026",
                                          "--stratify-by", "level,agency"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(sample_preview, ["--round", "LCU-2026", "--level-totals", "tỉnh=30,xã=50"])
    assert result.exit_code == 0, result.output
    # Commune: 50 shared 120:180 -> 20 and 30.
    assert "commune\tcommune/LCU.SYT\t120\t20\t" in result.output
    assert "commune\tcommune/LCU.TTPVHCC\t180\t30\t" in result.output
    assert "province\tprovince/LCU.STP\t300\t30\t" in result.output
    result = runner.invoke(sample_preview, ["--round", "LCU-2026", "--level-totals", "province=301,commune=50"])
    assert result.exit_code == 1 and "only 300 dossiers" in result.output
    out = tmp_path / "list.csv"
    result = runner.invoke(sample_draw, ["--round", "LCU-2026", "--level-totals", "province=30,commune=50",
                                         "--seed", "4", "--output", str(out)])
    assert result.exit_code == 0, result.output
    s = session_factory(demo_app)()
    assert get_round(s, "LCU-2026").design["plan"]["parameters"]["level_totals"] == {"province": 30, "commune": 50}
    s.close()


def test_level_totals_on_the_sample_page_and_the_plan(demo_app):
    client = demo_app.test_client()
    login(client, "analyst")
    lines = ["dossier_code,agency_code,level"] + [f"D{code}{i},{code},{level}" for code, level, n in (
        ("LCU.STP", "province", 200), ("LCU.SYT", "commune", 100)) for i in range(n)]
    client.post("/admin/rounds/LCU-2026/sample", data={"action": "frame", "stratify_by": "level,agency", "file": (
        io.BytesIO("\n".join(lines).encode()), "f.csv")}, content_type="multipart/form-data")
    page = client.get("/admin/rounds/LCU-2026/sample?level_totals=province%3D40%2Ccommune%3D25").get_data(as_text=True)
    assert 'name="level_totals"' in page and 'id="level-totals"' in page
    assert "<td>Cấp xã</td><td>commune/LCU.SYT</td><td class=\"num\">100</td><td class=\"num\">25</td>" in page
    r = client.get("/admin/rounds/LCU-2026/sample?level_totals=province%3D40%2Ccommune%3D101")
    assert r.status_code == 422 and "only 100 dossiers" in r.get_data(as_text=True)
    r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "draw", "level_totals": "province=40,commune=25",
                                                            "seed": "5"})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    plan = client.get("/admin/rounds/LCU-2026/sample/plan").get_data(as_text=True)
    assert "Cấp tỉnh 40; Cấp xã 25" in plan
