"""Browser tests: a live server on loopback and Debian's Chromium driven by Playwright.

Chromium is never downloaded: Playwright starts /usr/bin/chromium (installed by .ci/run from Debian).
Where it is absent the tests skip with the reason, except when SIPAS_REQUIRE_BROWSER=1 (CI), where they fail.
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from sipas import create_app
from tests.conftest import private_dirs
from sipas.db import session_factory

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the session."""
    if not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("SIPAS_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class LiveServer:
    """The real app served by Werkzeug in a background thread."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def session(self):
        """A database session on the server's database."""
        return session_factory(self.app)()

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)
        self.server.server_close()

    def disconnect(self):
        """Take the server off the network (connections refused), as when a tablet's network drops."""
        self.stop()

    def reconnect(self):
        """Serve again on the same port."""
        self.server = make_server("127.0.0.1", self.server.server_port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()


@pytest.fixture
def live(demo_template, tmp_path):
    """A live server on a private copy of the demo database."""
    path = tmp_path / "live.sqlite"
    shutil.copy(demo_template, path)
    app = create_app({**private_dirs(tmp_path), "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "browser-test", "RATELIMIT_ENABLED": False,
                      "KIOSK_INACTIVITY_SECONDS": 2, "KIOSK_THANKS_SECONDS": 1})
    server = LiveServer(app)
    yield server
    server.stop()
    session_factory(app).kw["bind"].dispose()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies, storage or service workers from another test)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    pg = context.new_page()
    yield pg
    context.close()


def screenshot(pg, name: str) -> Path:
    """Keep a screenshot as a test artefact (test-artifacts/, ignored by git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path
