"""The scope rule in the pages: the round list, data rows of an agency scope, the four-eyes rule on paper forms,
and accounts of another province. (Every route x role x province is in test_authorization_matrix.py.)"""
from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import func, select

from sipas.db import session_factory, session_scope
from sipas.models import Agency, PaperForm, PaperFormStatus, Response, ResponseStatus, Role, Round, User
from sipas.services.accounts import create_user
from tests.conftest import login
from tests.web.test_authorization_matrix import PASSWORD, two_provinces  # noqa: F401 - the fixture


def _listed_rounds(client) -> set[str]:
    page = client.get("/admin/").get_data(as_text=True)
    table = page.split('aria-labelledby="rounds"')[1].split("</table>")[0]
    return {code for code in ("LCU-2021", "LCU-2024", "LCU-2026", "LCU-KIOSK-2026", "HNI-2026")
            if f">{code}<" in table}


def test_the_round_list_shows_only_rounds_in_scope(demo_app, two_provinces):  # noqa: F811
    # Before: surveyors, verifiers and agency managers saw every round and its response count.
    lai_chau = {"LCU-2021", "LCU-2024", "LCU-2026", "LCU-KIOSK-2026"}
    expected = {"surveyor": lai_chau, "verifier": lai_chau, "analyst": lai_chau,
                "hn_surveyor": {"HNI-2026"}, "hn_manager": {"HNI-2026"}, "hn_admin": {"HNI-2026"},
                "vn_admin": lai_chau | {"HNI-2026"}}
    s = session_factory(demo_app)()
    stp = s.scalar(select(Agency).where(Agency.code == "LCU.STP"))
    # The manager of Sở Tư pháp: the rounds Sở Tư pháp takes part in, read from the database.
    expected["manager"] = {r.code for r in s.scalars(select(Round)) if stp in r.agencies}
    s.close()
    assert expected["manager"] and "HNI-2026" not in expected["manager"]
    for username, rounds in expected.items():
        client = demo_app.test_client()
        login(client, username)
        assert _listed_rounds(client) == rounds, username


def _data_codes(content: bytes) -> list[str]:
    wb = load_workbook(BytesIO(content), read_only=True)
    rows = list(wb["Dữ liệu"].iter_rows(values_only=True))
    wb.close()
    # The data sheet names its columns in words (the agency code column is "Mã cơ quan").
    start = next(i for i, row in enumerate(rows) if row and "Mã cơ quan" in row)
    column = rows[start].index("Mã cơ quan")
    return [row[column] for row in rows[start + 1:] if row and row[column]]


def test_an_analyst_tied_to_an_agency_downloads_only_its_data_rows(demo_app):
    # Before: report.xlsx?data=1 returned every agency's rows to an analyst tied to one agency.
    with session_scope(demo_app) as s:
        stp = s.scalar(select(Agency).where(Agency.code == "LCU.STP"))
        unit = s.scalar(select(User.unit_id).where(User.username == "analyst"))
        create_user(s, "stp_analyst", PASSWORD, [Role.ANALYST], unit_id=unit, agency_id=stp.id,
                    check_password=False)
        rnd = s.scalar(select(Round).where(Round.code == "LCU-2026"))
        stp_rows = s.scalar(select(func.count()).select_from(Response).where(
            Response.round_id == rnd.id, Response.agency_id == stp.id, Response.status == ResponseStatus.VALID))
        all_rows = s.scalar(select(func.count()).select_from(Response).where(
            Response.round_id == rnd.id, Response.status == ResponseStatus.VALID))
    assert 0 < stp_rows < all_rows
    client = demo_app.test_client()
    login(client, "stp_analyst")
    with client.get("/admin/rounds/LCU-2026/report.xlsx?data=1&view=provisional") as r:
        assert r.status_code == 200
        codes = _data_codes(r.data)
    assert len(codes) == stp_rows and set(codes) == {"LCU.STP"}
    # The whole-province analyst still gets every row.
    other = demo_app.test_client()
    login(other, "analyst")
    with other.get("/admin/rounds/LCU-2026/report.xlsx?data=1&view=provisional") as r:
        assert len(_data_codes(r.data)) == all_rows
    assert client.get("/admin/rounds/LCU-2026/sample").status_code == 403


