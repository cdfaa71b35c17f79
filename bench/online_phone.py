"""The full online questionnaire filled in on a small phone (360x640, touch) in headless Chromium: screens,
taps and time per citizen, for the form one section per screen (A, with online.js) against the same form as
one long page without JavaScript (B, the baseline doing the same work: the same answers, one Send).

    python bench/online_phone.py                      # 3 rounds of A/B/B/A
    python bench/online_phone.py --runs 5 --shots docs/screenshots
    python bench/online_phone.py --runs 0 --lighthouse node_modules/.bin/lighthouse   # accessibility scores

Every question gets an answer (the first option; two boxes in "choose at most 3"), so the server's summary of
missing answers never shows. "Screens" are phone-screen heights the citizen scrolls through (the page height
over 640 px, summed over the sections shown); taps count every answer, Continue and Send. The time runs from
the first navigation to the thank-you page; it is a script's time on this machine, not a person's reading
time. Needs Debian's Chromium (/usr/bin/chromium) and Playwright.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from sipas import create_app  # noqa: E402
from sipas.db import session_factory, session_scope  # noqa: E402
from sipas.models import Base  # noqa: E402
from sipas.services import credentials  # noqa: E402
from sipas.services.demo import load_demo  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PATH = "/r/LCU-2026/LCU.STP"
HEIGHT = 640


def demo_server(folder: Path):
    """The app on a fresh demo database (SQLite), served in a thread; returns (url, server)."""
    config = {"DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite'}", "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
              "JOBS_URL": f"sqlite:///{folder / 'jobs.sqlite'}", "EXPORT_DIR": str(folder / "exports"),
              "DEMO_ON_FIRST_START": False}
    app = create_app(config)
    Base.metadata.create_all(session_factory(app).kw["bind"])
    with session_scope(app) as s:
        load_demo(s, scale=0.2)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def _answer_visible(page) -> int:
    """Tap the first option of every question on screen and two boxes of a block; returns the taps."""
    taps = 0
    for question in page.locator(".o-question").all():
        if question.is_visible():
            question.locator("label.o-option").first.tap()
            taps += 1
    boxes = page.locator("fieldset[data-max] label.o-check")
    if boxes.count() and boxes.first.is_visible():
        boxes.nth(0).tap()
        boxes.nth(1).tap()
        taps += 2
    return taps


def _screens(page) -> float:
    return page.evaluate("document.documentElement.scrollHeight") / HEIGHT


def fill_paged(page, url: str, shots: Path | None) -> dict:
    """A: one section per screen, Continue between sections, Send on the last."""
    start = time.perf_counter()
    page.goto(url + PATH)
    taps, screens, sections = 0, 0.0, 0
    while True:
        sections += 1
        taps += _answer_visible(page)
        screens += _screens(page)
        if shots is not None and sections <= 2:
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(shots / f"online-phone-section-{sections}.png"))
        if page.locator("button.o-send").is_visible():
            break
        page.locator("button.o-next").tap()
        taps += 1
    page.locator("button.o-send").tap()
    page.locator("[data-sent='1']").wait_for()
    return {"seconds": time.perf_counter() - start, "taps": taps + 1, "screens": screens, "sections": sections}


def fill_one_page(page, url: str, shots: Path | None) -> dict:
    """B: the same answers on one long page (no JavaScript), one Send."""
    start = time.perf_counter()
    page.goto(url + PATH)
    screens = _screens(page)
    taps = _answer_visible(page)
    page.locator("button.o-send").tap()
    page.locator("[data-sent='1']").wait_for()
    return {"seconds": time.perf_counter() - start, "taps": taps + 1, "screens": screens, "sections": 1}


def run(url: str, runs: int, shots: Path | None) -> dict[str, list[dict]]:
    """Rounds of A/B/B/A in one Chromium; each citizen in a fresh context (no storage from the last one)."""
    out: dict[str, list[dict]] = {"A": [], "B": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for n in range(runs):
            for variant in ("A", "B", "B", "A"):  # alternated, so drift on a loaded machine hits both alike
                context = browser.new_context(viewport={"width": 360, "height": HEIGHT}, is_mobile=True,
                                              has_touch=True, locale="vi-VN", java_script_enabled=variant == "A")
                page = context.new_page()
                fill = fill_paged if variant == "A" else fill_one_page
                out[variant].append(fill(page, url, shots if n == 0 else None))
                context.close()
        browser.close()
    return out


def _kiosk_cookie(url: str, app) -> str:
    """Enrol a kiosk as staff would (a one-time code on the enrolment screen); its cookie for Lighthouse."""
    with session_scope(app) as s:
        device, _token = credentials.enrol_kiosk(s, "LCU.STP.MC")
        code = credentials.issue_enrolment_code(device)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(url + "/kiosk/enrol")
        page.fill("#k-code", code)
        page.locator(".k-enrol-form button[type=submit]").click()
        page.wait_for_selector("#kiosk[data-ready='1']")
        cookie = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
        browser.close()
    return cookie


def lighthouse(binary: str, url: str, app) -> None:
    """Lighthouse's accessibility category on the online form (phone) and the kiosk (tablet, enrolled)."""
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    pages = [("online form", url + PATH, ["--form-factor=mobile"], None),
             ("kiosk", url + "/kiosk/", ["--preset=desktop"], _kiosk_cookie(url, app))]
    for name, address, extra, cookie in pages:
        command = [binary, address, "--only-categories=accessibility", "--output=json", "--quiet",
                   "--chrome-flags=--headless=new --no-sandbox --disable-gpu", *extra]
        if cookie:
            command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
        report = json.loads(subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout)
        failed = [a for a in report["audits"].values() if a.get("score") == 0 and a.get("scoreDisplayMode") == "binary"]
        score = round(100 * report["categories"]["accessibility"]["score"])
        print(f"Lighthouse {report['lighthouseVersion']} accessibility, {name}: {score}"
              f"{'; failing: ' + ', '.join(a['id'] for a in failed) if failed else ''}")


def report(results: dict[str, list[dict]]) -> None:
    for variant, name in (("A", "one section per screen (online.js)"), ("B", "one page, no JavaScript")):
        rows = results[variant]
        secs = [r["seconds"] for r in rows]
        print(f"{variant} {name}: sections {rows[0]['sections']}, taps {rows[0]['taps']}, "
              f"screens {rows[0]['screens']:.1f}, time median {statistics.median(secs):.2f} s "
              f"(range {min(secs):.2f}-{max(secs):.2f}, n={len(secs)})")
    ratio = statistics.median(r["seconds"] for r in results["A"]) / statistics.median(
        r["seconds"] for r in results["B"])
    print(f"time A/B (median): {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="rounds of A/B/B/A")
    parser.add_argument("--shots", type=Path, help="folder for screenshots of the first two sections")
    parser.add_argument("--lighthouse", help="path of the lighthouse command (npm package) to score accessibility")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, server = demo_server(Path(tmp))
        try:
            if args.runs:
                report(run(url, args.runs, args.shots))
            if args.lighthouse:
                lighthouse(args.lighthouse, url, server.app)
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
