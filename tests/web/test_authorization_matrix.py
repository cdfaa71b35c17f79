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
    "admin.kiosk_code": {"admin", "manager"},
    "admin.apikeys": {"admin"}, "admin.revoke_apikey": {"admin"}, "admin.publish_round": {"admin"},
    "admin.users": {"admin"}, "admin.audit_log": {"admin"}, "admin.new_round": {"admin"},
    "admin.round_status": {"admin"}, "admin.import_agencies_page": {"admin"}, "admin.sample": {"admin", "analyst"},
    "admin.sample_plan": {"admin", "analyst"},
    "dashboard.round_dashboard": STAFF_VIEW, "dashboard.round_comments": STAFF_VIEW,
    "dashboard.province_page": STAFF_VIEW,
    "dashboard.comment_handled": STAFF_VIEW,
    "admin.report_docx": STAFF_VIEW,
    "entry.index": {"admin", "surveyor", "verifier"}, "entry.batch": {"admin", "surveyor", "verifier"},
    "entry.key": {"admin", "surveyor", "verifier"}, "entry.check_serial": {"admin", "surveyor", "verifier"},
    "entry.queue": {"admin", "verifier"},
    "entry.adjudicate": {"admin", "verifier"},
    "online.public": PUBLIC, "online.invitation": PUBLIC, "online.invitation_code": PUBLIC, "online.thanks": PUBLIC,
    "kiosk.enrol": PUBLIC, "kiosk.page": PUBLIC, "kiosk.thanks": PUBLIC, "kiosk.service_worker": PUBLIC,
    "api.submit_response": PUBLIC, "api.openapi": PUBLIC,
}
#: Routes that authenticate by a device token or API key: without one they refuse everybody (tested with
#: tokens in test_kiosk.py and test_api.py).
TOKEN_AUTH = {"kiosk.enrol", "kiosk.page", "api.submit_response",
              "auth.totp"}  # the second login step: without a pending login it returns to the login page
SAMPLE_ARGS = {"code": "LCU-2026", "agency_code": "LCU.STP", "round_code": "LCU-2026", "point_code": "LCU.STP.MC",
               "token": "not-a-token", "batch_id": 1, "pass_no": 1, "form_id": 1, "device_id": 1, "key_id": 1,
               "comment_id": 1, "job_id": "00000000-0000-0000-0000-000000000000", "filename": "app.css",
               "province_code": "12"}


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


# --- The jurisdiction axis: two provinces x every role x every route -------------------------------------------

PASSWORD = "demo-sipas-2026"
#: Route arguments that name an object of one province; a route taking one of them is checked on both sides.
OBJECT_ARGS = {"code", "agency_code", "batch_id", "form_id", "device_id", "key_id", "job_id"}
ROLE_OF = {"admin": "admin", "analyst": "analyst", "manager": "agency_manager", "surveyor": "surveyor",
           "verifier": "verifier"}


