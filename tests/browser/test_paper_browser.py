"""Paper double entry in a real browser: keyboard-only keying, a deliberate mismatch, adjudication."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
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


#: Keys pressed per form before the round's prefix was shown in front of the serial box: the whole serial
#: (15 characters), Enter, one key per box and the last Enter. LCU-2026 keys the SIPAS_1001 form: one box per
#: item of surveys/profiles/SIPAS_1001.toml, 69 (18 + 9 policy, 16 + 5 service, 1 overall, 10 expectations,
#: 1 behaviour, 9 about the respondent). (On the 47-box SIPAS_2640 form the same count went from 64 to 51.)
BOXES = 69
KEYS_BEFORE = 15 + 1 + BOXES + 1


def _key(page, number: str, digits: dict[str, str]) -> int:
    """Keyboard only: the form's number, Enter, then each box in order (digits auto-advance, blank = Enter).
    Returns the keys pressed."""
    page.locator("#f-serial").focus()
    page.keyboard.type(number)
    page.keyboard.press("Enter")
    keys = len(number) + 1
    # The serial is checked first (the same rule as Save); the first box gets the focus once it is right.
    boxes = page.locator("#keyform input[data-allowed]")
    expect(boxes.first).to_be_focused()
    for i in range(boxes.count()):
        name = boxes.nth(i).get_attribute("name")
        value = digits.get(name, "")
        if value:
            page.keyboard.type(value)  # a valid single digit moves on by itself
        else:
            page.keyboard.press("Enter")
        keys += 1
    page.keyboard.press("Enter")  # the comment box: the last Enter saves
    page.locator(".flash-ok").wait_for()
    return keys + 1


def test_double_entry_with_a_mismatch_is_adjudicated(browser, live):
    # LCU-2026 uses SIPAS_1001: a policy question (part A) is keyed too; it has no B1.
    answers = {"P1": "4", "PA1.1": "1", "E1.1": "1", "E1.2": "0", "S1": "4", "S2": "5", "S3": "4", "S4": "5",
               "S5": "3", "S0": "4", "B2": "1"}
    ctx1, p1 = _login(browser, live, "surveyor")
    p1.goto(f"{live.url}/entry/")
    p1.select_option("select[name=round]", "LCU-2026")
    p1.fill("input[name=agency]", "Sở Tư pháp")  # chosen by name from the list under the box
    p1.fill("input[name=box_number]", "HOP-07")
    p1.fill("input[name=expected_count]", "1")
    p1.locator("form.grid button").click()
    batch_url = p1.url
    p1.locator("a", has_text="Nhập lượt 1").click()
    keys = _key(p1, "42", answers)
    # The round's prefix is on the page: 13 keys fewer per form than typing the whole serial (86 before).
    assert keys == KEYS_BEFORE - 13 == 73
    screenshot(p1, "paper-entry")
    ctx1.close()

    ctx2, p2 = _login(browser, live, "verifier")
    p2.goto(batch_url)
    p2.locator("a", has_text="Nhập lượt 2").click()
    _key(p2, "42", {**answers, "S3": "2"})  # the deliberate mismatch
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


def test_mistakes_are_caught_while_keying_in_vietnamese(browser, live):
    """Before: a serial already keyed, the same keyer on pass 2, more than 3 choices ticked and a blank form were
    found at Save or not at all, and the off-scale warning read "≠ 1 0"."""
    ctx, page = _login(browser, live, "surveyor")
    page.goto(f"{live.url}/entry/")
    page.select_option("select[name=round]", "LCU-2026")
    page.fill("input[name=agency]", "Sở Tư pháp")
    page.fill("input[name=box_number]", "HOP-08")
    page.fill("input[name=expected_count]", "3")
    page.locator("form.grid button").click()
    batch_url = page.url
    page.goto(f"{batch_url}/key/1")
    _key(page, "43", {"S1": "4"})

    # The same serial again, on pass 1 and on pass 2 by the same person: said before any box is reached.
    for pass_no, said in ((1, "Phiếu LCU-2026-000043 đã được nhập ở lượt 1."),
                          (2, "lượt thứ hai phải do người khác nhập")):
        page.goto(f"{batch_url}/key/{pass_no}")
        page.locator("#f-serial").focus()
        page.keyboard.type("43")
        page.keyboard.press("Enter")
        page.locator("#e-serial", has_text=said).wait_for()
        assert page.evaluate("document.activeElement.id") == "f-serial"

    # An off-scale digit and a fourth choice ticked are flagged as they are typed, in sentences.
    page.goto(f"{batch_url}/key/1")
    page.locator("#f-serial").focus()
    page.keyboard.type("44")
    page.keyboard.press("Enter")
    expect(page.locator("#keyform input[data-allowed]").first).to_be_focused()
    page.locator("#f-S1").focus()
    page.keyboard.type("7")
    assert page.locator("#e-S1").inner_text() == ("7 không phải là câu trả lời của câu này: chỉ nhập một trong các "
                                                  "số 1, 2, 3, 4, 5, hoặc để trống ô.")
    page.locator("#f-S1").fill("")
    for code in ("X1", "X2", "X3", "X4"):
        page.locator(f"#f-{code}").focus()
        page.keyboard.type("1")
    assert page.locator("#e-X4").inner_text() == "Câu này chỉ được đánh dấu tối đa 3 phương án; đang nhập 4 phương án."
    assert page.evaluate("document.activeElement.id") == "f-X4"  # it does not move on

    # A form with every box empty asks for a second Save.
    page.goto(f"{batch_url}/key/1")
    page.locator("#f-serial").focus()
    page.keyboard.type("45")
    page.keyboard.press("Enter")
    expect(page.locator("#keyform input[data-allowed]").first).to_be_focused()
    page.locator("#f-save").click()
    page.locator("#e-blank", has_text="Tất cả các ô đều trống.").wait_for()
    assert page.evaluate("document.activeElement.id") == "f-save"
    page.keyboard.press("Enter")
    page.locator(".flash-ok").wait_for()
    ctx.close()
    s = live.session()
    assert {f.serial for f in s.scalars(select(PaperForm))} == {"LCU-2026-000043", "LCU-2026-000045"}
    s.close()


def test_the_keying_pages_have_no_axe_violations(browser, live):
    """axe-core on the paper pages a surveyor uses, including a serial warning shown under its box. axe is
    injected with eval: this context bypasses the CSP for the check only (as tests/browser/test_axe_browser.py)."""
    from axe_playwright_python.sync_playwright import Axe
    axe = Axe()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN", bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live.url}/auth/login")
    page.fill("#username", "surveyor")
    page.fill("#password", "demo-sipas-2026")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/entry/$"))

    def violations() -> list[str]:
        found = axe.run(page).response["violations"]
        return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in found]

    assert violations() == []
    page.select_option("select[name=round]", "LCU-2026")
    page.fill("input[name=agency]", "Sở Tư pháp")
    page.fill("input[name=box_number]", "HOP-09")
    page.fill("input[name=expected_count]", "1")
    page.locator("form.grid button").click()
    assert violations() == []  # the batch page
    page.goto(f"{page.url}/key/1")
    page.locator("#f-serial").fill("HNI-2026-000001")
    page.locator("#f-serial").press("Enter")
    page.locator("#e-serial", has_text="không thuộc đợt khảo sát này").wait_for()
    assert violations() == []
    context.close()
