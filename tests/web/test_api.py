"""The JSON API: idempotency, conflicts, validation, authentication and scope, OpenAPI."""
from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from sipas.cli.collection import apikey_create, kiosk_add, kiosk_gaps
from sipas.db import session_factory
from sipas.errors import ValidationFailed
from sipas.models import Answer, Response
from sipas.services import credentials


def _count(app, model=Response):
    s = session_factory(app)()
    try:
        return s.scalar(select(func.count()).select_from(model))
    finally:
        s.close()


@pytest.fixture
def kiosk(demo_app):
    s = session_factory(demo_app)()
    device, token = credentials.enrol_kiosk(s, "LCU.STP.MC")
    key, api_token = credentials.create_api_key(s, "một cửa", "LCU.STP", ["api", "online"])
    s.commit()
    s.close()
    return {"token": token, "api": api_token, "client": demo_app.test_client(), "app": demo_app}


def _body(**over):
    body = {"id": str(uuid.uuid4()), "round": "LCU-KIOSK-2026", "agency": "LCU.STP", "channel": "kiosk",
            "profile": "KIOSK_RT", "answers": {"S0": 5, "S3": 4}, "device_seq": 1}
    body.update(over)
    return body


def _post(k, body, token=None):
    return k["client"].post("/api/v1/responses", json=body,
                            headers={"Authorization": f"Bearer {token or k['token']}"})


def test_first_delivery_201_retry_200_conflict_409(kiosk):
    before = _count(kiosk["app"])
    body = _body()
    r = _post(kiosk, body)
    assert r.status_code == 201 and r.json["status"] == "created"
    r = _post(kiosk, body)
    assert r.status_code == 200 and r.json["status"] == "already_received"
    assert _count(kiosk["app"]) == before + 1
    r = _post(kiosk, dict(body, answers={"S0": 1}))
    assert r.status_code == 409
    assert _count(kiosk["app"]) == before + 1


@pytest.mark.parametrize("change, field", [
    ({"answers": {"S0": 9}}, "S0"), ({"answers": {"S3": 4}}, "S0"), ({"id": "nope"}, "id"),
    ({"round": "NOPE"}, "round"), ({"profile": "SIPAS_2640"}, "profile"), ({"agency": "X"}, "agency"),
    ({"device_seq": -1}, "device_seq"), ({"extra": 1}, "extra"), ({"answers": [1]}, "answers"),
    ({"created_at": "yesterday"}, "created_at"), ({"channel": "pigeon"}, "channel"),
])
def test_invalid_input_is_422_per_field_and_stores_nothing(kiosk, change, field):
    before = (_count(kiosk["app"]), _count(kiosk["app"], Answer))
    r = _post(kiosk, _body(**change))
    assert r.status_code == 422 and field in r.json["errors"]
    assert (_count(kiosk["app"]), _count(kiosk["app"], Answer)) == before


def test_non_json_body_is_422(kiosk):
    r = kiosk["client"].post("/api/v1/responses", data="x", headers={"Authorization": f"Bearer {kiosk['token']}"})
    assert r.status_code == 422


def test_auth_is_required_and_revocation_is_immediate(kiosk):
    assert kiosk["client"].post("/api/v1/responses", json=_body()).status_code == 401
    assert _post(kiosk, _body(), token="kd_forged").status_code == 401
    s = session_factory(kiosk["app"])()
    credentials.revoke(credentials.authenticate(s, kiosk["token"]))
    s.commit()
    s.close()
    assert _post(kiosk, _body()).status_code == 401


def test_a_kiosk_cannot_rate_another_agency_or_use_another_channel(kiosk):
    assert _post(kiosk, _body(agency="LCU.SYT")).status_code == 403
    assert _post(kiosk, _body(channel="online")).status_code == 403


def test_api_keys_are_scoped_to_their_agency(kiosk):
    assert _post(kiosk, _body(channel="api", device_seq=None), token=kiosk["api"]).status_code == 422  # not enabled
    assert _post(kiosk, _body(channel="online", device_seq=None), token=kiosk["api"]).status_code == 201
    assert _post(kiosk, _body(channel="online", agency="LCU.SYT"), token=kiosk["api"]).status_code == 403
    assert _post(kiosk, _body(channel="paper_post"), token=kiosk["api"]).status_code == 403


def _key(app, channels, agency=None):
    s = session_factory(app)()
    _, token = credentials.create_api_key(s, "hệ thống", agency, channels)
    s.commit()
    s.close()
    return token


def test_an_api_key_submits_only_the_channels_it_declares(kiosk):
    # Before: any key could post online (skipping the public link's checks) or invitation (the sampled index).
    default = _key(kiosk["app"], ["api"])
    before = _count(kiosk["app"])
    r = _post(kiosk, _body(channel="online", device_seq=None), token=default)
    assert r.status_code == 403 and "api" in r.json["error"]
    assert _post(kiosk, _body(round="LCU-2026", profile="SIPAS_1001", channel="invitation", device_seq=None,
                              answers={"S1": 4}), token=default).status_code == 403
    assert _count(kiosk["app"]) == before


def test_a_global_key_never_posts_kiosk_ratings(kiosk):
    # Before: a global key posted channel kiosk with any device_seq, as if it were a tablet.
    token = _key(kiosk["app"], ["api", "online"])
    before = _count(kiosk["app"])
    for seq in (1, 999_999):
        assert _post(kiosk, _body(device_seq=seq), token=token).status_code == 403
    assert _count(kiosk["app"]) == before
    s = session_factory(kiosk["app"])()
    with pytest.raises(ValidationFailed) as refused:
        credentials.create_api_key(s, "x", None, ["kiosk"])
    assert "kiosk" in refused.value.problems["channels"]
    s.close()


