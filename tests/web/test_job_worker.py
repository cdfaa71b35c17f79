"""A background job queued while no worker consumes the queue (e.g. under `sipas run`) says so on its page,
instead of showing "queued" for ever; a running worker (embedded or `sipas jobs worker`) beats in the queue."""
from __future__ import annotations

import io
import time

from sipas import jobs
from tests.conftest import login


def _upload(client):
    lines = ["dossier_code,agency_code"] + [f"D{i},LCU.STP" for i in range(300)]
    r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "frame", "file": (
        io.BytesIO("\n".join(lines).encode()), "f.csv")}, content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    return r.headers["Location"].replace("http://localhost", "")


def test_a_job_queued_without_a_worker_says_so_and_runs_once_a_worker_starts(demo_app):
    demo_app.config.update(SAMPLE_INLINE_MAX_BYTES=100, JOBS_NO_WORKER_AFTER=0)
    client = demo_app.test_client()
    login(client, "analyst")
    job_url = _upload(client)
    with demo_app.app_context():
        assert not jobs.worker_alive()
    page = client.get(job_url).get_data(as_text=True)
    assert 'id="no-worker"' in page and "Chưa có tiến trình xử lý nền" in page
    assert "<code>sipas jobs worker</code>" in page
    assert client.get(job_url + ".json").json["no_worker"] is True
    consumer = jobs.start_consumer(demo_app)
    try:
        with demo_app.app_context():
            assert jobs.worker_alive()
        deadline = time.monotonic() + 60
        while client.get(job_url + ".json").json["status"] != "done" and time.monotonic() < deadline:
            time.sleep(0.2)
        status = client.get(job_url + ".json").json
        assert status["status"] == "done" and status["no_worker"] is False
        assert 'id="no-worker"' not in client.get(job_url).get_data(as_text=True)
    finally:
        consumer.stop()


def test_a_queued_job_is_given_time_before_the_message_and_a_stale_heartbeat_is_no_worker(demo_app):
    demo_app.config.update(SAMPLE_INLINE_MAX_BYTES=100)  # JOBS_NO_WORKER_AFTER: the default, 10 seconds
    client = demo_app.test_client()
    login(client, "analyst")
    job_url = _upload(client)
    assert 'id="no-worker"' not in client.get(job_url).get_data(as_text=True)  # just queued: not yet
    with demo_app.app_context():
        jobs.queue().put(jobs.HEARTBEAT_KEY, time.time() - 4 * jobs.HEARTBEAT_SECONDS)
        assert not jobs.worker_alive()  # a worker that stopped a while ago
        # `sipas jobs worker` beats through the same function as the embedded consumer.
        consumer = jobs.queue().create_consumer(workers=1, worker_type="thread")
        jobs.beat(demo_app, consumer).join(0.5)
        assert jobs.worker_alive()
        consumer.stop_flag.set()
