"""The kiosk in a real browser: touch through it, inactivity reset, and the offline queue."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from sipas.models import Channel, Response
from sipas.services import credentials
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def _enrol(live, page):
    """Enrol the browser as staff would: a one-time code typed on the enrolment screen."""
    s = live.session()
    device, token = credentials.enrol_kiosk(s, "LCU.STP.MC")
    code = credentials.issue_enrolment_code(device)
    s.commit()
    s.close()
    page.goto(f"{live.url}/kiosk/enrol")
    page.fill("#k-code", code)
    page.locator(".k-enrol-form button[type=submit]").click()
    page.wait_for_selector("#kiosk[data-ready='1']")
    return code


def _kiosk_responses(live):
    """(device_seq, {item: value}) of the kiosk responses stored, in sequence order."""
    s = live.session()
    try:
        rows = s.scalars(select(Response).where(Response.channel == Channel.KIOSK, Response.device_id.is_not(None))
                         .order_by(Response.device_seq)).all()
        return [(r.device_seq, {a.item_code: a.value for a in r.answers}) for r in rows]
    finally:
        s.close()


def _wait_for_stored(live, seconds: float = 5.0):
    """Poll until the kiosk's queue has delivered something (the page sends in the background)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        stored = _kiosk_responses(live)
        if stored:
            return stored
        time.sleep(0.1)
    return []


def _answer_all(page, choices, start: int = 0):
    """Tap one face per screen (None = skip), waiting for each screen to show and to accept taps."""
    for index, value in enumerate(choices, start=start):
        screen = page.locator(f".k-screen[data-index='{index}']")
        screen.wait_for(state="visible")
        page.locator(f"#kiosk[data-current='{index}'][data-accepting='1']").wait_for(state="attached")
        if value is None:
            screen.locator("button.k-skip").tap()
        else:
            screen.locator(f"button.level-{value}").tap()


