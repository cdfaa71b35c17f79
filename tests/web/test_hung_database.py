"""A PostgreSQL that accepts connections and never answers: requests end with 503 and Retry-After, promptly."""
from __future__ import annotations

import socket
import threading

import pytest
from sqlalchemy import text

from sipas import create_app
from sipas.db import session_factory, session_scope
from sipas.models import Base, Role
from sipas.services import accounts
from tests.conftest import _pg_database, private_dirs


def _silent_server():
    """A TCP server that accepts every connection and never sends a byte (a hung database)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held = []

    def accept():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    return listener, held


def test_a_hung_postgresql_gives_503_with_retry_after(tmp_path):
    listener, held = _silent_server()
    port = listener.getsockname()[1]
    app = create_app({"TESTING": False, "DATABASE_URL": f"postgresql+psycopg://sipas@127.0.0.1:{port}/sipas",
                      "SECRET_KEY": "t", "RATELIMIT_ENABLED": False, "DEMO_ON_FIRST_START": False,
                      "DB_CONNECT_TIMEOUT": 2, **private_dirs(tmp_path)})
    answers = []

    def ask():
        client = app.test_client()
        answers.append(client.post("/api/v1/responses", json={"id": "x"}, headers={"Authorization": "Bearer kd_x"}))

    worker = threading.Thread(target=ask, daemon=True)
    worker.start()
    worker.join(timeout=20)  # without a connect timeout libpq waits for ever: the request never ends
    ready, ready_answers = _ask_in_background(app, "get", "/readyz")  # what monitors ask: it must not hang either
    ready.join(timeout=20)
    try:
        assert not worker.is_alive() and not ready.is_alive(), "a request hung with the database"
        response = answers[0]
        assert response.status_code == 503 and response.headers.get("Retry-After")
        assert ready_answers[0].status_code == 503 and ready_answers[0].get_json()["cause"] == "unavailable"
    finally:
        listener.close()
        for conn in held:
            conn.close()


def test_a_logged_in_staff_page_during_an_outage_is_the_503_page(demo_app, tmp_path):
    from tests.conftest import login
    client = demo_app.test_client()
    login(client, "admin")
    cookie = client.get_cookie("session").value
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there: the database is down
    down = create_app({"TESTING": False, "DATABASE_URL": f"postgresql+psycopg://sipas@127.0.0.1:{port}/sipas",
                       "SECRET_KEY": demo_app.config["SECRET_KEY"], "RATELIMIT_ENABLED": False,
                       "DEMO_ON_FIRST_START": False, **private_dirs(tmp_path)})
    staff = down.test_client()
    staff.set_cookie("session", cookie)
    for path in ("/admin/", "/admin/users", "/dashboard/", "/entry/"):
        response = staff.get(path)
        assert response.status_code == 503 and response.headers.get("Retry-After"), path
        assert "Tạm thời" in response.get_data(as_text=True) or "tạm" in response.get_data(as_text=True).lower()


def _ask_in_background(app, method: str, path: str, **kwargs):
    """Send one request on a thread; (thread, answers) so a test can tell a hung request from an answered one."""
    answers = []

    def ask():
        answers.append(getattr(app.test_client(), method)(path, **kwargs))

    worker = threading.Thread(target=ask, daemon=True)
    worker.start()
    return worker, answers


@pytest.mark.postgres
def test_a_statement_stuck_behind_a_lock_is_cancelled_and_answered_503(request, tmp_path):
    """PostgreSQL answers, but every table a request reads is locked by another connection (a stuck migration,
    a long manual transaction): the statement timeout cancels the wait, and the request gets 503 with
    Retry-After, for the API, a staff page and a citizen's page alike."""
    app = create_app({"TESTING": False, "DATABASE_URL": _pg_database(request), "SECRET_KEY": "t",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "DEMO_ON_FIRST_START": False,
                      "DB_STATEMENT_TIMEOUT": 1, **private_dirs(tmp_path)})
    engine = session_factory(app).kw["bind"]
    Base.metadata.create_all(engine)
    with session_scope(app) as s:
        accounts.create_user(s, "ana", "correct horse battery", [Role.ADMIN])
    staff = app.test_client()
    staff.post("/auth/login", data={"username": "ana", "password": "correct horse battery"})
    assert staff.get("/admin/").status_code == 200
    holder = engine.connect()
    holder.execute(text("LOCK TABLE users, api_keys, rounds IN ACCESS EXCLUSIVE MODE"))
    try:
        workers = [_ask_in_background(app, "post", "/api/v1/responses", json={"id": "x"},
                                      headers={"Authorization": "Bearer ak_x"}),
                   _ask_in_background(app, "get", "/r/LCU-2026/LCU.STP")]
        staff_answer = []
        staff_worker = threading.Thread(target=lambda: staff_answer.append(staff.get("/admin/")), daemon=True)
        staff_worker.start()
        for worker, _ in workers:
            worker.join(timeout=15)  # without a statement timeout they wait as long as the lock is held
        staff_worker.join(timeout=15)
        assert not staff_worker.is_alive() and all(not w.is_alive() for w, _ in workers), "a request hung"
        for response in [answers[0] for _, answers in workers] + staff_answer:
            assert response.status_code == 503 and response.headers.get("Retry-After") == "5"
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()


@pytest.mark.postgres
def test_a_failed_agency_lookup_is_503_never_unknown_agency(request, tmp_path):
    """The API's agency lookup stuck behind a lock: 503 (the kiosk retries), never 422 "unknown agency" (which a
    kiosk files as rejected and never sends again)."""
    from sipas.services import credentials
    from tests.factories import make_round
    app = create_app({"TESTING": False, "DATABASE_URL": _pg_database(request), "SECRET_KEY": "t",
                      "RATELIMIT_ENABLED": False, "DEMO_ON_FIRST_START": False, "DB_STATEMENT_TIMEOUT": 1,
                      **private_dirs(tmp_path)})
    engine = session_factory(app).kw["bind"]
    Base.metadata.create_all(engine)
    with session_scope(app) as s:
        make_round(s, channels=("online", "api"))
        _key, token = credentials.create_api_key(s, "partner")
    body = {"id": "6f1c2b1e-1c1a-4b8e-9a55-0d2f3c4b5a61", "round": "T-2026", "agency": "T.A0", "channel": "api",
            "profile": "SIPAS_2640", "answers": {"S1": 4}}
    holder = engine.connect()
    holder.execute(text("LOCK TABLE agencies IN ACCESS EXCLUSIVE MODE"))
    try:
        worker, answers = _ask_in_background(app, "post", "/api/v1/responses", json=body,
                                             headers={"Authorization": f"Bearer {token}"})
        worker.join(timeout=15)
        assert not worker.is_alive(), "the request hung behind the lock"
        assert answers[0].status_code == 503, answers[0].get_json()
        assert answers[0].get_json()["cause"] == "unavailable" and answers[0].headers["Retry-After"] == "5"
    finally:
        holder.rollback()
        holder.close()
    again = app.test_client().post("/api/v1/responses", json=body, headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 201, again.get_json()  # the same request, once the lock is gone
    engine.dispose()
