"""Home, login, admin landing page, language switch, CSRF and security headers."""
from __future__ import annotations

import pytest

from sipas import create_app
from tests.conftest import login, private_dirs


def test_home_is_vietnamese_by_default_and_switches_to_english(client):
    page = client.get("/").get_data(as_text=True)
    assert "Chỉ số hài lòng về sự phục vụ hành chính" in page and 'lang="vi"' in page
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "Satisfaction Index of Public Administrative Services" in page and 'lang="en"' in page
    # The choice is remembered.
    assert "Staff login" in client.get("/").get_data(as_text=True)


def test_security_headers_are_set(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_admin_requires_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_login_and_admin_landing_lists_rounds_and_agencies(demo_app):
    client = demo_app.test_client()
    page = login(client, "admin").get_data(as_text=True)
    assert "LCU-2024" in page and "LCU-KIOSK-2026" in page
    assert "Sở Tư pháp" in page and "Trung tâm Phục vụ hành chính công tỉnh Lai Châu" in page


def test_wrong_password_is_refused_with_a_message(demo_app):
    client = demo_app.test_client()
    page = login(client, "admin", "wrong-password-123").get_data(as_text=True)
    assert "Sai tên đăng nhập hoặc mật khẩu" in page
    assert client.get("/admin/").status_code == 302


def test_agency_manager_sees_only_their_agency(demo_app):
    client = demo_app.test_client()
    page = login(client, "manager").get_data(as_text=True)
    assert "LCU.STP" in page and "LCU.SYT" not in page and "LCU.TTPVHCC" not in page


def test_login_needs_a_csrf_token(demo_template, tmp_path):
    import shutil
    path = tmp_path / "d.sqlite"
    shutil.copy(demo_template, path)
    app = create_app({**private_dirs(tmp_path), "TESTING": True, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "s",
                      "RATELIMIT_ENABLED": False})
    client = app.test_client()
    response = client.post("/auth/login", data={"username": "admin", "password": "demo-sipas-2026"})
    assert response.status_code == 400
    page = client.get("/auth/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/auth/login", data={"username": "admin", "password": "demo-sipas-2026",
                                                "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")


def test_login_ignores_offsite_next(demo_app):
    client = demo_app.test_client()
    response = client.post("/auth/login?next=//evil.example/x",
                           data={"username": "admin", "password": "demo-sipas-2026"})
    assert response.headers["Location"] == "/admin/"


def test_hsts_over_https_and_secure_cookies_when_configured(demo_template, tmp_path):
    import shutil
    path = tmp_path / "d.sqlite"
    shutil.copy(demo_template, path)
    app = create_app({**private_dirs(tmp_path), "TESTING": True, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "s",
                      "DATABASE_URL": f"sqlite:///{path}", "RATELIMIT_ENABLED": False, "SESSION_COOKIE_SECURE": True})
    client = app.test_client()
    assert "Strict-Transport-Security" not in client.get("/").headers
    assert "max-age=31536000" in client.get("/", base_url="https://sipas.example").headers["Strict-Transport-Security"]
    r = client.post("/auth/login", data={"username": "admin", "password": "demo-sipas-2026"},
                    base_url="https://sipas.example")
    cookie = r.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("username, home", [("surveyor", "/entry/"), ("verifier", "/entry/"), ("admin", "/admin/"),
                                            ("manager", "/admin/")])
def test_each_role_lands_on_its_own_work(demo_app, username, home):
    """Surveyors and verifiers key paper forms: they start there, not on the long admin agency list."""
    client = demo_app.test_client()
    response = client.post("/auth/login", data={"username": username, "password": "demo-sipas-2026"})
    assert response.status_code == 302 and response.headers["Location"].endswith(home)
    assert client.get("/auth/login").headers["Location"].endswith(home)  # already logged in


def test_error_pages_are_friendly_localised_and_mobile(demo_app):
    client = demo_app.test_client()
    r = client.get("/r/NOPE-2026/LCU.STP")
    page = r.get_data(as_text=True)
    assert r.status_code == 404 and 'lang="vi"' in page and 'name="viewport"' in page
    assert "Không tìm thấy trang" in page and "Not Found" not in page
    english = client.get("/r/NOPE-2026/LCU.STP?lang=en").get_data(as_text=True)
    assert "Page not found" in english
    assert client.get("/api/v1/nope").is_json  # the API keeps answering JSON
    login(client, "surveyor")
    r = client.get("/admin/users?lang=vi")  # this browser had switched to English above
    assert r.status_code == 403 and "Trang này không dành cho" in r.get_data(as_text=True)


def test_an_unexpected_error_shows_the_friendly_page(demo_app):
    def boom():
        raise RuntimeError("a bug")
    demo_app.add_url_rule("/boom-for-test", view_func=boom)
    demo_app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production, not as in TESTING
    r = demo_app.test_client().get("/boom-for-test")
    page = r.get_data(as_text=True)
    assert r.status_code == 500 and "Hệ thống đang gặp sự cố" in page and "RuntimeError" not in page
