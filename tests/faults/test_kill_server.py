"""kill -9 of the app server while 50 kiosk clients submit: nothing confirmed is lost, nothing is stored twice.

A real gunicorn (2 workers) on SQLite (WAL) and on PostgreSQL; clients retry each response with the same id
after a connection error or a 5xx, as the kiosk does, until the server answers 201 or 200.
"""
from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, func, select

from bench.harness import (ANSWERS, ClientLog, Server, new_ids, prepare_kiosk_round, record, start_clients,
                           wait_for_confirmed)
from sipas.models import Answer, Response

pytestmark = pytest.mark.faults

CLIENTS, PER_CLIENT = 50, 12


def _stored(url: str, ids: list[str]) -> dict[str, int]:
    """uuid -> number of answers stored, for the responses of this run."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(Response.uuid, func.count(Answer.item_code)).join(Answer)
                                .where(Response.uuid.in_(ids)).group_by(Response.uuid)).all()
            total = conn.scalar(select(func.count()).select_from(Response).where(Response.uuid.in_(ids)))
    finally:
        engine.dispose()
    assert total == len(rows)
    return dict(rows)


def test_kill_9_during_submissions_loses_nothing_and_duplicates_nothing(db_url, tmp_path):
    target = prepare_kiosk_round(db_url)
    env = {"SIPAS_DATABASE_URL": db_url, "SIPAS_SECRET_KEY": "fault-test",
           "SIPAS_JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite'}"}
    server = Server("sipas:create_app()", env, workers=2, log=tmp_path / "gunicorn.log").start()
    current = {"port": server.port}
    log = ClientLog()
    batches = [new_ids(PER_CLIENT, 0x5A000000 + c) for c in range(CLIENTS)]
    clients = start_clients(lambda: current["port"], target, batches, log)
    try:
        # Let part of the work be confirmed, then kill master and workers without warning.
        confirmed_before_kill = wait_for_confirmed(log, CLIENTS * PER_CLIENT // 4)
        server.kill()
        time.sleep(1.0)  # clients keep retrying against a dead port meanwhile
        server = Server("sipas:create_app()", env, workers=2, port=server.port,
                        log=tmp_path / "gunicorn.log").start()
        for t in clients:
            t.join(120)
    finally:
        server.stop()

    every_id = [i for ids in batches for i in ids]
    assert not log.gave_up, f"{len(log.gave_up)} responses were never confirmed"
    assert 0 < confirmed_before_kill < len(every_id), "the kill did not fall in the middle of the work"
    assert log.connection_errors > 0, "no client noticed the kill"
    assert set(log.final.values()) <= {200, 201}, log.statuses
    assert 500 not in log.statuses, log.statuses
    stored = _stored(db_url, every_id)
    record(f"kill -9 gunicorn ({db_url.split(':')[0]})", {**log.summary(), "stored": len(stored),
                                                         "confirmed_before_kill": confirmed_before_kill})
    # Every confirmed response is there exactly once (uuid is unique), whole, and nothing else was stored.
    assert set(stored) == set(log.final) == set(every_id)
    assert set(stored.values()) == {len(ANSWERS)}
