"""The online questionnaire in a real browser: answers survive a reload and are sent once."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sipas.models import Channel, Response
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def open_section_of(page, selector: str) -> None:
    """Press Continue (twice where blanks are flagged) until the section holding `selector` is on screen."""
    for _ in range(40):
        if page.locator(selector).first.is_visible():
            return
        page.locator("button.o-next").click()
    raise AssertionError(f"{selector} never shown")


def send_now(page) -> None:
    """Go on to the last section and press Send."""
    open_section_of(page, "button.o-send")
    page.locator("button.o-send").click()


def test_answers_survive_a_reload_and_are_sent(live, page):
    page.set_viewport_size({"width": 412, "height": 915})  # a phone
    page.goto(f"{live.url}/r/LCU-2026/LCU.STP")
    # LCU-2026 uses SIPAS_1001: the policy part (A) comes first, S1 and E1.1 are on the access screen (F1).
    open_section_of(page, "#q-S1")
    page.locator("#q-S1 input[value='4']").check()  # Hài lòng
    page.locator("#q-E1\\.1 input[value='1']").check()  # Có
    open_section_of(page, "#q-X3")
    page.locator("#q-X3").click()
    page.locator("#o-progress-bar").wait_for(state="visible")
    page.reload()
    assert page.locator("#q-S1 input[value='4']").is_checked()
    assert page.locator("#q-E1\\.1 input[value='1']").is_checked()
    assert page.locator("#q-X3 input").is_checked()
    screenshot(page, "online-form-phone")
    send_now(page)
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
        open_section_of(first, "#q-S1")  # after the policy part (A) of SIPAS_1001
        first.locator("#q-S1 input[value='2']").check()
        open_section_of(first, "textarea[name=comment]")
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
        open_section_of(second, "#q-S1")
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
        open_section_of(page, "fieldset[data-max='3']")
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


def _phone(browser, **kw):
    return browser.new_context(viewport={"width": 360, "height": 640}, has_touch=True, is_mobile=True,
                               locale="vi-VN", **kw)


def _visible_sections(page) -> list[str]:
    return page.eval_on_selector_all("fieldset.o-section", "fs => fs.filter(f => f.offsetParent).map(f => f.id)")


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_form_goes_one_section_per_screen_on_a_small_phone(live, browser):
    context = _phone(browser)
    try:
        page = context.new_page()
        page.goto(f"{live.url}/r/LCU-2026/LCU.STP")
        head = page.locator("main").inner_text()
        # Who asks and how long it takes, before the first question.
        assert "Sở Tư pháp" in head and "Sở Nội vụ tỉnh Lai Châu" in head and "Khoảng " in head
        ids = page.eval_on_selector_all("fieldset.o-section", "fs => fs.map(f => f.id)")
        total, first, second = len(ids), ids[0], ids[1]
        assert total >= 5 and _visible_sections(page) == [first]
        assert page.locator("#o-progress-text").inner_text() == f"Phần 1/{total}"
        assert not page.locator("button.o-back").is_visible() and not page.locator("button.o-send").is_visible()
        assert _no_sideways_scroll(page)
        screenshot(page, "online-phone-section-1")
        # Continue with blanks: the blank questions of this screen are flagged, the screen stays.
        page.locator("button.o-next").tap()
        flagged = page.locator(".o-question.o-unanswered")
        assert flagged.count() == page.locator(f"#{first} .o-question[data-expected]").count() > 0
        assert flagged.first.locator(".o-flag").inner_text() == "Chưa trả lời"
        assert page.locator(".o-step-missing").is_visible() and _visible_sections(page) == [first]
        screenshot(page, "online-phone-flagged")
        # Answering them all lets Continue go straight on; Back returns with the answers kept.
        answered = [q.get_attribute("id")[2:] for q in page.locator(f"#{first} .o-question").all()]
        for question in page.locator(f"#{first} .o-question").all():
            question.locator("input").first.tap()
        assert page.locator(".o-question.o-unanswered").count() == 0
        page.locator("button.o-next").tap()
        assert _visible_sections(page) == [second] and page.locator("#o-progress-text").inner_text() == f"Phần 2/{total}"
        page.locator("button.o-back").tap()
        assert _visible_sections(page) == [first] and page.locator(f"#{first} input:checked").count() > 0
        # Every screen fits 360 px: no sideways scrolling up to the last one, where Send is.
        while not page.locator("button.o-send").is_visible():
            assert _no_sideways_scroll(page), _visible_sections(page)
            page.locator("button.o-next").tap()
            if page.locator(".o-step-missing").is_visible():
                page.locator("button.o-next").tap()
        assert page.locator("#o-progress-text").inner_text() == f"Phần {total}/{total}"
        assert page.locator("textarea[name=comment]").is_visible()
        page.locator("button.o-send").tap()
        page.locator("#missing").wait_for()  # the server's summary still decides what is missing
        page.locator("button.o-send").tap()
        page.locator("[data-sent='1']").wait_for()
    finally:
        context.close()
    s = live.session()
    rows = s.scalars(select(Response).where(Response.channel == Channel.ONLINE)).all()
    # The first screen of SIPAS_1001 is the policy part (A): its answers arrive (P1, PA1.1, ...).
    assert "P1" in answered and "PA1.1" in answered
    assert len(rows) == 1 and {a.item_code for a in rows[0].answers} >= set(answered)
    s.close()


def test_without_javascript_the_whole_form_is_one_page_and_works(live, browser):
    context = _phone(browser, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live.url}/r/LCU-2026/LCU.STP")
        total = page.locator("fieldset.o-section").count()
        assert len(_visible_sections(page)) == total and not page.locator(".o-nav").is_visible()
        page.locator("#q-S1 input[value='5']").check()
        for box in page.locator("fieldset[data-max='3'] input[type=checkbox]").all()[:4]:
            box.check()  # nothing stops a fourth tick without the script: the server refuses it
        page.locator("button.o-send").click()
        assert "Chỉ được chọn tối đa 3 phương án." in page.locator(".o-alert").inner_text()
        assert "/" not in page.locator(".o-alert").inner_text()  # Vietnamese only, no "/ choose at most 3"
        assert page.locator("#q-S1 input[value='5']").is_checked()
        page.locator("fieldset[data-max='3'] input[type=checkbox]").nth(3).uncheck()
        page.locator("button.o-send").click()
        page.locator("button.o-send").click()  # the summary of unanswered questions, then "send as it is"
        page.locator("[data-sent='1']").wait_for()
    finally:
        context.close()
    s = live.session()
    assert s.scalar(select(func.count()).select_from(Response).where(Response.channel == Channel.ONLINE)) == 1
    s.close()


def test_respondent_level_follows_the_round_map(live, browser):
    """LCU-2026 is on the 34-province map: no district level to choose (districts ended on 1 July 2025)."""
    context = _phone(browser)
    try:
        page = context.new_page()
        page.goto(f"{live.url}/r/LCU-2026/LCU.STP")
        open_section_of(page, "#q-R8")
        assert page.locator("#q-R8 .o-option").all_inner_texts() == ["Cấp tỉnh", "Cấp xã"]
    finally:
        context.close()