def _wait_until(page, expression: str, seconds: float = 10.0) -> None:
    """Poll a JS expression from here: wait_for_function would eval() it in the page, which our CSP forbids."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.05)


def _rate_several(page, values):
    """One citizen per value, each giving that face to all six questions."""
    for value in values:
        page.locator(".k-screen[data-index='0']").wait_for(state="visible")
        _answer_all(page, [value] * 6)
        page.locator("#k-thanks").wait_for(state="visible")


@pytest.fixture
def touch_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, has_touch=True, locale="vi-VN")
    pg = context.new_page()
    yield pg
    context.close()


def test_a_citizen_completes_a_rating_by_touch(live, touch_page):
    page = touch_page
    _enrol(live, page)
    screenshot(page, "kiosk-first-screen")
    _answer_all(page, [5, 4, None, 5, 4, 3])
    page.locator("#k-thanks").wait_for(state="visible")
    stored = _wait_for_stored(live)
    assert stored == [(1, {"S0": 5, "S1": 4, "S3": 5, "S4": 4, "S5": 3})]
    # After the thank-you screen the next citizen starts from a clean first screen.
    page.locator(".k-screen[data-index='0']").wait_for(state="visible")


def test_inactivity_resets_and_drops_partial_answers(live, touch_page):
    page = touch_page
    _enrol(live, page)
    _answer_all(page, [1, 1])  # a citizen walks away after two answers
    page.locator(".k-screen[data-index='2']").wait_for(state="visible")
    page.locator(".k-screen[data-index='0']").wait_for(state="visible", timeout=6000)  # 2 s idle in this app
    _answer_all(page, [4, 4, 4, 4, 4, 4])
    page.locator("#k-thanks").wait_for(state="visible")
    stored = _wait_for_stored(live)
    assert len(stored) == 1 and set(stored[0][1].values()) == {4}  # nothing of the first citizen


def test_offline_responses_queue_and_arrive_exactly_once(live, touch_page):
    page = touch_page
    _enrol(live, page)
    page.context.set_offline(True)
    _rate_several(page, (5, 3, 1))
    page.locator("#k-queue[data-waiting='3']").wait_for(state="attached", timeout=5000)
    screenshot(page, "kiosk-offline-queue")
    assert _kiosk_responses(live) == []
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.locator("#k-queue[data-waiting='0']").wait_for(state="attached", timeout=15000)
    stored = _kiosk_responses(live)
    assert [seq for seq, _ in stored] == [1, 2, 3]
    assert [set(answers.values()) for _, answers in stored] == [{5}, {3}, {1}]
    s = live.session()
    assert s.scalar(select(func.count()).select_from(Response).where(Response.device_id.is_not(None))) == 3
    s.close()


def test_offline_burst_survives_a_reload_while_offline(live, touch_page):
    """The network gone (server unreachable and the browser offline), three ratings, the page reloaded
    (served by the service worker from its cache), two more, then back online: five responses arrive
    exactly once with device sequence numbers 1..5, no gaps."""
    page = touch_page
    _enrol(live, page)
    _wait_until(page, "navigator.serviceWorker.controller !== null")
    # Playwright's offline mode does not cover requests a service worker lets through, so the server is
    # also taken off the network: every request now fails as on a tablet whose connection dropped.
    live.disconnect()
    page.context.set_offline(True)
    _rate_several(page, (5, 4, 3))
    page.locator("#k-queue[data-waiting='3']").wait_for(state="attached", timeout=5000)
    page.reload()
    page.wait_for_selector("#kiosk[data-ready='1']")
    page.locator("#k-queue[data-waiting='3']").wait_for(state="attached", timeout=5000)  # the queue survived
    _rate_several(page, (2, 1))
    page.locator("#k-queue[data-waiting='5']").wait_for(state="attached", timeout=5000)
    screenshot(page, "kiosk-offline-after-reload")
    assert _kiosk_responses(live) == []
    live.reconnect()
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.locator("#k-queue[data-waiting='0']").wait_for(state="attached", timeout=20000)
    stored = _kiosk_responses(live)
    assert [seq for seq, _ in stored] == [1, 2, 3, 4, 5]
    assert [set(answers.values()) for _, answers in stored] == [{5}, {4}, {3}, {2}, {1}]


def test_the_kiosk_keeps_queuing_while_the_server_disk_is_full(demo_template, tmp_path, touch_page):
    """The server answers 503 (storage full): the tablet keeps both ratings, says so, and delivers them once
    when space is freed."""
    import shutil

    from sqlalchemy import create_engine

    from sipas import create_app
    from sipas.db import session_factory
    from tests.browser.conftest import LiveServer
    from tests.conftest import private_dirs
    from tests.faults.disk import fill, small_tmpfs
    size_mb = demo_template.stat().st_size // 2 ** 20 + 12
    with small_tmpfs(size_mb) as disk:
        path = disk / "live.sqlite"
        shutil.copy(demo_template, path)
        app = create_app({**private_dirs(tmp_path), "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "browser-test",
                          "RATELIMIT_ENABLED": False, "KIOSK_THANKS_SECONDS": 1})
        live = LiveServer(app)
        try:
            page = touch_page
            _enrol(live, page)
            engine = create_engine(f"sqlite:///{path}")
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # the next write must grow a file
            engine.dispose()
            filler = fill(disk)
            _rate_several(page, (5, 2))
            page.locator("#k-queue[data-waiting='2']").wait_for(state="attached", timeout=10000)
            page.wait_for_timeout(1500)  # its retries meet 503 again: still waiting, nothing dropped
            assert page.locator("#k-queue").get_attribute("data-waiting") == "2"
            assert page.locator("#k-queue").get_attribute("data-rejected") == "0"
            screenshot(page, "kiosk-queue-disk-full")
            filler.unlink()
            page.evaluate("window.dispatchEvent(new Event('online'))")  # as when the tablet retries on its own
            page.locator("#k-queue[data-waiting='0']").wait_for(state="attached", timeout=20000)
            stored = _kiosk_responses(live)
            assert [seq for seq, _ in stored] == [1, 2]
            assert [set(a.values()) for _, a in stored] == [{5}, {2}]
        finally:
            live.stop()
            session_factory(app).kw["bind"].dispose()
