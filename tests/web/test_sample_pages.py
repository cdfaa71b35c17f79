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
