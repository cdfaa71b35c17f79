"""The dashboard rendered in Chromium, with a screenshot kept as a test artefact."""
from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_dashboard_renders_and_tables_open(live, page):
    page.goto(f"{live.url}/auth/login")
    page.fill("#username", "analyst")
    page.fill("#password", "demo-sipas-2026")
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/")
    page.goto(f"{live.url}/dashboard/LCU-2026")
    forest = page.locator("#h-forest ~ svg, section[aria-labelledby='h-forest'] svg").first
    assert forest.bounding_box()["height"] > 300  # one row per agency
    assert page.locator("svg circle.dot").count() > 40
    table = page.locator("section[aria-labelledby='h-forest'] details table")
    assert not table.is_visible()
    page.locator("section[aria-labelledby='h-forest'] details summary").click()
    assert table.is_visible()
    screenshot(page, "dashboard")