def _objects(session, province_code: str, prefix: str, users: dict[str, object]) -> dict:
    """One province's side of the axis: its round, agency, paper batch and form, kiosk, API key and jobs."""
    import uuid
    from datetime import date

    from sqlalchemy import select

    from sipas.models import (AdminMap, AdminUnit, Agency, AgencyKind, Job, Level, PaperBatch, PaperEntry,
                              PaperForm, PaperFormStatus, Round, RoundStatus, ServicePoint)
    from sipas.services import credentials
    province = session.scalar(select(AdminUnit).where(AdminUnit.admin_map == AdminMap.NEW_34,
                                                      AdminUnit.level == Level.PROVINCE,
                                                      AdminUnit.code == province_code))
    if prefix == "LCU":
        rnd = session.scalar(select(Round).where(Round.code == "LCU-2026"))
        agency = session.scalar(select(Agency).where(Agency.code == "LCU.STP"))
        point = agency.service_points[0]
    else:
        agency = Agency(code=f"{prefix}.STP", name="Sở Tư pháp Hà Nội", kind=AgencyKind.DEPARTMENT,
                        level=Level.PROVINCE, unit=province)
        point = ServicePoint(code=f"{prefix}.STP.MC", name="Một cửa Sở Tư pháp Hà Nội", agency=agency)
        rnd = Round(code=f"{prefix}-2026", name="SIPAS 2026 Hà Nội", year=2026, method_version="SIPAS_2640",
                    profile_key="SIPAS_2640", admin_map=AdminMap.NEW_34, jurisdiction=province,
                    opens_on=date(2026, 1, 1), closes_on=date(2026, 12, 31), status=RoundStatus.OPEN,
                    channels=["paper_post", "online"], agencies=[agency])
        session.add_all([agency, point, rnd])
        session.flush()
    keyers = [users[f"{prefix}:surveyor"], users[f"{prefix}:admin"]]
    batch = PaperBatch(round_id=rnd.id, agency_id=agency.id, box_number="B1", expected_count=5,
                       opened_by_id=keyers[0].id)
    session.add(batch)
    session.flush()
    form = PaperForm(batch_id=batch.id, serial=f"{rnd.code}-000001", status=PaperFormStatus.MISMATCH,
                     entries=[PaperEntry(pass_no=n + 1, user_id=u.id, answers={"S1": 4 + n})
                              for n, u in enumerate(keyers)])
    session.add(form)
    device, _ = credentials.enrol_kiosk(session, point.code)
    key, _ = credentials.create_api_key(session, f"{prefix} key", agency.code)
    jobs = {}
    for name, user in users.items():
        if name.startswith(f"{prefix}:"):
            job = Job(id=str(uuid.uuid4()), kind="export_report", created_by_id=user.id, message="",
                      params={"round": rnd.code, "lang": "vi", "with_data": False, "agency": None})
            session.add(job)
            jobs[name] = job.id
    session.flush()
    return {"code": rnd.code, "agency_code": agency.code, "batch_id": batch.id, "form_id": form.id,
            "device_id": device.id, "key_id": key.id, "jobs": jobs, "province_id": province.id}


@pytest.fixture
def two_provinces(demo_app):
    """Lai Châu (the demo) and Hà Nội: each with users of every role, a round, an agency and its objects;
    plus a national admin and analyst (no province)."""
    from sqlalchemy import select

    import uuid

    from sipas.db import session_scope
    from sipas.models import AdminMap, AdminUnit, Agency, Job, Level, Role, User
    from sipas.services.accounts import create_user
    with session_scope(demo_app) as s:
        hanoi = s.scalar(select(AdminUnit).where(AdminUnit.admin_map == AdminMap.NEW_34,
                                                 AdminUnit.level == Level.PROVINCE, AdminUnit.code == "01"))
        users = {f"LCU:{r}": s.scalar(select(User).where(User.username == r)) for r in ROLE_OF}
        for r, role in ROLE_OF.items():
            if r != "manager":
                users[f"HNI:{r}"] = create_user(s, f"hn_{r}", PASSWORD, [Role(role)], unit_id=hanoi.id,
                                                check_password=False)
        lcu = _objects(s, "12", "LCU", users)
        hni = _objects(s, "01", "HNI", users)
        stp_hn = s.scalar(select(Agency).where(Agency.code == "HNI.STP"))
        users["HNI:manager"] = create_user(s, "hn_manager", PASSWORD, [Role.AGENCY_MANAGER], unit_id=hanoi.id,
                                           agency_id=stp_hn.id, check_password=False)
        manager_job = Job(id=str(uuid.uuid4()), kind="export_report", created_by_id=users["HNI:manager"].id,
                          message="", params={"round": "HNI-2026", "lang": "vi", "with_data": False, "agency": None})
        s.add(manager_job)
        hni["jobs"]["HNI:manager"] = manager_job.id
        create_user(s, "vn_admin", PASSWORD, [Role.ADMIN], check_password=False)
        create_user(s, "vn_analyst", PASSWORD, [Role.ANALYST], check_password=False)
    return {"LCU": lcu, "HNI": hni}


def _object_routes(app, args: dict):
    """(endpoint, method, url) of every staff route that names an object, filled with one province's objects."""
    from flask import url_for
    out = []
    for rule in app.url_map.iter_rules():
        if not (set(rule.arguments) & OBJECT_ARGS) or RULES[rule.endpoint] == PUBLIC:
            continue
        values = {name: args.get(name, SAMPLE_ARGS.get(name)) for name in rule.arguments}
        with app.test_request_context():
            out.append((rule.endpoint, "GET" if "GET" in rule.methods else "POST", url_for(rule.endpoint, **values)))
    return out


def _status(client, method, url) -> int:
    response = client.open(url, method=method, data={})
    response.close()
    return response.status_code


