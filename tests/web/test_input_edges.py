"""Input that used to end in a 500: deep JSON, numbers `int()` refuses or the database cannot hold, text longer
than its column. Each is answered 400/404/422 with nothing stored, on SQLite and PostgreSQL."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from sipas.db import session_factory
from sipas.inputs import INT_MAX, whole_number
from sipas.models import PaperBatch, Response, Round, User
from sipas.services import accounts, credentials
from tests.conftest import login
from tests.factories import make_round

HUGE = "9" * 5000
ID25 = "1" * 25


@pytest.mark.parametrize("raw, expected", [("12", 12), (" 7 ", 7), ("²", None), ("٣", None), (HUGE, None),
                                           ("-1", None), ("", None), (None, None), (str(INT_MAX), INT_MAX),
                                           (str(INT_MAX + 1), None), ("1e3", None)])
def test_whole_number_takes_ascii_digits_within_the_integer_column(raw, expected):
    assert whole_number(raw) == expected


@pytest.mark.parametrize("depth", [400, 5000])
def test_deeply_nested_json_is_refused_not_a_500(demo_app, depth):
    body = '{"a":' + "[" * depth + "]" * depth + "}"
    client = demo_app.test_client()
    r = client.post("/api/v1/responses", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "deeper" in r.get_json()["errors"]["body"]
    r = client.post("/", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_json_with_a_nul_deep_inside_is_refused(demo_app):
    body = {"a": [[[[{"b": ["ok", "x\x00y"]}]]]]}
    r = demo_app.test_client().post("/api/v1/responses", json=body)
    assert r.status_code == 422


def _count(app, model):
    s = session_factory(app)()
    try:
        return s.scalar(select(func.count()).select_from(model))
    finally:
        s.close()


@pytest.mark.parametrize("path", [f"/entry/batches/{ID25}", f"/entry/forms/{ID25}", f"/entry/batches/{ID25}/key/1",
                                  f"/entry/batches/{ID25}/key/1/serial",
                                  f"/admin/kiosks/{ID25}/revoke", f"/admin/apikeys/{ID25}/revoke"])
def test_25_digit_ids_in_paths_are_404(demo_app, path):
    client = demo_app.test_client()
    login(client, "admin")
    assert client.get(path).status_code in (404, 405)
    assert client.post(path).status_code in (404, 405)


@pytest.mark.parametrize("value", ["²", HUGE])
def test_odd_numbers_in_staff_forms_and_queries_are_refused_clearly(demo_app, value):
    client = demo_app.test_client()
    login(client, "admin")
    rounds = _count(demo_app, PaperBatch)
    r = client.post("/entry/", data={"round": "LCU-2026", "agency": "LCU.STP", "box_number": "B1",
                                     "expected_count": value, "channel": "paper_post"})
    assert r.status_code == 422 and _count(demo_app, PaperBatch) == rounds
    assert client.get(f"/admin/rounds/LCU-2026/paper-forms?start={value}").status_code == 400
    assert client.get(f"/admin/rounds/LCU-2026/sample?total={value}").status_code < 500
    assert client.post("/admin/users", data={"action": "deactivate", "user_id": value}).status_code == 404
    r = client.post("/admin/rounds/new", data={"code": "X-1", "name": "x", "year": value, "profile": "SIPAS_2640",
                                               "admin_map": "new_34", "channels": "online", "agencies": "LCU.STP"})
    assert r.status_code == 422


@pytest.mark.parametrize("value", ["²", HUGE])
def test_odd_numbers_in_paper_keying_are_field_errors(demo_app, value):
    client = demo_app.test_client()
    login(client, "admin")
    client.post("/entry/", data={"round": "LCU-2026", "agency": "LCU.STP", "box_number": "B1",
                                 "expected_count": "5", "channel": "paper_post"})
    s = session_factory(demo_app)()
    batch_id = s.scalar(select(func.max(PaperBatch.id)))
    s.close()
    r = client.post(f"/entry/batches/{batch_id}/key/1", data={"serial": "LCU-2026-000001", "S1": value})
    assert r.status_code == 422 and "S1" in r.get_data(as_text=True)


@pytest.mark.parametrize("value", ["²", HUGE])
def test_odd_numbers_on_the_kiosk_are_ignored_not_a_500(demo_app, value):
    s = session_factory(demo_app)()
    _, token = credentials.enrol_kiosk(s, "LCU.STP.MC")
    s.commit()
    s.close()
    client = demo_app.test_client()
    client.get(f"/kiosk/enrol?token={token}")
    before = _count(demo_app, Response)
    r = client.post("/kiosk/", data={"a_S0": value, "step": value, "answer": f"S0:{value}"})
    assert r.status_code < 500 and _count(demo_app, Response) == before


def _api_setup(app):
    s = session_factory(app)()
    make_round(s, profile="KIOSK_RT", channels=("kiosk",))
    _, token = credentials.enrol_kiosk(s, "T.A0.MC")
    accounts.create_user(s, "admin", "một mật khẩu dài 2026", [__import__("sipas.models", fromlist=["Role"]).Role.ADMIN])
    s.commit()
    s.close()
    return token


def test_device_seq_beyond_the_integer_column_is_422_on_both_databases(app):
    token = _api_setup(app)
    client = app.test_client()
    body = {"id": str(uuid.uuid4()), "round": "T-2026", "agency": "T.A0", "channel": "kiosk",
            "profile": "KIOSK_RT", "answers": {"S0": 5}, "device_seq": 2**31}
    r = client.post("/api/v1/responses", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 422 and "device_seq" in r.get_json()["errors"]
    assert _count(app, Response) == 0
    body["device_seq"] = INT_MAX
    r = client.post("/api/v1/responses", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201


def test_text_longer_than_its_column_is_422_on_both_databases(app):
    _api_setup(app)
    client = app.test_client()
    login(client, "admin", "một mật khẩu dài 2026")
    r = client.post("/admin/users", data={"action": "create", "username": "u" * 81, "password": "một câu dài 2026 ok",
                                          "roles": ["analyst"]})
    assert r.status_code == 422 and _count(app, User) == 1
    r = client.post("/admin/rounds/new", data={"code": "R-LONG", "name": "n" * 201, "year": "2026",
                                               "profile": "SIPAS_2640", "admin_map": "new_34",
                                               "channels": "online", "agencies": "T.A0"})
    assert r.status_code == 422 and _count(app, Round) == 1
    r = client.post("/entry/", data={"round": "T-2026", "agency": "T.A0", "box_number": "b" * 41,
                                     "expected_count": "5", "channel": "paper_post"})
    assert r.status_code == 422 and _count(app, PaperBatch) == 0
