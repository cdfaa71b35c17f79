"""A full disk (SQLite on a small tmpfs) and a read-only database (PostgreSQL default_transaction_read_only):
clients get 503 with the cause, the operator's log names it, the online form keeps the citizen's answers,
and once the fault is cured the same retries are stored exactly once."""
from __future__ import annotations

import re
import uuid

import pytest
import requests
from sqlalchemy import create_engine, text

from bench.harness import Server, new_ids, post_json, prepare_kiosk_round, record
from tests.faults.disk import fill, small_tmpfs
from tests.faults.test_kill_server import _stored

pytestmark = pytest.mark.faults


@pytest.fixture
def small_disk():
    """A 6 MiB tmpfs of our own."""
    with small_tmpfs(6) as where:
        yield where


def _online_form(base: str, round_code: str, agency: str):
    """A browser-like session holding the questionnaire's CSRF token and fields."""
    web = requests.Session()
    page = web.get(f"{base}/r/{round_code}/{agency}", timeout=10)
    assert page.status_code == 200
    fields = {"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1),
              "response_id": re.search(r'name="response_id"[^>]*value="([^"]+)"', page.text).group(1)}
    for name in sorted(set(re.findall(r'type="radio"[^>]*name="([A-Z0-9]+)"', page.text)
                           + re.findall(r'name="([A-Z0-9]+)"[^>]*type="radio"', page.text))):
        fields[name] = "4"
    return web, fields


def test_disk_full_gives_503_keeps_answers_and_stores_retries_once(small_disk, tmp_path):
    url = f"sqlite:///{small_disk / 'sipas.sqlite'}"
    target = prepare_kiosk_round(url)
    env = {"SIPAS_DATABASE_URL": url, "SIPAS_SECRET_KEY": "fault-test", "SIPAS_MIN_FREE_DISK_MB": "1",
           "SIPAS_JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite'}"}
    log_file = tmp_path / "gunicorn.log"
    server = Server("sipas:create_app()", env, workers=1, log=log_file).start()
    ids = new_ids(6, 0xD15C0000)
    try:
        assert post_json(server.port, "/api/v1/responses", target.body(ids[0], 1), target.token)[0] == 201
        web, fields = _online_form(server.url, target.round, target.agency)
        # Empty the write-ahead log into the database file so the next write must grow a file.
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        filler = fill(small_disk)

        for seq, response_id in enumerate(ids[1:], start=2):
            status, body = post_json(server.port, "/api/v1/responses", target.body(response_id, seq), target.token)
            assert (status, body.get("cause")) == (503, "full"), body
        form = web.post(f"{server.url}/r/{target.round}/{target.agency}", data=fields, timeout=10,
                        allow_redirects=False)
        assert form.status_code == 503
        assert "Chưa lưu được câu trả lời của Ông/Bà" in form.text  # said in the citizen's language
        assert f'value="{fields["response_id"]}"' in form.text  # the same id: a later retry counts once
        assert form.text.count('checked') >= 6  # the citizen's answers are still ticked
        ready = requests.get(f"{server.url}/readyz", timeout=10)
        assert ready.status_code == 503 and ready.json()["last_write_failure"]["cause"] == "full"

        filler.unlink()
        for seq, response_id in enumerate(ids[1:], start=2):
            status, _ = post_json(server.port, "/api/v1/responses", target.body(response_id, seq), target.token)
            assert status == 201
        assert web.post(f"{server.url}/r/{target.round}/{target.agency}", data=fields, timeout=10,
                        allow_redirects=False).status_code == 302
        assert web.post(f"{server.url}/r/{target.round}/{target.agency}", data=fields, timeout=10,
                        allow_redirects=False).status_code == 302  # a second press: still one response
        assert requests.get(f"{server.url}/readyz", timeout=10).status_code == 200
    finally:
        server.stop()
    assert "storage is full" in log_file.read_text()
    stored = _stored(url, ids + [fields["response_id"]])
    assert len(stored) == 7
    record("disk full (SQLite on a 6 MiB tmpfs)", {"refused_with_503": 6, "stored_after_freeing": len(stored)})


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_read_only_database_gives_503_then_retries_store_once(db_url, tmp_path):
    target = prepare_kiosk_round(db_url)
    env = {"SIPAS_DATABASE_URL": db_url, "SIPAS_SECRET_KEY": "fault-test",
           "SIPAS_JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite'}"}
    log_file = tmp_path / "gunicorn.log"
    server = Server("sipas:create_app()", env, workers=1, log=log_file).start()
    name = db_url.rsplit("/", 1)[1]
    admin = create_engine(db_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")

    def read_only(on: bool) -> None:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = {"on" if on else "off"}'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})

    ids = [str(uuid.uuid4()) for _ in range(4)]
    try:
        read_only(True)
        for seq, response_id in enumerate(ids, start=1):
            status, body = post_json(server.port, "/api/v1/responses", target.body(response_id, seq), target.token)
            assert (status, body.get("cause")) in {(503, "read_only"), (503, "unavailable")}, body
        # After the first failure the pool reconnects: the cause is then named exactly.
        assert body.get("cause") == "read_only"
        read_only(False)
        for seq, response_id in enumerate(ids, start=1):
            status, _ = post_json(server.port, "/api/v1/responses", target.body(response_id, seq), target.token)
            assert status == 201
    finally:
        server.stop()
        admin.dispose()
    assert "read-only" in log_file.read_text()
    assert len(_stored(db_url, ids)) == 4
    record("read-only PostgreSQL database", {"refused_with_503": len(ids), "stored_after_read_write": 4})
