"""The kiosk as citizens meet it, by touch in Chromium: what is recorded is only what was seen.

Double taps, Back and start over, language switching and its reset, portrait and landscape layout, no answer
that looks pre-selected, and the enrolment screen for staff.
"""
from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_kiosk_browser import _answer_all, _enrol, _wait_for_stored

pytestmark = pytest.mark.browser


def _touch_context(browser, width: int, height: int):
    return browser.new_context(viewport={"width": width, "height": height}, has_touch=True, is_mobile=True,
                               locale="vi-VN")


@pytest.fixture
def tablet(browser):
    context = _touch_context(browser, 1280, 800)
    yield context.new_page()
    context.close()


@pytest.fixture
def portrait(browser):
    context = _touch_context(browser, 800, 1280)
    yield context.new_page()
    context.close()


def _current(page) -> str:
    return page.locator("#kiosk").get_attribute("data-current")


def _center(page, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_a_double_tap_answers_only_the_question_that_was_seen(live, tablet):
    page = tablet
    _enrol(live, page)
    page.locator("#kiosk[data-current='0'][data-accepting='1']").wait_for(state="attached")
    x, y = _center(page, ".k-screen[data-index='0'] button.level-4")  # "Hài lòng"
    page.touchscreen.tap(x, y)
    page.wait_for_timeout(120)
    page.touchscreen.tap(x, y)  # the same spot 120 ms later: now over question 2's "Hài lòng"
    page.wait_for_timeout(600)
    assert _current(page) == "1"  # still on question 2: the second tap was not taken as its answer
    _answer_all(page, [2, 2, 2, 2, 2], start=1)
    page.locator("#k-thanks").wait_for(state="visible")
    stored = _wait_for_stored(live)
    assert stored[0][1] == {"S0": 4, "S1": 2, "S2": 2, "S3": 2, "S4": 2, "S5": 2}


def test_back_corrects_an_answer_and_start_over_drops_everything(live, tablet):
    page = tablet
    _enrol(live, page)
    assert page.locator(".k-screen[data-index='0'] .k-back").count() == 0  # nothing to go back to
    _answer_all(page, [5, 1])  # a mis-tap on question 2
    back = page.locator(".k-screen[data-index='2'] .k-back")
    assert back.is_visible() and "Quay lại" in back.inner_text()
    page.locator("#kiosk[data-current='2'][data-accepting='1']").wait_for(state="attached")
    back.tap()
    page.locator("#kiosk[data-current='1'][data-accepting='1']").wait_for(state="attached")
    screenshot(page, "kiosk-back")
    _answer_all(page, [4], start=1)  # corrected
    restart = page.locator(".k-screen[data-index='2'] .k-restart")
    assert restart.is_visible() and "Làm lại từ đầu" in restart.inner_text()
    _answer_all(page, [3], start=2)
    page.locator("#kiosk[data-current='3'][data-accepting='1']").wait_for(state="attached")
    page.locator(".k-screen[data-index='3'] .k-restart").tap()  # the next citizen starts over
    page.locator("#kiosk[data-current='0']").wait_for(state="attached")
    _answer_all(page, [5, 4, 3, 2, 1, 5])
    page.locator("#k-thanks").wait_for(state="visible")
    stored = _wait_for_stored(live)
    assert len(stored) == 1 and stored[0][1] == {"S0": 5, "S1": 4, "S2": 3, "S3": 2, "S4": 1, "S5": 5}


def test_switching_language_keeps_the_question_and_the_next_citizen_gets_vietnamese(live, tablet):
    page = tablet
    _enrol(live, page)
    assert page.evaluate("document.documentElement.lang") == "vi"
    _answer_all(page, [5, 4])
    page.locator("#kiosk[data-current='2'][data-accepting='1']").wait_for(state="attached")
    page.locator("button.k-lang[lang='en']").tap()
    page.wait_for_url("**/kiosk/?lang=en")
    page.locator("#kiosk[data-current='2'][data-ready='1']").wait_for(state="attached")  # the same question
    assert page.locator(".k-screen[data-index='2'] .k-question").inner_text().startswith("How satisfied")
    screenshot(page, "kiosk-english-same-question")
    _answer_all(page, [3, 2, 1, 5], start=2)
    page.locator("#k-thanks").wait_for(state="visible")
    # After the thank-you screen the kiosk is back in Vietnamese, on a clean first screen.
    page.wait_for_url("**/kiosk/", timeout=10000)
    page.locator("#kiosk[data-current='0'][data-ready='1']").wait_for(state="attached")
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert page.locator(".k-screen[data-index='0'] .k-question").inner_text().startswith("Ông/Bà")
    stored = _wait_for_stored(live)
    assert stored[0][1] == {"S0": 5, "S1": 4, "S2": 3, "S3": 2, "S4": 1, "S5": 5}


def test_an_idle_english_screen_returns_to_vietnamese(live, tablet):
    page = tablet
    _enrol(live, page)
    page.locator("#kiosk[data-accepting='1']").wait_for(state="attached")
    page.locator("button.k-lang[lang='en']").tap()
    page.wait_for_url("**/kiosk/?lang=en")
    page.wait_for_url("**/kiosk/", timeout=8000)  # 2 s of inactivity in the test app
    page.locator("#kiosk[data-ready='1']").wait_for(state="attached")
    assert page.evaluate("document.documentElement.lang") == "vi"


def _boxes(page, index: int = 0):
    return [page.locator(f".k-screen[data-index='{index}'] button.level-{v}").bounding_box() for v in (5, 4, 3, 2, 1)]


def test_portrait_shows_the_scale_in_one_column_in_order(live, portrait):
    page = portrait
    _enrol(live, page)
    boxes = _boxes(page)
    screenshot(page, "kiosk-portrait")
    assert len({round(b["x"]) for b in boxes}) == 1  # one column
    tops = [b["y"] for b in boxes]
    assert tops == sorted(tops) and len(set(tops)) == 5  # "Rất hài lòng" at the top ... "Rất không hài lòng" last
    assert boxes[-1]["y"] + boxes[-1]["height"] <= 1280  # all five without scrolling
    assert all(b["height"] >= 48 for b in boxes)


def test_landscape_shows_the_scale_in_one_row_in_order(live, tablet):
    page = tablet
    _enrol(live, page)
    boxes = _boxes(page)
    assert len({round(b["y"]) for b in boxes}) == 1
    lefts = [b["x"] for b in boxes]
    assert lefts == sorted(lefts) and len(set(lefts)) == 5


def _focus_ring(page, selector: str) -> str:
    return page.evaluate(f"getComputedStyle(document.querySelector({selector!r})).outlineStyle")


def test_nothing_looks_pre_selected_but_keyboard_focus_shows(live, tablet):
    page = tablet
    _enrol(live, page)
    page.locator("#kiosk[data-accepting='1']").wait_for(state="attached")
    assert page.evaluate("document.activeElement === document.body")
    rings = page.evaluate("Array.from(document.querySelectorAll('.k-screen:not([hidden]) .k-choice'))"
                          ".map(b => getComputedStyle(b).outlineStyle)")
    assert rings == ["none"] * 5
    _answer_all(page, [4])
    page.locator("#kiosk[data-current='1'][data-accepting='1']").wait_for(state="attached")
    assert page.evaluate("!document.activeElement.classList.contains('k-choice')")  # nothing focused after a tap
    screenshot(page, "kiosk-second-screen-no-focus")
    # A keyboard user does see where they are.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches(':focus-visible')")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"


def test_the_not_enrolled_screen_speaks_to_staff(live, tablet):
    page = tablet
    page.goto(f"{live.url}/kiosk/")
    text = page.locator("main").inner_text()
    assert "Dành cho cán bộ" in text and "mã đăng ký" in text and "sipas kiosk" not in text
    page.fill("#k-code", "ABCD-EFGH")
    page.locator(".k-enrol-form button[type=submit]").click()
    assert page.locator(".k-error").is_visible()
    screenshot(page, "kiosk-not-enrolled")
    _enrol(live, page)
    content = page.content()
    assert "kd_" not in content  # the device token never appears in the page
    assert page.evaluate("document.cookie") == ""  # HttpOnly: not readable by scripts
