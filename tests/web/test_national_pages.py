"""The national round's pages: the league table, a province's page (and who may open it), the three-year trend
over stored rounds, all read from stored results through the publication service."""
from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from sipas.db import session_factory, session_scope
from sipas.models import AdminMap, Round, RoundStatus
from sipas.results import Change
from sipas.services import national
from sipas.services.accounts import create_user
from sipas.services.results import store
from tests.conftest import login

PASSWORD = "demo-sipas-2026"


def _national_user(app, name: str = "vn_analyst", role: str = "analyst") -> None:
    from sipas.models import Role
    with session_scope(app) as s:
        create_user(s, name, PASSWORD, [Role(role)], check_password=False)


def _publication(app):
    s = session_factory(app)()
    try:
        rnd = s.scalar(select(Round).where(Round.code == "VN-2026"))
        return national.for_round(s, rnd)
    finally:
        s.close()


def test_the_league_table_shows_every_province_from_the_publication(national_app):
    _national_user(national_app)
    client = national_app.test_client()
    login(client, "vn_analyst", PASSWORD)
    response = client.get("/dashboard/VN-2026")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    pub = _publication(national_app)
    rows = re.findall(r'<tr data-province="(\d\d)"><td>([^<]*)</td><td>([^<]*)</td>', page)
    assert [code for code, _, _ in rows] == [p.code for p in pub.provinces] and len(rows) == 34
    for (code, marginal, simultaneous), p in zip(rows, pub.provinces):
        assert marginal == p.rank_text and re.fullmatch(r"\d+/34( \(\d+–\d+\))?", marginal)
        assert simultaneous.replace("–", "-").split("-")[0] == str(p.rank.sim_low)
        assert f'/dashboard/VN-2026/province/{code}"' in page
    first = pub.provinces[0]
    # The figures of the service, with the Vietnamese decimal comma.
    assert f"{first.sipas:.2f}".replace(".", ",") in page
    nat = pub.national["SIPAS"]
    assert f'data-national="{nat.estimate}"' in page
    change = pub.national_change["SIPAS"]
    assert change.basis == "re_estimated" and "ước lượng lại theo bản đồ 34 tỉnh" in page
    # The chart is an accessible SVG; its table is on the page; no inline style (strict CSP).
    assert page.count('role="img"') == 2 and "<desc" in page and "style=" not in page.split("<body")[1]
    # The trend marks the map break between 2024 and 2026 instead of joining them.
    assert "đổi địa giới (2025)" in page and 'class="trendline"' not in page
    m = pub.movements
    assert f"{m.up_significant + m.up_not_significant} tỉnh tăng" in page
    assert "Chưa đủ ba kỳ so sánh được: 34" in page  # two national rounds: nothing classified yet
    assert "SIPAS_1001" not in page and "new_34" not in page


def test_a_province_page_shows_its_rank_change_and_agencies(national_app):
    _national_user(national_app)
    client = national_app.test_client()
    login(client, "vn_analyst", PASSWORD)
    pub = _publication(national_app)
    line = pub.provinces[3]
    page = client.get(f"/dashboard/VN-2026/province/{line.code}").get_data(as_text=True)
    assert f"<h1>{line.name}</h1>" in page
    assert line.rank_text in page and f"{line.rank.sim_low}–{line.rank.sim_high}" in page
    assert 'data-index="PART_A"' in page and 'data-index="PART_B"' in page
    assert "VN-2024" in page and "ước lượng lại theo bản đồ 34 tỉnh" in page
    assert f'data-agency="VN34.{line.code}"' in page and page.count("<svg") == 1
    assert client.get("/dashboard/VN-2026/province/99").status_code == 404
    assert client.get("/dashboard/LCU-2026/province/12").status_code == 404  # only a national round has them


