"""The sample design from the admin pages: load, preview, draw (CSV download), weights."""
from __future__ import annotations

import csv
import io
import uuid

from tests.conftest import login


def test_the_sample_journey_in_the_browserless_admin_pages(demo_app):
    client = demo_app.test_client()
    login(client, "analyst")
    lines = ["dossier_code,agency_code,service_point_code,contact"] + [
        f"D{code}{i},{code},{code}.MC,addr {i}" for code, n in (("LCU.STP", 200), ("LCU.SYT", 100)) for i in range(n)]
    r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "frame", "file": (
        io.BytesIO("\n".join(lines).encode()), "f.csv")}, content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Đã nạp 300 hồ sơ" in page and 'id="plan"' in page
    page = client.get("/admin/rounds/LCU-2026/sample?total=30").get_data(as_text=True)
    assert "<td>LCU.STP</td><td class=\"num\">200</td><td class=\"num\">20</td>" in page
    r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "draw", "total": "30", "seed": "5"})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert len(rows) == 30 and rows[0]["link"].startswith("http://localhost/i/")
    page = client.post("/admin/rounds/LCU-2026/sample", data={"action": "weights"}).get_data(as_text=True)
    assert "without any respondent" in page  # nobody answered yet: weights cannot be computed, and it says why
    for row in rows[::2]:  # every other invitation is answered, in both strata
        client.post(row["link"].replace("http://localhost", ""), data={"S1": "4", "confirm_incomplete": "1",
                                                                      "response_id": str(uuid.uuid4())})
    page = client.post("/admin/rounds/LCU-2026/sample", data={"action": "weights"}).get_data(as_text=True)
    assert 'id="weights-report"' in page and "Kish design effect" in page
    r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "draw", "total": "30", "seed": "6"})
    assert r.status_code == 422 and "already drawn" in r.get_data(as_text=True)


def test_paper_forms_print_for_the_sampled_dossiers(demo_app):
    admin = demo_app.test_client()
    login(admin, "admin")
    assert admin.get("/admin/rounds/LCU-2026/paper-forms?sampled=1").status_code == 404  # nothing drawn yet
    lines = ["dossier_code,agency_code"] + [f"D{i},LCU.STP" for i in range(40)]
    admin.post("/admin/rounds/LCU-2026/sample", data={"action": "frame", "file": (
        io.BytesIO("\n".join(lines).encode()), "f.csv")}, content_type="multipart/form-data")
    rows = list(csv.DictReader(io.StringIO(admin.post("/admin/rounds/LCU-2026/sample", data={
        "action": "draw", "total": "5", "seed": "2"}).data.decode("utf-8-sig"))))
    page = admin.get("/admin/rounds/LCU-2026/paper-forms?sampled=1&copies=50").get_data(as_text=True)
    assert page.count('class="pf-page"') == 5 and all(r["serial"] in page for r in rows)


def _wait_for_job(client, job_url: str, seconds: float = 60) -> dict:
    import time
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = client.get(job_url + ".json").json
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"job not finished: {status}")


