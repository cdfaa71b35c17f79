"""What staff read on the admin pages is words in their language, never stored codes (issue: words not codes)."""
from __future__ import annotations

import re

from tests.conftest import login

CODES = ("new_34", "historical_63", "SIPAS_2640", "SIPAS_1001", "KIOSK_RT", ">open<", ">closed<", ">province<", ">commune<")


def _visible(html: str) -> str:
    """The page's text without tags and attribute values (codes in links and form values are fine)."""
    return re.sub(r"<[^>]+>", "|", html)


def test_the_admin_home_names_methods_maps_statuses_levels_and_dates_in_words(demo_app):
    client = demo_app.test_client()
    login(client, "analyst")
    text = _visible(client.get("/admin/").get_data(as_text=True))
    for words in ("QĐ 2640/QĐ-BNV", "QĐ 1001/QĐ-BNV", "34 tỉnh, thành phố (từ 01/7/2025)", "63 tỉnh, thành phố (đến 30/6/2025)",
                  "Đang thu thập", "Đã kết thúc thu thập", "Cấp tỉnh", "28/02/2025"):
        assert words in text, words
    assert not [code for code in CODES if code.strip("><") in text.split("|")], text[:500]
    english = _visible(client.get("/admin/?lang=en").get_data(as_text=True))
    assert "Collecting" in english and "34 provinces (from 1 July 2025)" in english


def test_the_round_page_says_its_method_map_status_and_dates_in_words(demo_app):
    client = demo_app.test_client()
    login(client, "admin")
    text = _visible(client.get("/admin/rounds/LCU-2026").get_data(as_text=True))
    assert "QĐ 1001/QĐ-BNV" in text and "Đang thu thập" in text and "01/09/2026 – 31/12/2026" in text
    assert "new_34" not in text and "SIPAS_1001" not in text