@pytest.mark.parametrize("home", ["LCU", "HNI"])
@pytest.mark.parametrize("role", list(ROLE_OF))
def test_each_role_reaches_its_own_province_and_never_the_other(demo_app, two_provinces, home, role):
    """Before: an analyst of Lai Châu opened a Hà Nội round's dashboard and data sheet (200)."""
    away = "HNI" if home == "LCU" else "LCU"
    client = demo_app.test_client()
    login(client, f"hn_{role}" if home == "HNI" else role)
    wrong = []
    for side, expect_refused in ((home, False), (away, True)):
        args = {**two_provinces[side], "job_id": two_provinces[side]["jobs"].get(f"{side}:{role}")}
        if side != home:
            # Someone else's job: refused for non-admins anyway; the admin is refused by jurisdiction.
            args["job_id"] = two_provinces[side]["jobs"][f"{side}:admin"]
        for endpoint, method, url in _object_routes(demo_app, args):
            if role not in RULES[endpoint]:
                continue
            status = _status(client, method, url)
            if status >= 500:
                wrong.append((side, endpoint, url, status, "server error"))
            elif expect_refused and status != 403:
                wrong.append((side, endpoint, url, status, "another province's object must be 403"))
            elif not expect_refused and status in (401, 403):
                wrong.append((side, endpoint, url, status, "own province refused"))
    assert wrong == []


@pytest.mark.parametrize("username", ["vn_admin", "vn_analyst"])
def test_national_users_reach_both_provinces(demo_app, two_provinces, username):
    client = demo_app.test_client()
    login(client, username)
    role = username.split("_")[1]
    wrong = []
    for side in ("LCU", "HNI"):
        args = {**two_provinces[side], "job_id": two_provinces[side]["jobs"][f"{side}:admin"]}
        for endpoint, method, url in _object_routes(demo_app, args):
            if role in RULES[endpoint] and not (role == "analyst" and endpoint.startswith("admin.job")):
                status = _status(client, method, url)
                if status in (401, 403) or status >= 500:
                    wrong.append((side, endpoint, url, status))
    assert wrong == []


#: Role combinations: a user holding several roles reaches the union of their routes, but an agency scope
#: limits every one of them (no sampling, nothing of another agency).
COMBINATIONS = {
    "analyst+agency": (["analyst"], "LCU.STP"),
    "admin+manager": (["admin", "agency_manager"], "LCU.STP"),
    "surveyor+analyst": (["surveyor", "analyst"], None),
    "verifier+manager": (["verifier", "agency_manager"], "LCU.STP"),
}


@pytest.mark.parametrize("combo", list(COMBINATIONS))
def test_role_combinations_follow_the_narrowest_scope(demo_app, two_provinces, combo):
    """Before: a user tied to an agency who also held the analyst role opened the sample pages."""
    from sqlalchemy import select

    from sipas.db import session_scope
    from sipas.models import Agency, Role
    from sipas.services.accounts import create_user
    roles, agency_code = COMBINATIONS[combo]
    with session_scope(demo_app) as s:
        agency = s.scalar(select(Agency).where(Agency.code == agency_code)) if agency_code else None
        create_user(s, "combo", PASSWORD, [Role(r) for r in roles], unit_id=two_provinces["LCU"]["province_id"],
                    agency_id=agency.id if agency else None, check_password=False)
    names = {"agency_manager": "manager"}
    held = {names.get(r, r) for r in roles}
    bound = agency_code is not None
    client = demo_app.test_client()
    login(client, "combo")
    wrong = []
    for side, refused_side in (("LCU", False), ("HNI", True)):
        args = {**two_provinces[side], "job_id": two_provinces[side]["jobs"][f"{side}:admin"]}
        for endpoint, method, url in _object_routes(demo_app, args):
            if not held & RULES[endpoint] or endpoint.startswith("admin.job"):
                continue
            status = _status(client, method, url)
            refused = refused_side or (bound and endpoint == "admin.sample")
            if status >= 500 or (refused and status != 403) or (not refused and status in (401, 403)):
                wrong.append((side, endpoint, url, status))
    if bound and held & RULES["admin.poster"]:
        wrong += [url for url in ("/admin/rounds/LCU-2026/poster/LCU.SYT", "/admin/rounds/LCU-2026/qr/LCU.SYT.png")
                  if _status(client, "GET", url) != 403]
    assert wrong == []
