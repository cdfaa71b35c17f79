"""Every route x every role (and anonymous), generated from the app's URL map.

A route without a rule in RULES fails the test: nobody can add a page and forget who may open it.
Allowed: the response is not a refusal (not 401/403, not a redirect to the login page, never 500).
Refused: anonymous users are sent to the login page (staff pages) and logged-in users get 403.
"""
from __future__ import annotations

import pytest

from tests.conftest import login

ROLES = ["anonymous", "admin", "analyst", "manager", "surveyor", "verifier"]
STAFF_VIEW = {"admin", "analyst", "manager"}
PUBLIC = set(ROLES)
LOGGED_IN = set(ROLES) - {"anonymous"}

#: endpoint -> roles allowed. Token-authenticated endpoints (kiosk, API) are public here and checked for
#: their tokens in their own tests.
RULES: dict[str, set[str]] = {
    "static": PUBLIC, "public.home": PUBLIC, "public.healthz": PUBLIC, "public.readyz": PUBLIC, "auth.login": PUBLIC,
    "auth.logout": LOGGED_IN, "admin.index": LOGGED_IN, "auth.totp": PUBLIC, "auth.totp_setup": LOGGED_IN,
    "auth.password": LOGGED_IN,
    "admin.round_detail": STAFF_VIEW, "admin.poster": STAFF_VIEW, "admin.qr_png": STAFF_VIEW,
    "admin.report_xlsx": STAFF_VIEW, "admin.export_job": STAFF_VIEW, "admin.job_page": STAFF_VIEW,
    "admin.job_status": STAFF_VIEW, "admin.job_download": STAFF_VIEW,
    "admin.paper_forms": {"admin", "surveyor"},
    "admin.kiosks": {"admin", "manager"}, "admin.revoke_kiosk": {"admin", "manager"},
    "admin.apikeys": {"admin"}, "admin.revoke_apikey": {"admin"}, "admin.publish_round": {"admin"},
    "admin.users": {"admin"}, "admin.audit_log": {"admin"}, "admin.new_round": {"admin"},
    "admin.round_status": {"admin"}, "admin.import_agencies_page": {"admin"}, "admin.sample": {"admin", "analyst"},
    "dashboard.round_dashboard": STAFF_VIEW,
    "entry.index": {"admin", "surveyor", "verifier"}, "entry.batch": {"admin", "surveyor", "verifier"},
    "entry.key": {"admin", "surveyor", "verifier"}, "entry.queue": {"admin", "verifier"},
    "entry.adjudicate": {"admin", "verifier"},
    "online.public": PUBLIC, "online.invitation": PUBLIC, "online.thanks": PUBLIC,
    "kiosk.enrol": PUBLIC, "kiosk.page": PUBLIC, "kiosk.thanks": PUBLIC, "kiosk.service_worker": PUBLIC,
    "kiosk.status": PUBLIC, "api.submit_response": PUBLIC, "api.openapi": PUBLIC,
}
#: Routes that authenticate by a device token or API key: without one they refuse everybody (tested with
#: tokens in test_kiosk.py and test_api.py).
TOKEN_AUTH = {"kiosk.enrol", "kiosk.page", "kiosk.status", "api.submit_response",
              "auth.totp"}  # the second login step: without a pending login it returns to the login page
SAMPLE_ARGS = {"code": "LCU-2026", "agency_code": "LCU.STP", "round_code": "LCU-2026", "point_code": "LCU.STP.MC",
               "token": "not-a-token", "batch_id": 1, "pass_no": 1, "form_id": 1, "device_id": 1, "key_id": 1,
               "job_id": "00000000-0000-0000-0000-000000000000", "filename": "app.css"}


def _routes(app):
    out = []
    for rule in app.url_map.iter_rules():
        args = {name: SAMPLE_ARGS[name] for name in rule.arguments}
        method = "GET" if "GET" in rule.methods else "POST"
        with app.test_request_context():
            from flask import url_for
            out.append((rule.endpoint, method, url_for(rule.endpoint, **args)))
    return out


def test_every_route_has_a_rule(demo_app):
    missing = sorted({endpoint for endpoint, _, _ in _routes(demo_app)} - set(RULES))
    assert missing == [], f"routes without an authorisation rule: {missing}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_what_it_may(demo_app, role):
    client = demo_app.test_client()
    if role != "anonymous":
        login(client, role)
    wrong = []
    for endpoint, method, url in _routes(demo_app):
        if endpoint in ("auth.logout",):
            continue  # would end the session under test; covered in test_pages
        response = client.open(url, method=method, data={})
        status = response.status_code
        response.close()
        to_login = status in (301, 302) and "/auth/login" in response.headers.get("Location", "")
        refused = status in (401, 403) or to_login
        if status >= 500:
            wrong.append((endpoint, method, url, status, "server error"))
        elif role in RULES[endpoint] and refused and endpoint not in TOKEN_AUTH:
            wrong.append((endpoint, method, url, status, "refused but allowed"))
        elif role not in RULES[endpoint] and not refused:
            wrong.append((endpoint, method, url, status, "allowed but should be refused"))
        elif role not in RULES[endpoint] and role == "anonymous" and not to_login:
            wrong.append((endpoint, method, url, status, "anonymous should be sent to the login page"))
    assert wrong == []


def test_an_agency_manager_gets_nothing_of_another_agency(demo_app):
    client = demo_app.test_client()
    login(client, "manager")
    for url in ("/admin/rounds/LCU-2026/poster/LCU.SYT", "/admin/rounds/LCU-2026/qr/LCU.SYT.png"):
        assert client.get(url).status_code == 403
    page = client.get("/dashboard/LCU-2026?agency=LCU.SYT").get_data(as_text=True)
    assert 'data-agency="LCU.SYT"' not in page and "Sở Y tế" not in page.split('<select name="agency">')[1].split(
        "</select>")[0]