def test_a_large_dossier_list_loads_in_the_background_with_progress(demo_app):
    from openpyxl import load_workbook

    from sipas.jobs import start_consumer
    demo_app.config["SAMPLE_INLINE_MAX_BYTES"] = 1000  # anything larger goes to the queue
    consumer = start_consumer(demo_app)
    try:
        client = demo_app.test_client()
        login(client, "analyst")
        lines = ["dossier_code,agency_code,service_point_code,field,contact"] + [
            f"D{code}{i},{code},{code}.MC,{'Hộ tịch' if i % 2 else 'Đất đai'},addr {i}"
            for code, n in (("LCU.STP", 2000), ("LCU.SYT", 1000)) for i in range(n)]
        r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "frame", "stratify_by": "agency,field",
                                                               "file": (io.BytesIO("\n".join(lines).encode()), "f.csv")},
                        content_type="multipart/form-data")
        assert r.status_code == 302 and "/admin/jobs/" in r.headers["Location"]
        job_url = r.headers["Location"].replace("http://localhost", "")
        status = _wait_for_job(client, job_url)
        # The job's message in the page's language, with its thousands separator (kept as a catalogue template).
        assert status["status"] == "done" and status["message"] == "Đã nạp 3.000 hồ sơ", status
        page = client.get(job_url).get_data(as_text=True)
        assert "Đã nạp 3.000 hồ sơ" in page and "dossiers loaded" not in page
        assert "Back to the sample design" in page or "Quay lại" in page
        page = client.get("/admin/rounds/LCU-2026/sample?total=60").get_data(as_text=True)
        assert "<td>LCU.STP/Hộ tịch</td><td class=\"num\">1000</td><td class=\"num\">20</td>" in page
        # The uploaded file (contact data) is gone once loaded.
        from pathlib import Path
        assert not list((Path(demo_app.config["EXPORT_DIR"]) / "uploads").glob("frame-*"))
        # A bad list in the background: the job page lists the problems by row; nothing changes.
        bad = ["dossier_code,agency_code"] + [f"X{i},NOPE" for i in range(200)]
        r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "frame", "file": (
            io.BytesIO("\n".join(bad).encode()), "bad.csv")}, content_type="multipart/form-data")
        job_url = r.headers["Location"].replace("http://localhost", "")
        assert _wait_for_job(client, job_url)["status"] == "failed"
        page = client.get(job_url).get_data(as_text=True)
        assert 'id="problems"' in page and "row 2, column agency_code" in page
        # The list as XLSX for mail merge.
        r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "draw", "total": "60", "seed": "8",
                                                               "format": "xlsx"})
        assert r.status_code == 200 and r.headers["Content-Disposition"].endswith(".xlsx")
        rows = list(load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True))
        assert rows[0][:3] == ("serial", "agency_code", "stratum") and len(rows) == 61
        # After the draw the dossier list is locked: a new list is refused at once, before any upload is queued.
        r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "frame", "file": (
            io.BytesIO("\n".join(lines).encode()), "again.csv")}, content_type="multipart/form-data")
        assert r.status_code == 422 and "locked" in r.get_data(as_text=True)
    finally:
        consumer.stop()


def test_weights_on_the_page_calibrate_to_uploaded_totals(demo_app):
    client = demo_app.test_client()
    login(client, "analyst")
    lines = ["dossier_code,agency_code,contact"] + [f"D{code}{i},{code},a" for code, n in
                                                   (("LCU.STP", 200), ("LCU.SYT", 100)) for i in range(n)]
    client.post("/admin/rounds/LCU-2026/sample", data={"action": "frame", "file": (
        io.BytesIO("\n".join(lines).encode()), "f.csv")}, content_type="multipart/form-data")
    r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "draw", "total": "30", "seed": "5",
                                                           "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    for row in rows[::2]:
        client.post(row["link"].replace("http://localhost", ""), data={"S1": "4", "confirm_incomplete": "1",
                                                                      "response_id": str(uuid.uuid4())})
    totals = "variable,category,total\nagency,LCU.STP,5000\nagency,LCU.SYT,2500\n".encode()
    page = client.post("/admin/rounds/LCU-2026/sample", data={"action": "weights", "totals": (
        io.BytesIO(totals), "t.csv")}, content_type="multipart/form-data").get_data(as_text=True)
    assert 'id="weights-report"' in page and ("control totals" in page or "tổng kiểm soát" in page)
    from sqlalchemy import func, select

    from sipas.db import session_factory
    from sipas.models import Agency, FrameUnit, Invitation, Response
    s = session_factory(demo_app)()
    sums = dict(s.execute(select(Agency.code, func.sum(Response.weight)).join(Agency)
                          .join(Invitation, Invitation.response_id == Response.id)
                          .join(FrameUnit, FrameUnit.invitation_id == Invitation.id)
                          .group_by(Agency.code)).all())
    s.close()
    assert abs(sums["LCU.STP"] - 5000) < 1e-6 and abs(sums["LCU.SYT"] - 2500) < 1e-6
