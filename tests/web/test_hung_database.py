"""A PostgreSQL that accepts connections and never answers: requests end with 503 and Retry-After, promptly."""
from __future__ import annotations

import socket
import threading

from sipas import create_app
from tests.conftest import private_dirs


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
    try:
        assert not worker.is_alive(), "the request hung with the database"
        response = answers[0]
        assert response.status_code == 503 and response.headers.get("Retry-After")
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
