"""Dashboard and exports: content, filters, agency-manager scope, and who may export."""
from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from tests.conftest import login


def test_dashboard_shows_charts_with_tables_and_no_inline_style(demo_app):
    client = demo_app.test_client()
    login(client, "analyst")
    page = client.get("/dashboard/LCU-2026").get_data(as_text=True)
    assert page.count("<svg") == 4 and page.count('role="img"') == 4 and page.count("<desc") == 4
    assert page.count('<details class="table-toggle">') == 4
    assert "style=" not in page.split("<body")[1]
    assert "đổi địa giới (2025)" in page  # the trend marks the map break between 2024 and 2026
    assert 'data-agency="LCU.STP"' in page and 'data-agency="LCU.SYT"' in page
    # Words, not codes: the method as its decision, the map, factor names from the profile.
    assert "QĐ 1001/QĐ-BNV" in page and "34 tỉnh, thành phố (từ 01/7/2025)" in page
    assert "SIPAS_1001" not in page and "new_34" not in page
    # SIPAS_1001: the policy part and the service part beside the five factors.
    assert "Xây dựng, tổ chức thực hiện chính sách công" in page and "Cung ứng dịch vụ hành chính công" in page
    assert "Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị" in page and "<td>F5</td>" not in page


def test_filters_by_level_and_channel(demo_app):
    client = demo_app.test_client()
    login(client, "analyst")
    page = client.get("/dashboard/LCU-2024?level=district").get_data(as_text=True)
    assert 'data-agency="LCU.UBH.' in page and 'data-agency="LCU.STP"' not in page
    page = client.get("/dashboard/LCU-KIOSK-2026?channel=self_selected").get_data(as_text=True)
    assert "data-sipas=" in page


def test_agency_manager_sees_only_their_agency(demo_app):
    client = demo_app.test_client()
    login(client, "manager")
    page = client.get("/dashboard/LCU-2026").get_data(as_text=True)
    assert 'data-agency="LCU.STP"' in page and 'data-agency="LCU.SYT"' not in page
    # No province-wide figures for an agency manager: no whole-round block, no levels, no trend.
    assert "Toàn đợt khảo sát" not in page and 'id="h-trend"' not in page and 'id="h-levels"' not in page
    wb = load_workbook(BytesIO(client.get("/admin/rounds/LCU-2026/report.xlsx").data))
    codes = {row[1] for row in wb["Theo cơ quan"].iter_rows(min_row=6, values_only=True) if row and row[1]}
    assert codes == {"LCU.STP"}
    # Only the agency: no sheet of whole-round figures (levels, channels, behaviour, respondents).
    assert not {"Theo cấp", "Kênh", "Hành vi", "Người trả lời"} & set(wb.sheetnames)
    assert {r[0]: r[1] for r in wb["Bìa"].iter_rows(values_only=True) if r and r[0]}["Cơ quan"] == "Sở Tư pháp"


def test_surveyors_and_anonymous_users_cannot_see_or_export(demo_app):
    client = demo_app.test_client()
    assert client.get("/dashboard/LCU-2026").status_code == 302
    assert client.get("/admin/rounds/LCU-2026/report.xlsx").status_code == 302
    login(client, "surveyor")
    assert client.get("/dashboard/LCU-2026").status_code == 403
    assert client.get("/admin/rounds/LCU-2026/report.xlsx").status_code == 403


def test_the_narrative_report_downloads_scoped_to_the_managers_agency(demo_app):
    from docx import Document

    client = demo_app.test_client()
    login(client, "manager")
    response = client.get("/admin/rounds/LCU-2026/report.docx")
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    doc = Document(BytesIO(response.data))
    ranked = next(t for t in doc.tables if t.rows[0].cells[0].text == "Hạng (tập hạng 95%)")
    assert [r.cells[1].text for r in ranked.rows[1:]] == ["Sở Tư pháp"]
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Sở Y tế" not in text and "2. Theo cấp hành chính" not in text  # no whole-round levels
    assert not any(t.rows[0].cells[0].text == "Kênh thu thập" for t in doc.tables)
