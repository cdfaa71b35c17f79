"""Admin pages for kiosk enrolment and API keys: shown once, scoped, revocable, audited."""
from __future__ import annotations

import re

from sqlalchemy import select

from sipas.db import session_factory
from sipas.models import AuditEvent
from tests.conftest import login


def test_admin_enrols_a_tablet_and_the_enrolment_link_works(demo_app):
    client = demo_app.test_client()
    login(client, "admin")
    page = client.post("/admin/kiosks", data={"service_point": "LCU.SYT.MC", "name": "Quầy 1"}).get_data(as_text=True)
    url = re.search(r'class="enrol-url">([^<]+)<', page).group(1)
    code = re.search(r'class="enrol-code">([^<]+)<', page).group(1)
    assert url.endswith("/kiosk/enrol") and 'class="segno"' in page and "kd_" not in page
    kiosk = demo_app.test_client()
    assert kiosk.post(url.replace("http://localhost", ""), data={"code": code}).status_code == 302
    assert "Sở Y tế" in kiosk.get("/kiosk/").get_data(as_text=True)
    device_id = re.search(r'/admin/kiosks/(\d+)/revoke', client.get("/admin/kiosks").get_data(as_text=True)).group(1)
    assert client.post(f"/admin/kiosks/{device_id}/revoke").status_code == 302
    assert kiosk.get("/kiosk/").status_code == 403
    s = session_factory(demo_app)()
    actions = set(s.scalars(select(AuditEvent.action)))
    s.close()
    assert {"kiosk_enrolled", "kiosk_revoked"} <= actions


def test_agency_manager_enrols_only_at_their_own_service_points(demo_app):
    client = demo_app.test_client()
    login(client, "manager")
    page = client.get("/admin/kiosks").get_data(as_text=True)
    assert "LCU.STP.MC" in page and "LCU.SYT.MC" not in page
    assert client.post("/admin/kiosks", data={"service_point": "LCU.SYT.MC"}).status_code == 403
    assert client.get("/admin/apikeys").status_code == 403


def test_admin_issues_and_revokes_api_keys(demo_app):
    client = demo_app.test_client()
    login(client, "admin")
    body = {"id": "0b1c5ec5-41f7-4f3f-9d3c-2a38f6bd8f10", "round": "LCU-KIOSK-2026", "agency": "LCU.STP",
            "channel": "online", "profile": "KIOSK_RT", "answers": {"S0": 4}}
    api = demo_app.test_client()
    page = client.post("/admin/apikeys", data={"name": "Mặc định", "agency": "LCU.STP"}).get_data(as_text=True)
    default = re.search(r'class="api-key">(ak_[^<]+)<', page).group(1)
    # A key declares its channels; the default is `api` only.
    assert api.post("/api/v1/responses", json=body, headers={"Authorization": f"Bearer {default}"}).status_code == 403
    assert client.post("/admin/apikeys", data={"name": "x", "channels": ["kiosk"]}).status_code == 422
    page = client.post("/admin/apikeys", data={"name": "Cổng một cửa", "agency": "LCU.STP",
                                               "channels": ["api", "online"]}).get_data(as_text=True)
    token = re.search(r'class="api-key">(ak_[^<]+)<', page).group(1)
    assert api.post("/api/v1/responses", json=body, headers={"Authorization": f"Bearer {token}"}).status_code == 201
    key_id = re.search(r'/admin/apikeys/(\d+)/revoke', client.get("/admin/apikeys").get_data(as_text=True)).group(1)
    client.post(f"/admin/apikeys/{key_id}/revoke")
    body["id"] = "1b1c5ec5-41f7-4f3f-9d3c-2a38f6bd8f10"
    assert api.post("/api/v1/responses", json=body, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.post("/admin/apikeys", data={"name": ""}).status_code == 422
