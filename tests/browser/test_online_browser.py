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
