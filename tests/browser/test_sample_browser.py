"""The sample design in Chromium: load a list, draw, answer through invitations, follow the fieldwork and
print the sample plan (screenshots kept as test artefacts; docs/screenshots has copies)."""
from __future__ import annotations

import csv

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_online_browser import send_now

pytestmark = pytest.mark.browser


def test_fieldwork_tracker_and_sample_plan(live, page, tmp_path):
    frame = tmp_path / "dossiers.csv"
    frame.write_text("dossier_code,agency_code,contact\n" + "".join(
        f"D{code}{i},{code},Số {i}\n" for code, n in (("LCU.STP", 300), ("LCU.SYT", 120), ("LCU.TTPVHCC", 580))
        for i in range(n)), encoding="utf-8")
    page.goto(f"{live.url}/auth/login")
    page.fill("#username", "admin")
    page.fill("#password", "demo-sipas-2026")
    page.locator("button[type=submit]").click()
    page.goto(f"{live.url}/admin/rounds/LCU-2026/sample?total=60&minimum=15")
    page.locator("input[name=file]").set_input_files(str(frame))
    page.locator("form[aria-labelledby=frame] button[type=submit]").click()
    page.locator("#plan").wait_for()
    page.goto(f"{live.url}/admin/rounds/LCU-2026/sample?total=60&minimum=15")
    page.fill("input[name=seed]", "20261121")
    page.select_option("select[name=format]", "csv")
    with page.expect_download() as info:
        page.locator("form[aria-labelledby=draw] button[type=submit]").click()
    listing = tmp_path / "list.csv"
    info.value.save_as(listing)
    with open(listing, encoding="utf-8-sig") as f:
        links = [row["link"] for row in csv.DictReader(f)]
    assert len(links) == 60
    respondent = page.context.browser.new_context(locale="vi-VN").new_page()
    for link in links[::3]:  # every third invitation answered, online
        respondent.goto(live.url + "/i/" + link.rsplit("/i/", 1)[1])
        respondent.locator("#q-S1 input[value='4']").check()
        send_now(respondent)
        respondent.locator("#missing").wait_for()
        respondent.locator("button.o-send").click()
        respondent.locator("[data-sent='1']").wait_for()
    respondent.context.close()
    page.goto(f"{live.url}/admin/rounds/LCU-2026/sample")
    total = page.locator("#fieldwork tbody tr").last
    assert total.locator("td").nth(0).inner_text() == "60" and total.locator("td").nth(2).inner_text() == "20"
    screenshot(page, "sample-fieldwork")
    page.locator("#plan-link").click()
    page.locator("#plan-strata").wait_for()
    assert page.locator("#plan-seed").inner_text() == "20261121"
    screenshot(page, "sample-plan")
