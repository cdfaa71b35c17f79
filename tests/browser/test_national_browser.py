"""The national round's league table and a province page in Chromium, at a desk's width and a phone's, checked
with axe-core (0 violations) and kept as screenshots (test artefacts).

axe is injected with eval, which the site's Content-Security-Policy forbids: as in test_axe_browser.py the
check runs in a context that bypasses CSP."""
from __future__ import annotations

import shutil

import pytest

from sipas import create_app
from sipas.db import session_factory, session_scope
from tests.browser.conftest import LiveServer, screenshot
from tests.conftest import private_dirs

pytestmark = pytest.mark.browser
PASSWORD = "demo-sipas-2026"


@pytest.fixture
def national_live(national_template, tmp_path):
    """A live server on a private copy of the demo with the national rounds, and a national analyst."""
    from sipas.models import Role
    from sipas.services.accounts import create_user
    path = tmp_path / "live.sqlite"
    shutil.copy(national_template, path)
    app = create_app({**private_dirs(tmp_path), "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "browser-test",
                      "RATELIMIT_ENABLED": False})
    with session_scope(app) as s:
        create_user(s, "vn_analyst", PASSWORD, [Role.ANALYST], check_password=False)
    server = LiveServer(app)
    yield server
    server.stop()
    session_factory(app).kw["bind"].dispose()


def _violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe
    results = Axe().run(page)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_league_table_and_a_province_page_read_well(national_live, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="vi-VN", bypass_csp=True,
                                  is_mobile=width < 500, has_touch=width < 500)
    try:
        page = context.new_page()
        page.goto(f"{national_live.url}/auth/login")
        page.fill("#username", "vn_analyst")
        page.fill("#password", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/admin/")
        page.goto(f"{national_live.url}/dashboard/VN-2026")
        league = page.locator("section[aria-labelledby='h-league'] svg")
        assert league.bounding_box()["height"] > 34 * 10  # one row per province
        assert page.locator("section[aria-labelledby='h-league'] svg circle.dot").count() == 34
        assert page.locator("#league tbody tr").count() == 34
        # The page itself never scrolls sideways on a phone: only the wide table scrolls in its own box.
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        assert _violations(page) == []
        screenshot(page, f"national-league-{width}")
        page.locator("#league tbody tr").nth(2).locator("a").click()
        page.wait_for_url("**/province/**")
        assert page.locator("#province-rank").is_visible() and page.locator("#province-indices tr").count() == 4
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        assert _violations(page) == []
        screenshot(page, f"national-province-{width}")
    finally:
        context.close()
