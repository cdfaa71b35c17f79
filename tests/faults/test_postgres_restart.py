"""PostgreSQL restarted while kiosk clients submit: they get 503 (never 500), retry, and nothing is lost.

The server restarted is a private one (initdb in a temporary folder), so the shared test server is untouched.
"""
from __future__ import annotations

import pytest

from bench.harness import ClientLog, Server, new_ids, prepare_kiosk_round, record, start_clients, wait_for_confirmed
from bench.pgcluster import PrivateCluster, why_unavailable
from tests.faults.test_kill_server import _stored

pytestmark = [pytest.mark.faults, pytest.mark.postgres]

CLIENTS, PER_CLIENT = 20, 15


@pytest.fixture
def cluster():
    reason = why_unavailable()
    if reason:
        pytest.skip(f"private PostgreSQL server not possible here: {reason}")
    c = PrivateCluster()
    c.start()
    yield c
    c.destroy()


def test_postgres_restart_gives_503_then_everything_arrives_once(cluster, tmp_path):
    target = prepare_kiosk_round(cluster.url)
    env = {"SIPAS_DATABASE_URL": cluster.url, "SIPAS_SECRET_KEY": "fault-test",
           "SIPAS_JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite'}"}
    server = Server("sipas:create_app()", env, workers=2, log=tmp_path / "gunicorn.log").start()
    log = ClientLog()
    batches = [new_ids(PER_CLIENT, 0x9C000000 + c) for c in range(CLIENTS)]
    try:
        clients = start_clients(lambda: server.port, target, batches, log, pause=0.1)
        wait_for_confirmed(log, CLIENTS * PER_CLIENT // 4)
        cluster.restart(down_for=2.0)
        for t in clients:
            t.join(120)
    finally:
        server.stop()
    every_id = [i for ids in batches for i in ids]
    assert not log.gave_up, f"{len(log.gave_up)} responses were never confirmed"
    assert log.statuses.get(503, 0) > 0, f"no client saw the outage: {log.statuses}"
    assert 500 not in log.statuses, f"a server error instead of 503: {log.statuses}"
    assert log.connection_errors == 0, "the app server itself should have stayed up"
    stored = _stored(cluster.url, every_id)
    record("PostgreSQL restart (down 2 s)", {**log.summary(), "stored": len(stored)})
    assert set(stored) == set(log.final) == set(every_id)
    assert set(log.final.values()) <= {200, 201}
