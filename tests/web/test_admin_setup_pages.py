"""Admin pages: create, open and close a round; import agencies (files refused unless CSV/XLSX; XSS stays text)."""
from __future__ import annotations

import io

from tests.conftest import login


def test_admin_creates_opens_and_closes_a_round(demo_app):
    client = demo_app.test_client()
    login(client, "admin")
    r = client.post("/admin/rounds/new", data={"code": "LCU-2027", "year": "2027", "profile": "SIPAS_1001",
                                               "admin_map": "new_34", "province": "12", "opens_on": "2027-09-01",
                                               "closes_on": "2027-08-01", "channels": ["online"],
                                               "agencies": "LCU.STP"})
    assert r.status_code == 422 and "closes_on" in r.get_data(as_text=True)
    r = client.post("/admin/rounds/new", data={"code": "LCU-2027", "year": "2027", "profile": "SIPAS_1001",
                                               "admin_map": "new_34", "province": "12", "opens_on": "2026-09-01",
                                               "closes_on": "2027-12-31", "channels": ["online", "invitation"],
                                               "agencies": "LCU.STP\nLCU.SYT"})
    assert r.status_code == 302
    assert "Đang chuẩn bị" in client.get("/admin/rounds/LCU-2027").get_data(as_text=True)
    assert demo_app.test_client().get("/r/LCU-2027/LCU.STP").status_code == 410  # not open yet
    client.post("/admin/rounds/LCU-2027/status", data={"status": "open"})
    page = demo_app.test_client().get("/r/LCU-2027/LCU.STP").get_data(as_text=True)
    assert "Xây dựng, tổ chức thực hiện chính sách công" in page  # the SIPAS_1001 policy part
    client.post("/admin/rounds/LCU-2027/status", data={"status": "closed"})
    assert demo_app.test_client().get("/r/LCU-2027/LCU.STP").status_code == 410


def test_agency_upload_accepts_only_csv_or_xlsx_and_shows_names_as_text(demo_app):
    client = demo_app.test_client()
    login(client, "admin")
    r = client.post("/admin/agencies/import", data={"file": (io.BytesIO(b"x"), "evil.html")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "only .csv and .xlsx" in r.get_data(as_text=True)
    payload = '<script>alert(1)</script>'
    body = ("code,name,kind,level,admin_map,unit_code\n"
            f"LCU.NEW,\"{payload}\",department,province,new_34,12\n"
            "LCU.BAD,x,department,county,new_34,12\n").encode()
    r = client.post("/admin/agencies/import", data={"file": (io.BytesIO(body), "a.csv")},
                    content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "row 3, column level" in page and "<script>alert(1)</script>" not in page
    body = f"code,name,kind,level,admin_map,unit_code\nLCU.NEW,\"{payload}\",department,province,new_34,12\n".encode()
    r = client.post("/admin/agencies/import", data={"file": (io.BytesIO(body), "a.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 200 and "Đã tạo 1" in r.get_data(as_text=True)
    page = client.get("/admin/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)</script>" not in page