def test_a_provinces_staff_open_only_their_provinces_page(national_app):
    client = national_app.test_client()
    login(client, "analyst")  # the demo's analyst: Lai Châu (12 on the 2025 map)
    assert client.get("/dashboard/VN-2026/province/12").status_code == 200
    assert client.get("/dashboard/VN-2026/province/01").status_code == 403
    assert client.get("/dashboard/VN-2026").status_code == 403  # the league table is the Ministry's
    assert client.get("/dashboard/VN-2026/province/99").status_code == 403  # unknown: nothing given away
    manager = national_app.test_client()
    login(manager, "manager")  # tied to an agency: no province page
    assert manager.get("/dashboard/VN-2026/province/12").status_code == 403
    _national_user(national_app, "vn_admin", "admin")
    national_client = national_app.test_client()
    login(national_client, "vn_admin", PASSWORD)
    assert national_client.get("/dashboard/VN-2026/province/01").status_code == 200
    assert national_client.get("/dashboard/VN-2026/province/12").status_code == 200


def test_national_pages_never_run_the_analysis(national_app, monkeypatch):
    import sipas.recompute
    import sipas.services.results.compute
    import sipas.services.results.tree

    def _fail(*_a, **_k):
        raise AssertionError("a page ran the analysis")

    monkeypatch.setattr(sipas.services.results.tree, "compute_indices", _fail)
    monkeypatch.setattr(sipas.services.results.compute, "compute_round", _fail)
    monkeypatch.setattr(sipas.recompute, "compute_round", _fail)
    _national_user(national_app)
    client = national_app.test_client()
    login(client, "vn_analyst", PASSWORD)
    for url in ("/dashboard/VN-2026", "/dashboard/VN-2026/province/12", "/dashboard/VN-2024",
                "/dashboard/VN-2024/province/12"):
        response = client.get(url)
        assert response.status_code == 200 and "Số liệu tạm tính lúc" in response.get_data(as_text=True), url


# --- The three-year trend over stored rounds: a hand-checkable case --------------------------------------------
#: Province -> (2024 re-estimated on the 2025 map, 2025, 2026), chosen by hand; the expected class follows the
#: rule: rose at each step -> sustainable; last below first -> decreasing; otherwise unsustainable.
HAND = {"01": ((80.0, 82.0, 85.0), "sustainable_increase"),
        "12": ((80.0, 86.0, 85.0), "unsustainable_increase"),
        "79": ((80.0, 83.0, 79.5), "decreasing"),
        "08": ((None, 83.0, 84.0), None)}  # no 2024 figure for it: fewer than three values, not classified


def _with_sipas(tree, values: dict[str, float | None], previous: dict[str, float | None] | None = None,
                round_code: str | None = None):
    """A stored tree with hand-set province SIPAS values (and, for a 2025 tree, its 2024 re-estimates)."""
    groups = []
    for g in tree.groups:
        if g.by == "province" and g.key in values:
            indices = {**g.indices, "SIPAS": dataclasses.replace(g.indices["SIPAS"], estimate=values[g.key])}
            change = dict(g.change)
            if previous is not None:
                change["SIPAS"] = Change("VN-2024", 2024, previous[g.key], None, "re_estimated") \
                    if previous[g.key] is not None else Change("VN-2024", 2024, None, None, reason="NOT_IN_PREVIOUS")
            g = dataclasses.replace(g, indices=indices, change=change)
        groups.append(g)
    return dataclasses.replace(tree, groups=tuple(groups), round_code=round_code or tree.round_code,
                               computed_at=datetime.now(timezone.utc) + timedelta(seconds=1))


def _add_2025(s, method: str = "SIPAS_1001") -> Round:
    """A third national round on the 2025 map, stored with the hand values (a copy of 2026's tree otherwise)."""
    vn26 = s.scalar(select(Round).where(Round.code == "VN-2026"))
    rnd = Round(code="VN-2025", name="SIPAS 2025 toàn quốc", year=2025, method_version=method, profile_key=method,
                admin_map=AdminMap.NEW_34, jurisdiction=None, status=RoundStatus.CLOSED, channels=["interview"])
    s.add(rnd)
    s.flush()
    tree = store.load(s, store.provisional_info(s, vn26).id)
    store.save(s, rnd, _with_sipas(tree, {k: v[1] for k, (v, _) in HAND.items()},
                                   {k: v[0] for k, (v, _) in HAND.items()}, round_code="VN-2025"))
    store.save(s, vn26, _with_sipas(tree, {k: v[2] for k, (v, _) in HAND.items()}))
    return vn26


