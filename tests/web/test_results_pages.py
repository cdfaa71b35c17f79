"""Pages and downloads read stored results only; recomputation runs in the background; publishing asks first,
freezes, and leaves collection open."""
from __future__ import annotations

import time
from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select

from sipas.db import session_factory
from sipas.jobs import queue, start_consumer
from sipas.models import Agency, Channel, Response, ResultSet, Round, RoundStatus
from sipas.services.responses import Design, Submission, record_response
from sipas.services.results import store
from tests.conftest import login

ROUNDS = ("LCU-2024", "LCU-2026", "LCU-KIOSK-2026")


def _wait(predicate, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _fail(*_args, **_kwargs):
    raise AssertionError("the analysis ran during a request")


def test_pages_and_downloads_never_run_the_analysis(demo_app, monkeypatch):
    # The analysis entry points fail if called: every page and download must come from the stored sets.
    import sipas.recompute
    import sipas.services.results.compute
    import sipas.services.results.tree
    monkeypatch.setattr(sipas.services.results.tree, "compute_indices", _fail)
    monkeypatch.setattr(sipas.services.results.compute, "compute_round", _fail)
    monkeypatch.setattr(sipas.recompute, "compute_round", _fail)
    client = demo_app.test_client()
    login(client, "admin")
    for code in ROUNDS:
        page = client.get(f"/dashboard/{code}")
        assert page.status_code == 200 and "Số liệu tạm tính lúc" in page.get_data(as_text=True), code
        assert client.get(f"/admin/rounds/{code}").status_code == 200
        with client.get(f"/admin/rounds/{code}/report.xlsx?data=1") as download:
            assert download.status_code == 200
            assert "Dữ liệu" in load_workbook(BytesIO(download.data), read_only=True).sheetnames
    assert client.get("/dashboard/LCU-2026?channel=self_selected&level=province").status_code == 200
    assert client.get("/admin/rounds/LCU-2026/publish").status_code == 200


def test_a_round_without_stored_results_says_so_and_the_job_runner_computes_it(demo_app):
    demo_app.config["RESULTS_DEBOUNCE_SECONDS"] = 0.1
    session = session_factory(demo_app)()
    rnd = session.scalar(select(Round).where(Round.code == "LCU-2026"))
    session.execute(delete(ResultSet).where(ResultSet.round_id == rnd.id))
    session.commit()
    client = demo_app.test_client()
    login(client, "analyst")
    waiting = client.get("/dashboard/LCU-2026")
    assert waiting.status_code == 202 and 'id="not-computed"' in waiting.get_data(as_text=True)
    assert 'http-equiv="refresh"' in waiting.get_data(as_text=True)
    assert store.provisional_info(session, rnd) is None  # the request computed nothing
    consumer = start_consumer(demo_app)
    try:
        assert _wait(lambda: client.get("/dashboard/LCU-2026").status_code == 200)
    finally:
        consumer.stop()
    page = client.get("/dashboard/LCU-2026").get_data(as_text=True)
    assert "Số liệu tạm tính lúc" in page and "data-sipas=" in page
    session.close()


def test_new_responses_are_recomputed_in_the_background_once_per_burst(demo_app):
    demo_app.config["RESULTS_DEBOUNCE_SECONDS"] = 0.3
    session = session_factory(demo_app)()
    rnd = session.scalar(select(Round).where(Round.code == "LCU-2026"))
    before = store.provisional_info(session, rnd)
    agency = session.scalar(select(Agency).where(Agency.code == "LCU.STP"))
    huey = queue(demo_app)
    huey.flush()
    for _ in range(5):  # five submissions, each committed on its own, as five requests would
        submission = Submission(rnd, agency, {"S1": 5, "S2": 5, "S3": 5, "S4": 5, "S5": 5}, Channel.INVITATION,
                                design=Design("province", "LCU.STP.MC/D01"))
        record_response(session, submission, check_open=False)
        session.commit()
    assert huey.pending_count() == 1  # debounced: one recomputation waits for the burst
    consumer = start_consumer(demo_app)
    try:
        assert _wait(lambda: (store.provisional_info(session, rnd) or before).responses == before.responses + 5)
    finally:
        consumer.stop()
    session.close()


@pytest.mark.parametrize("code", ["LCU-2026"])
def test_admin_confirms_a_publication_and_collection_goes_on(demo_app, code):
    client = demo_app.test_client()
    login(client, "admin")
    confirm = client.get(f"/admin/rounds/{code}/publish").get_data(as_text=True)
    assert 'id="what-is-frozen"' in confirm and "thu thập vẫn tiếp tục" in confirm and "phiên bản 1" in confirm
    answer = client.post(f"/admin/rounds/{code}/publish", data={"note": "công bố chính thức"})
    assert answer.status_code == 302 and "/admin/jobs/" in answer.headers["Location"]
    job_url = answer.headers["Location"].replace("http://localhost", "")
    consumer = start_consumer(demo_app)
    try:
        assert _wait(lambda: client.get(job_url + ".json").json["status"] in ("done", "failed"))
    finally:
        consumer.stop()
    assert client.get(job_url + ".json").json["status"] == "done"
    page = client.get(f"/dashboard/{code}").get_data(as_text=True)
    assert "Đã công bố, phiên bản 1" in page
    assert 'id="versions"' in client.get(f"/admin/rounds/{code}").get_data(as_text=True)
    session = session_factory(demo_app)()
    rnd = session.scalar(select(Round).where(Round.code == code))
    assert rnd.status is RoundStatus.OPEN and rnd.accepts(Channel.INVITATION, date(2026, 10, 1))
    session.close()


def test_a_queue_failure_after_the_commit_does_not_fail_the_submission(demo_app, monkeypatch):
    # The response is committed before the recomputation is scheduled: a broken queue is logged, not raised.
    def broken(*_args, **_kwargs):
        raise ConnectionError("queue unavailable")

    monkeypatch.setattr(queue(demo_app), "put_if_empty", broken)
    session = session_factory(demo_app)()
    rnd = session.scalar(select(Round).where(Round.code == "LCU-2026"))
    agency = session.scalar(select(Agency).where(Agency.code == "LCU.STP"))
    submission = Submission(rnd, agency, {"S1": 5}, Channel.INVITATION, design=Design("province", "LCU.STP.MC/D01"))
    recorded = record_response(session, submission, check_open=False)
    session.commit()
    assert session.get(Response, recorded.id) is not None
    session.close()
