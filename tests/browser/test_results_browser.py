"""Publishing in Chromium: the confirmation page, the job, the published dashboard with later provisional data."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from sipas.jobs import start_consumer
from sipas.models import Agency, Channel, Round
from sipas.services.responses import Design, Submission, record_response
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_publish_after_confirming_then_later_data_show_as_provisional(live, page):
    live.app.config["RESULTS_DEBOUNCE_SECONDS"] = 0.2
    consumer = start_consumer(live.app)
    try:
        page.goto(f"{live.url}/auth/login")
        page.fill("#username", "admin")
        page.fill("#password", "demo-sipas-2026")
        page.keyboard.press("Enter")
        page.wait_for_url("**/admin/**")
        page.goto(f"{live.url}/dashboard/LCU-2026")
        assert "Số liệu tạm tính lúc" in page.locator("#freshness").inner_text()
        screenshot(page, "results-dashboard-provisional")
        page.goto(f"{live.url}/admin/rounds/LCU-2026/publish")
        assert "thu thập vẫn tiếp tục" in page.locator("#what-is-frozen").inner_text()
        screenshot(page, "results-publish-confirmation")
        page.fill("#note", "Công bố kết quả năm 2026")
        page.click("#confirm-publish")
        page.wait_for_selector("#back-to-round", timeout=60_000)
        page.click("#back-to-round")
        assert page.locator("#versions tbody tr").count() == 1
        screenshot(page, "results-round-versions")
        with live.session() as session:
            rnd = session.scalar(select(Round).where(Round.code == "LCU-2026"))
            agency = session.scalar(select(Agency).where(Agency.code == "LCU.STP"))
            for _ in range(3):
                submission = Submission(rnd, agency, {"S1": 5, "S2": 4, "S3": 5, "S4": 5, "S5": 4}, Channel.INVITATION,
                                        design=Design("province", "LCU.STP.MC/D01"))
                record_response(session, submission, check_open=False)
            session.commit()
        page.goto(f"{live.url}/dashboard/LCU-2026")
        for _ in range(120):
            page.goto(f"{live.url}/dashboard/LCU-2026")
            if "Phiếu đến sau" in page.locator("#freshness").inner_text():
                break
            page.wait_for_timeout(500)
        text = page.locator("#freshness").inner_text()
        assert "Đã công bố, phiên bản 1" in text and "Phiếu đến sau" in text
        screenshot(page, "results-dashboard-published")
    finally:
        consumer.stop()
