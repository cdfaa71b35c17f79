"""Paper double entry in a real browser: keyboard-only keying, a deliberate mismatch, adjudication."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from sipas.models import PaperForm, PaperFormStatus, Response
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def _login(browser, live, username):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live.url}/auth/login")
    page.fill("#username", username)
    page.fill("#password", "demo-sipas-2026")
    page.keyboard.press("Enter")
    # Surveyors and verifiers land on the keying page, administrators on the admin home.
    page.wait_for_url(re.compile(r".*/(admin|entry)/$"))
    return context, page


def _key(page, serial: str, digits: dict[str, str]):
    """Keyboard only: the serial, Enter, then each box in order (digits auto-advance, blank = Enter)."""
    page.locator("#f-serial").focus()
    page.keyboard.type(serial)
    page.keyboard.press("Enter")
    boxes = page.locator("#keyform input[data-allowed]")
    for i in range(boxes.count()):
        name = boxes.nth(i).get_attribute("name")
        value = digits.get(name, "")
        if value:
            page.keyboard.type(value)  # a valid single digit moves on by itself
        else:
            page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # the comment box: the last Enter saves
    page.locator(".flash-ok").wait_for()


def test_double_entry_with_a_mismatch_is_adjudicated(browser, live):
    # LCU-2026 uses SIPAS_1001: a policy question (part A) is keyed too; it has no B1.
    answers = {"P1": "4", "PA1.1": "1", "E1.1": "1", "E1.2": "0", "S1": "4", "S2": "5", "S3": "4", "S4": "5",
               "S5": "3", "S0": "4", "B2": "1"}
    ctx1, p1 = _login(browser, live, "surveyor")
    p1.goto(f"{live.url}/entry/")
    p1.select_option("select[name=round]", "LCU-2026")
    p1.fill("input[name=agency]", "LCU.STP")
    p1.fill("input[name=box_number]", "HOP-07")
    p1.fill("input[name=expected_count]", "1")
    p1.locator("form.grid button").click()
    batch_url = p1.url
    p1.locator("a", has_text="Nhập lượt 1").click()
    _key(p1, "LCU-2026-000042", answers)
    screenshot(p1, "paper-entry")
    ctx1.close()

    ctx2, p2 = _login(browser, live, "verifier")
    p2.goto(batch_url)
    p2.locator("a", has_text="Nhập lượt 2").click()
    _key(p2, "LCU-2026-000042", {**answers, "S3": "2"})  # the deliberate mismatch
    p2.goto(batch_url)
    assert p2.locator(".completeness").get_attribute("data-verified") == "0"
    ctx2.close()

    ctx3, p3 = _login(browser, live, "admin")
    p3.goto(f"{live.url}/entry/adjudicate")
    p3.locator("a", has_text="Quyết định").click()
    rows = p3.locator("tr.diff")
    assert rows.count() == 1 and rows.first.get_attribute("data-code") == "S3"
    rows.first.locator("input[type=radio]").first.check()  # pass 1's value, as on the paper
    p3.locator("button[type=submit]", has_text="Xác nhận").click()
    p3.goto(batch_url)
    assert p3.locator(".completeness").get_attribute("data-verified") == "1"
    ctx3.close()

    s = live.session()
    form = s.scalar(select(PaperForm).where(PaperForm.serial == "LCU-2026-000042"))
    assert form.status is PaperFormStatus.VERIFIED
    stored = {a.item_code: a.value for a in s.get(Response, form.response_id).answers}
    s.close()
    assert stored == {k: int(v) for k, v in answers.items()}
