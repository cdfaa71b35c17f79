"""Sessions end on the server: a saved cookie stops working after logout, a password change, a role change,
deactivation, a TOTP change or an admin reset. Passwords are changed by their owner (current password
required) or reset by an admin (change forced at next login); both are audited."""
from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import select

from sipas.db import session_factory
from sipas.models import AuditEvent, User
from tests.conftest import login


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(app, cookie: str):
    """A new browser presenting a session cookie saved earlier."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def _user_id(app, username: str) -> int:
    s = session_factory(app)()
    try:
        return s.scalar(select(User.id).where(User.username == username))
    finally:
        s.close()


def _actions(app, user_id: int) -> list[str]:
    s = session_factory(app)()
    try:
        return [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.object_id == str(user_id))
                                            .order_by(AuditEvent.id))]
    finally:
        s.close()


def test_a_cookie_saved_before_logout_no_longer_opens_the_dashboard(demo_app):
    client = demo_app.test_client()
    login(client, "analyst")
    saved = _cookie(client)
    assert _replay(demo_app, saved).get("/admin/").status_code == 200
    client.post("/auth/logout")
    assert _replay(demo_app, saved).get("/admin/").status_code == 302


def test_deactivation_and_reactivation_do_not_revive_an_old_session(demo_app):
    admin, victim = demo_app.test_client(), demo_app.test_client()
    login(admin, "admin")
    login(victim, "analyst")
    saved = _cookie(victim)
    uid = _user_id(demo_app, "analyst")
    admin.post("/admin/users", data={"action": "deactivate", "user_id": uid})
    admin.post("/admin/users", data={"action": "activate", "user_id": uid})
    assert _replay(demo_app, saved).get("/admin/").status_code == 302


def test_a_role_change_ends_the_users_sessions(demo_app):
    admin, victim = demo_app.test_client(), demo_app.test_client()
    login(admin, "admin")
    login(victim, "analyst")
    uid = _user_id(demo_app, "analyst")
    admin.post("/admin/users", data={"action": "roles", "user_id": uid, "roles": ["analyst", "surveyor"]})
    assert victim.get("/admin/").status_code == 302


def test_self_service_password_change_needs_the_current_password_and_ends_other_sessions(demo_app):
    here, elsewhere = demo_app.test_client(), demo_app.test_client()
    login(here, "analyst")
    login(elsewhere, "analyst")
    new = "một mật khẩu mới rất dài 2026"
    r = here.post("/auth/password", data={"current": "wrong-password-123", "new": new, "confirm": new})
    assert r.status_code == 422 and "Mật khẩu hiện tại không đúng" in r.get_data(as_text=True)
    r = here.post("/auth/password", data={"current": "demo-sipas-2026", "new": "short", "confirm": "short"})
    assert r.status_code == 422
    r = here.post("/auth/password", data={"current": "demo-sipas-2026", "new": new, "confirm": new + "x"})
    assert r.status_code == 422
    assert here.post("/auth/password", data={"current": "demo-sipas-2026", "new": new, "confirm": new}
                     ).status_code == 302
    assert here.get("/admin/").status_code == 200  # the browser that changed it stays logged in
    assert elsewhere.get("/admin/").status_code == 302  # every other session has ended
    assert "Sai tên đăng nhập" in login(demo_app.test_client(), "analyst").get_data(as_text=True)
    assert login(demo_app.test_client(), "analyst", new).request.path == "/admin/"
    assert "password_changed" in _actions(demo_app, _user_id(demo_app, "analyst"))


def test_admin_reset_forces_a_change_at_next_login(demo_app):
    admin, victim = demo_app.test_client(), demo_app.test_client()
    login(admin, "admin")
    login(victim, "analyst")
    uid = _user_id(demo_app, "analyst")
    temporary = "tạm thời đổi ngay 2026"
    assert admin.post("/admin/users", data={"action": "reset_password", "user_id": uid, "password": "short"}
                      ).status_code == 422
    assert admin.post("/admin/users", data={"action": "reset_password", "user_id": uid, "password": temporary}
                      ).status_code == 302
    assert victim.get("/admin/").status_code == 302  # the old session has ended
    fresh = demo_app.test_client()
    page = login(fresh, "analyst", temporary)
    assert page.request.path == "/auth/password"
    r = fresh.get("/dashboard/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/auth/password")
    mine = "mật khẩu của riêng tôi 2026"
    assert fresh.post("/auth/password", data={"current": temporary, "new": mine, "confirm": mine}
                      ).status_code == 302
    assert fresh.get("/admin/").status_code == 200
    assert _actions(demo_app, uid)[-2:] == ["password_reset", "password_changed"]


def _enable_totp(client) -> str:
    page = client.get("/auth/totp/setup").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7]+)</code>", page).group(1)
    r = client.post("/auth/totp/setup", data={"code": pyotp.TOTP(secret).now(), "password": "demo-sipas-2026"})
    assert r.status_code == 302
    return secret


def test_totp_pending_secret_is_not_in_the_cookie(demo_app):
    client = demo_app.test_client()
    login(client, "admin")
    page = client.get("/auth/totp/setup").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7]+)</code>", page).group(1)
    import base64
    import zlib
    payload = _cookie(client).lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    try:
        raw = zlib.decompress(raw)
    except zlib.error:
        pass
    assert secret.encode() not in raw


def test_totp_code_is_accepted_once_and_the_password_step_cookie_finishes_one_login(demo_app, monkeypatch):
    from sipas.services import accounts
    setup = demo_app.test_client()
    login(setup, "admin")
    secret = _enable_totp(setup)  # spends the current step's code
    first = demo_app.test_client()
    first.post("/auth/login", data={"username": "admin", "password": "demo-sipas-2026"})
    after_password = _cookie(first)
    code = pyotp.TOTP(secret).at(time.time() + 30)  # the next step: inside the accepted window
    assert first.post("/auth/totp", data={"code": code}).status_code == 302
    assert first.get("/admin/").status_code == 200
    # The same code again, in a new login, is refused.
    second = demo_app.test_client()
    second.post("/auth/login", data={"username": "admin", "password": "demo-sipas-2026"})
    r = second.post("/auth/totp", data={"code": code}, follow_redirects=True)
    assert "Mã không đúng" in r.get_data(as_text=True) and second.get("/admin/").status_code == 302
    # Two minutes later a fresh code is valid, but the cookie saved after the first password step cannot
    # finish a second login with it: only a new password step can.
    later = time.time() + 120
    monkeypatch.setattr(accounts, "clock", lambda: later)
    fresh = pyotp.TOTP(secret).at(later)
    replay = _replay(demo_app, after_password)
    replay.post("/auth/totp", data={"code": fresh})
    assert replay.get("/admin/").status_code == 302
    third = demo_app.test_client()
    third.post("/auth/login", data={"username": "admin", "password": "demo-sipas-2026"})
    assert third.post("/auth/totp", data={"code": fresh}).status_code == 302  # the same fresh code works here


def test_enabling_totp_ends_other_sessions_and_replacing_it_needs_the_password(demo_app):
    here, elsewhere = demo_app.test_client(), demo_app.test_client()
    login(here, "admin")
    login(elsewhere, "admin")
    _enable_totp(here)
    assert here.get("/admin/").status_code == 200
    assert elsewhere.get("/admin/").status_code == 302
    page = here.get("/auth/totp/setup").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7]+)</code>", page).group(1)
    r = here.post("/auth/totp/setup", data={"code": pyotp.TOTP(secret).now(), "password": "not-my-password"})
    assert r.status_code == 422
    uid = _user_id(demo_app, "admin")
    s = session_factory(demo_app)()
    try:
        assert s.get(User, uid).totp_secret != secret
    finally:
        s.close()


def test_an_admin_resets_a_users_totp(demo_app):
    user = demo_app.test_client()
    login(user, "analyst")
    _enable_totp(user)
    admin = demo_app.test_client()
    login(admin, "admin")
    uid = _user_id(demo_app, "analyst")
    assert admin.post("/admin/users", data={"action": "reset_totp", "user_id": uid}).status_code == 302
    assert user.get("/admin/").status_code == 302
    assert login(demo_app.test_client(), "analyst").request.path == "/admin/"  # no second step any more
    assert "totp_reset" in _actions(demo_app, uid)
