"""Two-step login with TOTP: set up by the user, then required at every login."""
from __future__ import annotations

import re
import time

import pyotp

from tests.conftest import login


def test_totp_setup_then_required_at_login(demo_app):
    client = demo_app.test_client()
    login(client, "admin")
    page = client.get("/auth/totp/setup").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7]+)</code>", page).group(1)
    assert 'class="segno"' in page
    assert "Mã không đúng" in client.post("/auth/totp/setup", data={"code": "000000", "password": "demo-sipas-2026"},
                                          follow_redirects=True).get_data(as_text=True)
    r = client.post("/auth/totp/setup", data={"code": pyotp.TOTP(secret).now(), "password": "demo-sipas-2026"})
    assert r.status_code == 302
    fresh = demo_app.test_client()
    r = fresh.post("/auth/login", data={"username": "admin", "password": "demo-sipas-2026"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/auth/totp")
    assert fresh.get("/admin/").status_code == 302  # not logged in yet
    assert "Mã không đúng" in fresh.post("/auth/totp", data={"code": "123456"},
                                         follow_redirects=True).get_data(as_text=True)
    # The code used to turn TOTP on was spent: the login takes the next one (a code is accepted once).
    assert fresh.post("/auth/totp", data={"code": pyotp.TOTP(secret).at(time.time() + 30)}).status_code == 302
    assert fresh.get("/admin/").status_code == 200


def test_totp_page_without_a_pending_login_goes_back_to_login(client):
    r = client.get("/auth/totp")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
