"""Vietnamese throughout: on the Vietnamese pages of each role's journey, the text a person sees (innerText in
Chromium, so hidden parts and markup do not count) has no raw code and no English word.

Raw codes are the values the database stores for statuses, maps, profiles, channels, levels, methods and job
states; English words are a short stop list of common interface words. A few names are the same in both
languages (SIPAS, QR, Email...) and agency or serial codes are identifiers people type: those are allowed."""
from __future__ import annotations

import re

import pytest

from tests.browser.test_kiosk_browser import _enrol

pytestmark = pytest.mark.browser

#: Stored values that must reach people as words (sipas/words.py).
RAW_CODES = {
    "draft", "open", "closed", "published", "archived", "new_34", "historical_63", "SIPAS_2640", "SIPAS_1001",
    "KIOSK_RT", "paper_post", "paper_direct", "interview", "online", "invitation", "kiosk", "import", "api",
    "province", "district", "commune", "department", "peoples_committee", "service_centre", "queued", "running",
    "done", "failed", "pending", "valid", "flagged", "excluded", "surveyor", "verifier", "analyst", "admin",
    "agency_manager", "TOP2_BOX", "MEAN_SCORE", "MEAN_OF_FACTORS", "OVERALL_QUESTION", "MEAN_OF_PARTS",
    "POOLED", "WEIGHTED", "MEAN_OF_CHILDREN", "None", "True", "False", "null", "nan",
}
#: Common English interface words (none of them is also a Vietnamese word).
ENGLISH = {
    "the", "and", "of", "with", "choose", "save", "submit", "send", "status", "round", "rounds", "agency",
    "agencies", "level", "channel", "back", "next", "continue", "cancel", "delete", "edit", "download", "upload",
    "login", "logout", "password", "username", "results", "report", "export", "settings", "users", "please",
    "your", "you", "here", "not", "found", "page", "total", "error", "warning", "yes", "view", "new", "sign",
    "question", "questions", "answer", "answers", "form", "forms", "batch", "batches", "serial", "key", "pass",
    "survey", "home", "language", "dashboard", "comments", "index", "sample", "weight", "weights", "method",
}
#: The same in both languages, or names: allowed.
ALLOWED = {"SIPAS", "QR", "Email", "English", "CSV", "Excel", "Word", "PDF", "ID", "TOTP", "API", "Sở", "Ông/Bà"}
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Identifiers people type or read off paper: agency codes (LCU.STP), serials (LCU-2026-000012), round codes.
IDENTIFIER = re.compile(r"\b[A-Z]{2,}[.\-][A-Z0-9][A-Za-z0-9.\-]*")


def foreign_words(text: str, names: frozenset[str] = frozenset()) -> set[str]:
    """Raw codes and English words found in a page's visible text (`names`: a user's own login name)."""
    found = set()
    for word in WORD.findall(IDENTIFIER.sub(" ", text)):
        if word in ALLOWED or word in names:
            continue
        if word in RAW_CODES or word.lower() in ENGLISH:
            found.add(word)
    return found


def test_the_detector_finds_codes_and_english():
    assert foreign_words("Trạng thái: open · Bản đồ new_34 · Save") == {"open", "new_34", "Save"}
    assert foreign_words("Cơ quan LCU.STP, phiếu LCU-2026-000012, SIPAS, mã QR") == set()
    assert foreign_words("Chỉ được chọn tối đa 3 phương án / choose at most 3") == {"choose"}


#: Visible text, leaving out what is marked as not to be translated: file column names, JSON details.
VISIBLE_TEXT = """() => {
  const kept = Array.from(document.querySelectorAll("code, kbd, samp, [translate=no]"));
  kept.forEach(e => { e.dataset.was = e.style.visibility; e.style.visibility = "hidden"; });
  const text = document.body.innerText;
  kept.forEach(e => { e.style.visibility = e.dataset.was; });
  return text;
}"""


def _visible(page) -> str:
    return page.evaluate(VISIBLE_TEXT)


def _login(live, page, username: str) -> None:
    page.goto(f"{live.url}/auth/login?lang=vi")
    page.fill("#username", username)
    page.fill("#password", "demo-sipas-2026")
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()


def _check(live, page, paths: list[str], names: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Path -> the foreign words, each with the line it stands in (to find it quickly)."""
    found = {}
    for path in paths:
        page.goto(f"{live.url}{path}")
        text = _visible(page)
        words = foreign_words(text, names)
        if words:
            found[path] = [line.strip()[:100] for line in text.splitlines() if foreign_words(line, names)]
    return found


CITIZEN = ["/r/LCU-2026/LCU.STP", "/i/", "/i/?code=AAAA-BBBB", "/r/LCU-2026/NO-SUCH", "/r/LCU-2024/LCU.STP",
           "/r/LCU-2026/thanks", "/"]


def test_citizen_pages_in_vietnamese(live, browser):
    # Without JavaScript every section of the questionnaire is on screen at once, so all of it is read.
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale="vi-VN", java_script_enabled=False)
    try:
        assert _check(live, context.new_page(), CITIZEN) == {}
    finally:
        context.close()


def test_kiosk_screens_in_vietnamese(live, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN", has_touch=True)
    try:
        page = context.new_page()
        assert _check(live, page, ["/kiosk/"]) == {}  # not enrolled: the staff sentence
        _enrol(live, page)
        assert foreign_words(_visible(page)) == set()
    finally:
        context.close()


#: The demo's login names: people's own names for themselves, shown as they typed them.
USERNAMES = frozenset({"admin", "analyst", "surveyor", "verifier", "manager"})
STAFF = {
    "surveyor": ["/entry/", "/auth/password"],
    "verifier": ["/entry/", "/entry/adjudicate"],
    "analyst": ["/dashboard/LCU-2026", "/dashboard/LCU-2024", "/dashboard/LCU-2026/comments"],
    "admin": ["/admin/", "/admin/rounds/LCU-2026", "/admin/rounds/new", "/admin/users", "/admin/kiosks",
              "/admin/apikeys", "/admin/audit", "/admin/agencies/import", "/admin/rounds/LCU-2026/sample",
              "/admin/rounds/LCU-2026/publish"],
}


@pytest.mark.parametrize("role", sorted(STAFF))
def test_staff_pages_in_vietnamese(live, page, role):
    _login(live, page, role)
    assert _check(live, page, STAFF[role], names=USERNAMES) == {}