def test_the_trend_is_classified_over_three_stored_rounds(national_app):
    with session_scope(national_app) as s:
        vn26 = _add_2025(s)
        tree = store.load(s, store.provisional_info(s, vn26).id)
        trends = national.trends(s, vn26, tree)
        assert trends.rounds == ("VN-2024", "VN-2025", "VN-2026")
        for code, (values, expected) in HAND.items():
            assert trends.values[code] == values and trends.classes[code] == expected, code
        assert sum(trends.counts.values()) == 34 and trends.counts["not_classified"] >= 1
        as_json = national.to_dict(national.for_round(s, vn26))
    assert as_json["trend"]["rounds"] == ["VN-2024", "VN-2025", "VN-2026"]
    assert as_json["trend"]["counts"] == trends.counts
    assert {p["code"]: p["trend_class"] for p in as_json["provinces"]}["79"] == "decreasing"
    # The dashboard shows the counts and each province's class; the workbook has the column.
    _national_user(national_app)
    client = national_app.test_client()
    login(client, "vn_analyst", PASSWORD)
    page = client.get("/dashboard/VN-2026").get_data(as_text=True)
    assert f'<span data-trend="sustainable_increase">Tăng bền vững: {trends.counts["sustainable_increase"]}</span>' \
        in page
    row = page.split('<tr data-province="79">')[1].split("</tr>")[0]
    assert row.rstrip().endswith("<td>Giảm</td>")
    assert "Tăng bền vững" in client.get("/dashboard/VN-2026/province/01").get_data(as_text=True)


def test_the_trend_workbook_column(national_app, tmp_path):
    from io import BytesIO

    from openpyxl import load_workbook
    with session_scope(national_app) as s:
        _add_2025(s)
    _national_user(national_app, "vn_admin", "admin")
    client = national_app.test_client()
    login(client, "vn_admin", PASSWORD)
    response = client.get("/admin/rounds/VN-2026/report.xlsx?view=provisional")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.data), read_only=True)["Theo tỉnh"]
    rows = {r[2]: r for r in sheet.iter_rows(values_only=True) if len(r) > 2 and isinstance(r[2], str)
            and len(r[2]) == 2 and r[2].isdigit()}
    assert rows["01"][-1] == "Tăng bền vững" and rows["12"][-1] == "Tăng không bền vững"
    assert rows["79"][-1] == "Giảm" and rows["08"][-1] == "Chưa đủ ba kỳ so sánh được"


@pytest.mark.parametrize("method", ["SIPAS_2640"])
def test_a_method_change_ends_the_comparable_rounds(national_app, method):
    with session_scope(national_app) as s:
        vn26 = _add_2025(s, method)
        assert [r.code for r in national.comparable_rounds(s, vn26)] == ["VN-2026"]
        tree = store.load(s, store.provisional_info(s, vn26).id)
        assert set(national.trends(s, vn26, tree).classes.values()) == {None}


def test_a_published_round_keeps_its_trend_whatever_is_published_later(national_app):
    """The trend of a published version reads only what the earlier rounds had published by then."""
    with session_scope(national_app) as s:
        vn26 = _add_2025(s)
        vn25 = s.scalar(select(Round).where(Round.code == "VN-2025"))
        t0 = datetime.now(timezone.utc)
        tree25 = store.load(s, store.provisional_info(s, vn25).id)
        store.save(s, vn25, dataclasses.replace(tree25, version=1, published_at=t0))
        tree26 = store.load(s, store.provisional_info(s, vn26).id)
        published26 = dataclasses.replace(tree26, version=1, published_at=t0 + timedelta(minutes=1))
        before = national.trends(s, vn26, published26)
        assert before.classes["79"] == "decreasing"  # 80 -> 83 -> 79.5, as in HAND
        # Later, 2025 publishes a second version in which province 79 fell to 70: 80 -> 70 -> 79.5.
        store.save(s, vn25, dataclasses.replace(
            _with_sipas(tree25, {"79": 70.0}, {k: v[0] for k, (v, _) in HAND.items()}, round_code="VN-2025"),
            version=2, published_at=t0 + timedelta(minutes=2)))
        after = national.trends(s, vn26, published26)
        assert after.values == before.values and after.classes == before.classes
        # Provisional figures (and a later publication of 2026) see the new 2025 version.
        assert national.trends(s, vn26, tree26).values["79"] == (80.0, 70.0, 79.5)