def test_an_invitation_response_needs_its_invitation_token(kiosk):
    from sipas.models import Invitation
    from sipas.services import invitations
    from sipas.services.catalog import get_agency, get_round
    app = kiosk["app"]
    token = _key(app, ["invitation"])
    s = session_factory(app)()
    rnd, agency = get_round(s, "LCU-2026"), get_agency(s, "LCU.STP")
    (inv, link), = invitations.create_invitations(s, rnd, agency, 1, stratum="S", psu="P", weight=3.5)
    (_other, other_link), = invitations.create_invitations(s, rnd, get_agency(s, "LCU.SYT"), 1)
    s.commit()
    inv_id = inv.id
    s.close()
    body = _body(round="LCU-2026", profile="SIPAS_1001", channel="invitation", device_seq=None,
                 answers={f"S{i}": 4 for i in range(1, 2)})
    before = _count(app)
    assert _post(kiosk, body, token=token).status_code == 403  # no token
    assert _post(kiosk, dict(body, invitation="not-a-token"), token=token).status_code == 403
    assert _post(kiosk, dict(body, invitation=other_link), token=token).status_code == 403  # another agency's
    assert _post(kiosk, dict(body, channel="api", invitation=link), token=token).status_code == 422
    assert _count(app) == before
    r = _post(kiosk, dict(body, invitation=link), token=token)
    assert r.status_code == 201, r.json
    s = session_factory(app)()
    used = s.get(Invitation, inv_id)
    stored = s.scalar(select(Response).where(Response.uuid == r.json["id"]))
    assert used.used_at is not None and used.response_id == stored.id and stored.weight == 3.5
    s.close()
    again = _post(kiosk, dict(body, id=str(uuid.uuid4()), invitation=link), token=token)
    assert again.status_code == 409 and _count(app) == before + 1


def test_closed_round_is_422_not_retried(kiosk):
    r = _post(kiosk, _body(round="LCU-2024", profile="SIPAS_1001", answers={"S1": 4}, channel="online",
                           device_seq=None), token=kiosk["api"])
    assert r.status_code == 422 and "round" in r.json["errors"]


def test_dossier_code_is_never_stored_in_clear(kiosk):
    r = _post(kiosk, _body(dossier_code="000.00.12.H38-261121-0042"))
    assert r.status_code == 201
    s = session_factory(kiosk["app"])()
    stored = s.scalar(select(Response).where(Response.uuid == r.json["id"]))
    assert stored.dossier_hash and "0042" not in stored.dossier_hash and len(stored.dossier_hash) == 64
    s.close()


def test_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1") and "/responses" in doc["paths"]
    assert set(doc["paths"]["/responses"]["post"]["responses"]) >= {"200", "201", "401", "409", "422"}


def test_cli_issues_keys_and_enrols_kiosks_and_reports_gaps(kiosk):
    runner = kiosk["app"].test_cli_runner()
    result = runner.invoke(apikey_create, ["--name", "portal", "--agency", "LCU.SYT"])
    assert result.exit_code == 0 and "ak_" in result.output
    result = runner.invoke(kiosk_add, ["--service-point", "LCU.SYT.MC", "--base-url", "https://sipas.example"])
    assert result.exit_code == 0 and "https://sipas.example/kiosk/enrol\n" in result.output
    assert "kd_" not in result.output and re.search(r"one-time code .*: [2-9A-Z]{4}-[2-9A-Z]{4}", result.output)
    assert runner.invoke(kiosk_add, ["--service-point", "NOPE"]).exit_code == 1
    for seq in (1, 2, 5):
        assert _post(kiosk, _body(device_seq=seq)).status_code == 201
    assert "3-4" in runner.invoke(kiosk_gaps).output


def test_idempotency_and_validation_on_both_databases(app, session):
    # Runs on SQLite and PostgreSQL (the `app` fixture is parametrised over both).
    from tests.factories import make_round
    rnd = make_round(session, profile="KIOSK_RT", channels=("kiosk",), code="K-1")
    _, token = credentials.enrol_kiosk(session, "T.A0.MC")
    session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    body = {"id": str(uuid.uuid4()), "round": rnd.code, "agency": "T.A0", "channel": "kiosk", "profile": "KIOSK_RT",
            "answers": {"S0": 4}, "device_seq": 7}
    assert client.post("/api/v1/responses", json=body, headers=headers).status_code == 201
    assert client.post("/api/v1/responses", json=body, headers=headers).status_code == 200
    assert client.post("/api/v1/responses", json=dict(body, answers={"S0": 2}), headers=headers).status_code == 409
    assert client.post("/api/v1/responses", json=dict(body, id=str(uuid.uuid4()), answers={"S0": 0}),
                       headers=headers).status_code == 422
    assert session.scalar(select(func.count()).select_from(Response)) == 1


def test_nul_bytes_are_refused_before_the_database(app, session):
    # Found by schemathesis on PostgreSQL, which refuses NUL in text: a 422 (API) or 400 (pages), never a 5xx.
    client = app.test_client()
    r = client.post("/api/v1/responses", json={"id": "x", "round": "a\x00b"}, headers={"Authorization": "Bearer kd_x"})
    assert r.status_code == 422 and "NUL" in r.json["errors"]["body"]
    assert client.get("/r/A%00B/C").status_code == 400
    assert client.post("/auth/login", data={"username": "a\x00", "password": "x"}).status_code == 400
    r = client.post("/api/v1/responses", data='{"id": "x", "round": "\\udabd"}', content_type="application/json",
                    headers={"Authorization": "Bearer kd_x"})
    assert r.status_code == 422  # a lone surrogate cannot be stored either
