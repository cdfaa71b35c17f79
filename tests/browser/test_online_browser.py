"""The online questionnaire in a real browser: answers survive a reload and are sent once."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from sipas.models import Channel, Response
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_answers_survive_a_reload_and_are_sent(live, page):
    page.set_viewport_size({"width": 412, "height": 915})  # a phone
    page.goto(f"{live.url}/r/LCU-2026/LCU.STP")
    page.locator("#q-S1 input[value='4']").check()  # Hài lòng
    page.locator("#q-E1\\.1 input[value='1']").check()  # Có
    page.locator("#q-X3").click()
    page.locator("#o-progress-bar").wait_for(state="visible")
    page.reload()
    assert page.locator("#q-S1 input[value='4']").is_checked()
    assert page.locator("#q-E1\\.1 input[value='1']").is_checked()
    assert page.locator("#q-X3 input").is_checked()
    screenshot(page, "online-form-phone")
    page.locator("button.o-send").click()
    page.locator("#missing").wait_for()  # the summary of unanswered questions
    page.locator("button.o-send").click()  # "send the form as it is"
    page.locator("[data-sent='1']").wait_for()
    s = live.session()
    rows = s.scalars(select(Response).where(Response.channel == Channel.ONLINE)).all()
    answers = [{a.item_code: a.value for a in r.answers} for r in rows]
    s.close()
    assert len(answers) == 1 and answers[0]["S1"] == 4 and answers[0]["E1.1"] == 1 and answers[0]["X3"] == 1
    # After sending, the kept answers are gone: a new visit starts empty.
    page.goto(f"{live.url}/r/LCU-2026/LCU.STP")
    assert not page.locator("#q-S1 input[value='4']").is_checked()


def test_poster_renders_for_printing(live, page):
    page.goto(f"{live.url}/auth/login")
    page.fill("#username", "admin")
    page.fill("#password", "demo-sipas-2026")
    page.locator("button[type=submit]").click()
    page.goto(f"{live.url}/admin/rounds/LCU-2026/poster/LCU.STP")
    assert page.locator(".p-qr svg").bounding_box()["width"] > 250
    screenshot(page, "poster")


def test_a_shared_phone_shows_nothing_of_the_previous_person(live, browser):
    """Answers stay only in the tab that gave them (sessionStorage), never the comment, never after idling."""
    context = browser.new_context(viewport={"width": 360, "height": 640}, has_touch=True, is_mobile=True,
                                  locale="vi-VN")
    try:
        first = context.new_page()
        first.goto(f"{live.url}/r/LCU-2026/LCU.STP")
        first.locator("#q-S1 input[value='2']").check()
        first.locator("textarea[name=comment]").fill("Nguyễn Văn A, 0912 345 678")
        first.locator("textarea[name=comment]").blur()
        first.reload()  # the same person reloads: the answers are back, the comment (name, phone) is not
        assert first.locator("#q-S1 input[value='2']").is_checked()
        assert first.locator("textarea[name=comment]").input_value() == ""
        assert first.evaluate("Object.keys(localStorage).length") == 0
        first.close()  # the tab is closed; the next person opens the link on the same phone
        second = context.new_page()
        second.goto(f"{live.url}/r/LCU-2026/LCU.STP")
        assert second.locator("input:checked").count() == 0
        assert "0912" not in second.content()
        # Answers left idle longer than the limit are not shown again.
        second.locator("#q-S1 input[value='5']").check()
        second.evaluate("""() => { for (const k of Object.keys(sessionStorage)) {
            const d = JSON.parse(sessionStorage.getItem(k)); d._at = Date.now() - 21 * 60000;
            sessionStorage.setItem(k, JSON.stringify(d)); } }""")
        second.reload()
        assert second.locator("input:checked").count() == 0
    finally:
        context.close()


def test_choose_at_most_three_is_enforced_while_ticking(live, browser):
    context = browser.new_context(viewport={"width": 360, "height": 640}, has_touch=True, is_mobile=True,
                                  locale="vi-VN")
    try:
        page = context.new_page()
        page.goto(f"{live.url}/r/LCU-2026/LCU.STP")
        block = page.locator("fieldset[data-max='3']")
        boxes = block.locator("input[type=checkbox]")
        assert boxes.count() > 3
        for i in range(3):
            boxes.nth(i).check()
        note = block.locator(".o-limit")
        assert not note.is_visible()
        boxes.nth(3).click()  # a fourth tick is undone at once, and the reason shows beside the boxes
        assert not boxes.nth(3).is_checked()
        assert note.is_visible() and "tối đa 3" in note.inner_text()
        screenshot(page, "online-max-three")
        boxes.nth(0).uncheck()
        assert not note.is_visible()
        boxes.nth(3).check()
        assert block.locator("input[type=checkbox]:checked").count() == 3
    finally:
        context.close()
