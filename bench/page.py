"""The kiosk page in headless Chromium with CPU throttling: bytes transferred (fonts included: the page uses the
tablet's system fonts, so there are none to fetch) and time to interactive, against a minimal page from the
same server in the same run.

    python bench/page.py                 # 4x CPU slow-down (a low-end tablet), 5 loads each
    python bench/page.py --cpu 6 --runs 10

Time to interactive here is the moment kiosk.js marks the kiosk ready (#kiosk[data-ready=1]: the screens
respond to a touch and the offline queue is open), taken from the page's own clock (performance.now()).
The baseline is /healthz rendered as a document: the cost of a navigation on this machine, with no app.
Needs Debian's Chromium (/usr/bin/chromium) and Playwright.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import logging  # noqa: E402

from werkzeug.serving import make_server  # noqa: E402

from bench.harness import prepare_kiosk_round  # noqa: E402
from sipas import create_app  # noqa: E402

READY_PROBE = """
window.__ready = null;
new MutationObserver(function (_, obs) {
  var k = document.getElementById('kiosk');
  if (k && k.dataset.ready === '1' && window.__ready === null) { window.__ready = performance.now(); obs.disconnect(); }
}).observe(document, {subtree: true, attributes: true, childList: true});
"""


def measure(browser, url: str, cpu: float, ready: bool, cookies=None) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN",
                                  service_workers="block")  # a first visit: nothing cached
    if cookies:
        context.add_cookies(cookies)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu})
    cdp.send("Network.enable")
    transferred = {}
    cdp.on("Network.loadingFinished", lambda e: transferred.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.add_init_script(READY_PROBE)
    page.goto(url, wait_until="load")
    if ready:
        # Polled from here: wait_for_function would eval() in the page, which the kiosk's CSP forbids.
        deadline = time.monotonic() + 30
        while page.evaluate("window.__ready") is None:
            if time.monotonic() > deadline:
                raise RuntimeError("the kiosk never became ready")
            time.sleep(0.01)
    timing = page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
        return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, ready: window.__ready}; }""")
    page.wait_for_timeout(200)  # let the last loadingFinished events arrive
    context.close()
    return {"bytes": sum(transferred.values()), "requests": len(transferred), **timing}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpu", type=float, default=4.0, help="Chromium CPU throttling factor")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not Path("/usr/bin/chromium").exists():
        sys.exit("Chromium not found at /usr/bin/chromium (apt-get install chromium)")
    folder = Path(tempfile.mkdtemp(prefix="sipas-page-"))
    url = f"sqlite:///{folder / 'page.sqlite'}"
    target = prepare_kiosk_round(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-page", "RATELIMIT_ENABLED": False,
                      "JOBS_URL": f"sqlite:///{folder / 'jobs.sqlite'}", "DEMO_ON_FIRST_START": False})
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    from playwright.sync_api import sync_playwright
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--headless=new", "--no-sandbox", "--disable-gpu"])
            # The device cookie an enrolled tablet holds (enrolment by one-time code is not what is measured).
            cookies = [{"name": "sipas_kiosk", "value": target.token, "url": base, "httpOnly": True,
                        "sameSite": "Strict"}]
            kiosk, baseline = [], []
            for _ in range(args.runs):
                baseline.append(measure(browser, f"{base}/healthz", args.cpu, False))
                kiosk.append(measure(browser, f"{base}/kiosk/", args.cpu, True, cookies))
            browser.close()
    finally:
        server.shutdown()
        shutil.rmtree(folder, ignore_errors=True)

    def med(rows, key):
        return statistics.median(r[key] for r in rows)

    print(f"headless Chromium, CPU throttled {args.cpu:g}x, {args.runs} first visits each (medians)")
    print(f"  kiosk page: {med(kiosk, 'bytes') / 1024:.1f} KiB transferred in {kiosk[0]['requests']} requests "
          f"(fonts: none, system fonts)")
    print(f"  kiosk page: DOMContentLoaded {med(kiosk, 'dcl'):.0f} ms, load {med(kiosk, 'load'):.0f} ms, "
          f"interactive {med(kiosk, 'ready'):.0f} ms")
    print(f"  baseline (/healthz as a document): load {med(baseline, 'load'):.0f} ms, "
          f"{med(baseline, 'bytes') / 1024:.1f} KiB")
    print(f"  ratio: kiosk interactive / baseline load = {med(kiosk, 'ready') / med(baseline, 'load'):.2f}")


if __name__ == "__main__":
    main()
