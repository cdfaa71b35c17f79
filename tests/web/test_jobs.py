"""Background exports on the real queue: a consumer thread runs the job; the page shows progress, then the file."""
from __future__ import annotations

import time
from io import BytesIO

from openpyxl import load_workbook

from sipas.jobs import start_consumer
from tests.conftest import login


def test_a_background_export_finishes_and_downloads(demo_app):
    consumer = start_consumer(demo_app)
    try:
        client = demo_app.test_client()
        login(client, "analyst")
        r = client.post("/admin/rounds/LCU-2024/export", data={"data": "1", "lang": "vi"})
        assert r.status_code == 302 and "/admin/jobs/" in r.headers["Location"]
        job_url = r.headers["Location"].replace("http://localhost", "")
        page = client.get(job_url).get_data(as_text=True)
        assert 'http-equiv="refresh"' in page or 'data-status="done"' in page
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = client.get(job_url + ".json").json
            if status["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
        assert status["status"] == "done" and status["progress"] == 100, status
        with client.get(status["download"]) as download:  # a file response: close it
            wb = load_workbook(BytesIO(download.data), read_only=True)
        assert "Dữ liệu" in wb.sheetnames
        wb.close()
        other = demo_app.test_client()
        login(other, "manager")
        assert other.get(job_url + ".json").status_code == 403  # someone else's export
    finally:
        consumer.stop()


def test_agency_managers_export_only_their_agency_and_never_the_data(demo_app):
    consumer = start_consumer(demo_app)
    try:
        client = demo_app.test_client()
        login(client, "manager")
        job_url = client.post("/admin/rounds/LCU-2026/export", data={"data": "1"}).headers["Location"]
        job_url = job_url.replace("http://localhost", "")
        deadline = time.monotonic() + 60
        while client.get(job_url + ".json").json["status"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.2)
        with client.get(client.get(job_url + ".json").json["download"]) as download:
            wb = load_workbook(BytesIO(download.data))
        assert "Dữ liệu" not in wb.sheetnames
        codes = {row[1] for row in wb["Theo cơ quan"].iter_rows(min_row=6, values_only=True) if row and row[1]}
        assert codes == {"LCU.STP"}
        assert not {"Theo cấp", "Kênh", "Hành vi", "Người trả lời"} & set(wb.sheetnames)
    finally:
        consumer.stop()


def test_the_in_process_consumer_leaves_signal_handling_to_the_server(demo_app):
    # huey installs SIGINT/SIGTERM handlers when it starts; inside `sipas start` that made Ctrl+C and SIGTERM
    # stop nothing. The embedded consumer must leave them as they were.
    import signal
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    consumer = start_consumer(demo_app)
    try:
        assert {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)} == before
    finally:
        consumer.stop()
