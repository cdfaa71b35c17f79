"""Availability and secrets: trusted proxy hops, bounded password checks, no-store on private pages."""
from __future__ import annotations

import threading
import time

from sqlalchemy import select

from sipas import create_app
from sipas.db import session_factory
from sipas.models import AuditEvent, Base, User
from sipas.services import accounts
from tests.conftest import login, private_dirs


def _app(tmp_path, **config):
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite'}",
                      "SECRET_KEY": "t", "DEMO_ON_FIRST_START": False, **private_dirs(tmp_path), **config})
    Base.metadata.create_all(session_factory(app).kw["bind"])
    return app


def _failed_login_ips(app):
    s = session_factory(app)()
    try:
        return [e.ip for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed"))]
    finally:
        s.close()


def test_forwarded_addresses_are_ignored_unless_proxy_hops_are_trusted(tmp_path):
    plain = _app(tmp_path / "a", RATELIMIT_ENABLED=False)
    plain.test_client().post("/auth/login", data={"username": "x", "password": "y"},
                             headers={"X-Forwarded-For": "203.0.113.7"})
    assert _failed_login_ips(plain) == ["127.0.0.1"]  # a client cannot pick its own address
    behind = _app(tmp_path / "b", RATELIMIT_ENABLED=True, TRUSTED_PROXY_HOPS=1)
    client = behind.test_client()
    client.post("/auth/login", data={"username": "x", "password": "y"}, headers={"X-Forwarded-For": "203.0.113.7"})
    assert _failed_login_ips(behind) == ["203.0.113.7"]
    # Rate limits key on the citizen's address, not the proxy's: one sender's limit leaves others alone.
    for _ in range(10):
        client.post("/auth/login", data={"username": "x", "password": "y"}, headers={"X-Forwarded-For": "198.51.100.1"})
    assert client.post("/auth/login", data={"username": "x", "password": "y"},
                       headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 429
    assert client.post("/auth/login", data={"username": "x", "password": "y"},
                       headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 200


def test_concurrent_password_checks_are_bounded(monkeypatch):
    # The real argon2 check runs; the wrapper only counts how many run at the same time.
    real = accounts._hasher
    running, peak, lock = [0], [0], threading.Lock()

    class Counting:
        def verify(self, hash_, password):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            try:
                time.sleep(0.02)
                return real.verify(hash_, password)
            finally:
                with lock:
                    running[0] -= 1

    monkeypatch.setattr(accounts, "_hasher", Counting())
    accounts.bound_password_checks(2)
    try:
        user = User(username="u", password_hash=real.hash("the right password 2026"))
        results = []
        threads = [threading.Thread(target=lambda: results.append(accounts.check_password(user, "wrong")))
                   for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        accounts.bound_password_checks(4)
    assert results == [False] * 8 and peak[0] == 2


def test_pages_that_show_a_secret_are_never_cached(demo_app):
    client = demo_app.test_client()
    login(client, "admin")
    # The demo admin belongs to Lai Châu: a key for one of its agencies (a global key is not theirs to issue).
    r = client.post("/admin/apikeys", data={"name": "một cửa tỉnh", "agency": "LCU.STP"})
    assert r.status_code == 200 and "ak_" in r.get_data(as_text=True)  # the key, shown once
    assert r.headers["Cache-Control"] == "no-store"
    assert client.get("/auth/totp/setup").headers["Cache-Control"] == "no-store"
    assert client.get("/admin/users").headers["Cache-Control"] == "no-store"
    assert "no-store" not in demo_app.test_client().get("/").headers.get("Cache-Control", "")
