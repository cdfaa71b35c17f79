"""axe-core (shipped by axe-playwright-python) on the citizen pages: 0 violations.

axe is injected with eval, which the site's Content-Security-Policy forbids: the check runs in a browser
context that bypasses CSP, for this check only (the other browser tests keep the CSP)."""
from __future__ import annotations

import pytest

from tests.browser.test_kiosk_browser import _answer_all, _enrol

pytestmark = pytest.mark.browser


@pytest.fixture
def axe():
    from axe_playwright_python.sync_playwright import Axe
    return Axe()


def _violations(axe, page) -> list[str]:
    results = axe.run(page)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]]


@pytest.mark.parametrize("width, height", [(1280, 800), (800, 1280)])
def test_kiosk_screens_have_no_axe_violations(live, browser, axe, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=True, locale="vi-VN",
                                  bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{live.url}/kiosk/")
        assert _violations(axe, page) == []  # not enrolled: the staff screen and its code form
        _enrol(live, page)
        assert _violations(axe, page) == []  # first question
        _answer_all(page, [5])
        page.locator("#kiosk[data-current='1'][data-accepting='1']").wait_for(state="attached")
        assert _violations(axe, page) == []  # a question with Back and start over
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/r/LCU-2026/LCU.STP", "/i/", "/i/?code=AAAA", "/r/NOPE/LCU.STP"])
def test_online_pages_have_no_axe_violations_on_a_small_phone(live, browser, axe, path):
    context = browser.new_context(viewport={"width": 360, "height": 640}, has_touch=True, is_mobile=True,
                                  locale="vi-VN", bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{live.url}{path}")
        assert _violations(axe, page) == []
    finally:
        context.close()


def test_the_check_does_find_violations(browser, axe):
    """Guard against a silent check: the kiosk's old viewport (zoom disabled) and an unlabelled button fail."""
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.set_content('<!doctype html><html lang="vi"><head><title>t</title><meta name="viewport" '
                         'content="width=device-width, maximum-scale=1, user-scalable=no"></head>'
                         '<body><main><button></button></main></body></html>')
        found = {v.split(":")[0] for v in _violations(axe, page)}
        assert {"meta-viewport", "button-name"} <= found
    finally:
        context.close()


def test_online_sections_with_flags_have_no_axe_violations(live, browser, axe):
    """The form one section per screen: a later section, and one with its blank questions flagged."""
    context = browser.new_context(viewport={"width": 360, "height": 640}, has_touch=True, is_mobile=True,
                                  locale="vi-VN", bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{live.url}/r/LCU-2026/LCU.STP")
        page.locator("button.o-next").click()
        page.locator(".o-question.o-unanswered").first.wait_for()
        assert _violations(axe, page) == []
        page.locator("button.o-next").click()
        page.locator("button.o-back").wait_for()
        assert _violations(axe, page) == []
    finally:
        context.close()


@pytest.mark.parametrize("role", ["surveyor", "verifier", "analyst", "admin"])
def test_every_staff_page_of_each_journey_has_no_axe_violations(live, browser, axe, role):
    """The pages each role's journey visits (the same list the Vietnamese-throughout test reads)."""
    from tests.browser.test_vietnamese_throughout_browser import STAFF, _login
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        page = context.new_page()
        _login(live, page, role)
        found = {}
        for path in STAFF[role]:
            page.goto(f"{live.url}{path}")
            if violations := _violations(axe, page):
                found[path] = violations
        assert found == {}
    finally:
        context.close()