def test_whoever_keyed_a_pass_may_not_adjudicate_the_form(demo_app):
    # Before: a verifier who keyed pass 2 settled the differences of their own form.
    client = demo_app.test_client()
    login(client, "surveyor")
    r = client.post("/entry/", data={"round": "LCU-2026", "agency": "LCU.STP", "box_number": "H1",
                                     "expected_count": "2", "channel": "paper_post"})
    batch_url = r.headers["Location"]
    batch_id = int(batch_url.rstrip("/").split("/")[-1])
    answers = {"serial": "LCU-2026-000777", "S1": "4"}
    assert client.post(f"/entry/batches/{batch_id}/key/1", data=answers).status_code == 302
    verifier = demo_app.test_client()
    login(verifier, "verifier")
    assert verifier.post(f"/entry/batches/{batch_id}/key/2", data={**answers, "S1": "5"}).status_code == 302
    s = session_factory(demo_app)()
    form = s.scalar(select(PaperForm).where(PaperForm.serial == "LCU-2026-000777"))
    assert form.status is PaperFormStatus.MISMATCH
    form_id = form.id
    s.close()
    assert f'/entry/forms/{form_id}"' not in verifier.get("/entry/adjudicate").get_data(as_text=True)
    r = verifier.post(f"/entry/forms/{form_id}", data={"d_S1": "5"})
    assert r.status_code == 422 and "người khác phải phân xử phiếu" in r.get_data(as_text=True)
    s = session_factory(demo_app)()
    still = s.get(PaperForm, form_id)
    assert still.status is PaperFormStatus.MISMATCH and still.response_id is None
    s.close()
    admin = demo_app.test_client()
    login(admin, "admin")
    assert f'/entry/forms/{form_id}"' in admin.get("/entry/adjudicate").get_data(as_text=True)
    assert admin.post(f"/entry/forms/{form_id}", data={"d_S1": "5"}).status_code == 302
    s = session_factory(demo_app)()
    assert s.get(PaperForm, form_id).status is PaperFormStatus.VERIFIED
    s.close()


def test_a_province_admin_manages_only_its_accounts(demo_app, two_provinces):  # noqa: F811
    client = demo_app.test_client()
    login(client, "hn_admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert 'data-user="hn_surveyor"' in page
    assert 'data-user="analyst"' not in page and 'data-user="vn_admin"' not in page
    s = session_factory(demo_app)()
    lcu_analyst = s.scalar(select(User.id).where(User.username == "analyst"))
    s.close()
    r = client.post("/admin/users", data={"action": "roles", "user_id": str(lcu_analyst), "roles": ["admin"]})
    assert r.status_code == 403
    s = session_factory(demo_app)()
    assert {x.role for x in s.get(User, lcu_analyst).roles} == {Role.ANALYST}
    s.close()
    # Nor may it give one of its users an agency of another province.
    r = client.post("/admin/users", data={"action": "create", "username": "hn_new", "password": "a-long-pass-2026",
                                          "roles": ["agency_manager"], "agency": "LCU.STP"})
    assert r.status_code == 422


def test_a_national_admin_gives_a_province_and_a_province_admin_only_its_own(demo_app, two_provinces):  # noqa: F811
    national = demo_app.test_client()
    login(national, "vn_admin")
    r = national.post("/admin/users", data={"action": "create", "username": "hn_new", "password": "a-long-pass-2026",
                                            "roles": ["analyst"], "province": "01"})
    assert r.status_code == 302
    province_admin = demo_app.test_client()
    login(province_admin, "admin")  # Lai Châu
    r = province_admin.post("/admin/users", data={"action": "create", "username": "lcu_x", "roles": ["analyst"],
                                                  "password": "a-long-pass-2026", "province": "01"})
    assert r.status_code == 422
    s = session_factory(demo_app)()
    made = s.scalar(select(User).where(User.username == "hn_new"))
    assert made.unit_id == two_provinces["HNI"]["province_id"]
    assert s.scalar(select(User).where(User.username == "lcu_x")) is None
    s.close()
    # The new Hà Nội analyst sees Hà Nội's round and not Lai Châu's.
    client = demo_app.test_client()
    login(client, "hn_new", "a-long-pass-2026")
    assert _listed_rounds(client) == {"HNI-2026"}
    assert client.get("/dashboard/LCU-2026").status_code == 403


def test_the_background_export_of_an_analyst_tied_to_an_agency_holds_only_its_rows(demo_app):
    # Before: the background export with data=1 wrote all agencies' rows for an analyst tied to one agency.
    import time

    from sipas.jobs import start_consumer
    with session_scope(demo_app) as s:
        stp = s.scalar(select(Agency).where(Agency.code == "LCU.STP"))
        unit = s.scalar(select(User.unit_id).where(User.username == "analyst"))
        create_user(s, "stp_analyst", PASSWORD, [Role.ANALYST], unit_id=unit, agency_id=stp.id,
                    check_password=False)
        rnd = s.scalar(select(Round).where(Round.code == "LCU-2024"))
        stp_rows = s.scalar(select(func.count()).select_from(Response).where(
            Response.round_id == rnd.id, Response.agency_id == stp.id, Response.status == ResponseStatus.VALID))
    consumer = start_consumer(demo_app)
    try:
        client = demo_app.test_client()
        login(client, "stp_analyst")
        job_url = client.post("/admin/rounds/LCU-2024/export", data={"data": "1"}).headers["Location"]
        job_url = job_url.replace("http://localhost", "")
        deadline = time.monotonic() + 90
        while (status := client.get(job_url + ".json").json)["status"] not in ("done", "failed") \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        assert status["status"] == "done", status
        with client.get(status["download"]) as download:
            codes = _data_codes(download.data)
    finally:
        consumer.stop()
    assert stp_rows > 0 and len(codes) == stp_rows and set(codes) == {"LCU.STP"}
