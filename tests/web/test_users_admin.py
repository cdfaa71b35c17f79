"""User administration: creation with NIST-style password rules, role changes, deactivation, audit."""
from __future__ import annotations

import re

from sqlalchemy import select

from sipas.db import session_factory
from sipas.models import AuditEvent, Role, User
from tests.conftest import login


def _user(app, username):
    s = session_factory(app)()
    try:
        u = s.scalar(select(User).where(User.username == username))
        return None if u is None else (u.active, sorted(r.value for r in u.role_set), u.agency_id)
    finally:
        s.close()


def test_admin_creates_a_user_who_can_then_log_in(demo_app):
    admin = demo_app.test_client()
    login(admin, "admin")
    r = admin.post("/admin/users", data={"action": "create", "username": "lan", "full_name": "Nguyễn Thị Lan",
                                         "password": "short", "roles": ["analyst"]})
    assert r.status_code == 422 and "12" in r.get_data(as_text=True) and _user(demo_app, "lan") is None
    r = admin.post("/admin/users", data={"action": "create", "username": "lan", "password": "matkhau123456",
                                         "roles": ["analyst"]})
    assert r.status_code == 422  # a common password is refused
    r = admin.post("/admin/users", data={"action": "create", "username": "lan", "full_name": "Nguyễn Thị Lan",
                                         "password": "một câu dài dễ nhớ 2026", "roles": ["analyst"]})
    assert r.status_code == 302 and _user(demo_app, "lan") == (True, ["analyst"], None)
    client = demo_app.test_client()
    assert "Nguyễn Thị Lan" in login(client, "lan", "một câu dài dễ nhớ 2026").get_data(as_text=True)


def test_roles_change_deactivation_and_audit(demo_app):
    admin = demo_app.test_client()
    login(admin, "admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    user_id = re.search(r'data-user="analyst">.*?name="user_id" value="(\d+)"', page, re.S).group(1)
    r = admin.post("/admin/users", data={"action": "roles", "user_id": user_id, "roles": ["agency_manager"]})
    assert r.status_code == 422  # an agency manager needs an agency
    admin.post("/admin/users", data={"action": "roles", "user_id": user_id, "roles": ["agency_manager"],
                                     "agency": "LCU.SYT"})
    assert _user(demo_app, "analyst")[1] == ["agency_manager"]
    admin.post("/admin/users", data={"action": "deactivate", "user_id": user_id})
    assert _user(demo_app, "analyst")[0] is False
    assert "Sai tên đăng nhập" in login(demo_app.test_client(), "analyst").get_data(as_text=True)
    s = session_factory(demo_app)()
    actions = [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.object_id == user_id))]
    s.close()
    assert actions == ["roles_changed", "user_deactivated"]
    assert "Đổi vai trò" in admin.get("/admin/audit").get_data(as_text=True)  # roles_changed, in words


def test_combining_roles_never_widens_an_agency_managers_scope(demo_app):
    admin = demo_app.test_client()
    login(admin, "admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    user_id = re.search(r'data-user="manager">.*?name="user_id" value="(\d+)"', page, re.S).group(1)
    admin.post("/admin/users", data={"action": "roles", "user_id": user_id, "roles": ["agency_manager", "analyst"],
                                     "agency": "LCU.STP"})
    client = demo_app.test_client()
    login(client, "manager")
    page = client.get("/dashboard/LCU-2026").get_data(as_text=True)
    assert 'data-agency="LCU.STP"' in page and 'data-agency="LCU.SYT"' not in page
    assert Role.ANALYST.value in _user(demo_app, "manager")[1]
