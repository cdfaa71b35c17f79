"""The sample design in Chromium: load a list, draw, answer through invitations, follow the fieldwork and
print the sample plan (screenshots kept as test artefacts; docs/screenshots has copies)."""
from __future__ import annotations

import csv

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_online_browser import open_section_of, send_now

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
        open_section_of(respondent, "#q-S1")  # LCU-2026 (SIPAS_1001): after the policy part A
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


def test_totals_per_level_and_the_reserve_list(live, page, tmp_path):
    frame = tmp_path / "dossiers.csv"
    frame.write_text("dossier_code,agency_code,level,completed_on,name,address\n" + "".join(
        f"HS-{code}-{i},{code},{level},{1 + i % 28:02d}/07/2026,Nguyễn Thị {i},Bản {i}\n"
        for code, level, n in (("LCU.STP", "province", 300), ("LCU.SYT", "commune", 120),
                               ("LCU.TTPVHCC", "commune", 580)) for i in range(n)), encoding="utf-8")
    page.goto(f"{live.url}/auth/login")
    page.fill("#username", "admin")
    page.fill("#password", "demo-sipas-2026")
    page.locator("button[type=submit]").click()
    page.goto(f"{live.url}/admin/rounds/LCU-2026/sample")
    page.locator("input[name=file]").set_input_files(str(frame))
    page.fill("form[aria-labelledby=frame] input[name=stratify_by]", "level,agency")
    page.locator("form[aria-labelledby=frame] button[type=submit]").click()
    page.locator("#plan").wait_for()
    page.goto(f"{live.url}/admin/rounds/LCU-2026/sample?level_totals=province%3D40%2Ccommune%3D60")
    page.locator("#level-totals").wait_for()
    # Commune: 60 shared 120:580 -> 10.3 and 49.7, rounded to 10 and 50.
    levels = page.locator("#level-totals tbody tr")
    assert levels.nth(0).locator("td").nth(2).inner_text() == "60"
    assert levels.nth(1).locator("td").nth(2).inner_text() == "40"
    page.fill("input[name=seed]", "20261203")
    page.fill("input[name=reserve]", "20")
    page.select_option("select[name=format]", "csv")
    # The screenshot is taken after the download: a full-page screenshot just before the click swallowed it.
    with page.expect_download() as info:
        page.locator("form[aria-labelledby=draw] button[type=submit]").click()
    listing = tmp_path / "list.csv"
    info.value.save_as(listing)
    screenshot(page, "sample-level-totals")
    with open(listing, encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert len([r for r in rows if r["list"] == "mẫu chính"]) == 100 and rows[0]["agency_name"]
    page.goto(f"{live.url}/admin/rounds/LCU-2026/sample")
    page.select_option("#release-reserve select[name=stratum]", "commune/LCU.TTPVHCC")
    page.fill("#release-reserve input[name=count]", "3")
    page.fill("#release-reserve input[name=reason]", "3 người từ chối")
    with page.expect_download():
        page.locator("#release-reserve button[type=submit]").click()
    page.goto(f"{live.url}/admin/rounds/LCU-2026/sample")
    total = page.locator("#fieldwork tbody tr").last
    assert total.locator("td").nth(0).inner_text() == "103" and total.locator("td").nth(4).inner_text() == "3"
    screenshot(page, "sample-reserve")
