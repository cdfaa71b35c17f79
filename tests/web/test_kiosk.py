"""Kiosk pages without JavaScript: enrolment cookie, one question per screen, storing, no caching."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from sipas.db import session_factory
from sipas.models import Channel, KioskDevice, Response
from sipas.services import credentials


def _enrolment_code(app, point: str = "LCU.STP.MC"):
    s = session_factory(app)()
    device, _ = credentials.enrol_kiosk(s, point)
    code = credentials.issue_enrolment_code(device)
    s.commit()
    device_id = s.scalar(select(func.max(KioskDevice.id)))
    s.close()
    return code, device_id


@pytest.fixture
def enrolled(demo_app):
    code, device_id = _enrolment_code(demo_app)
    client = demo_app.test_client()
    assert client.get("/kiosk/enrol").status_code == 200  # the code form for staff
    r = client.post("/kiosk/enrol", data={"code": code.lower()})  # typed in small letters: still accepted
    assert r.status_code == 302 and r.headers["Location"].endswith("/kiosk/")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=" in cookie
    token = cookie.split(";", 1)[0].split("=", 1)[1]
    return client, token


def test_unknown_device_is_refused(client):
    r = client.get("/kiosk/")
    page = r.get_data(as_text=True)
    assert r.status_code == 403
    # A sentence for staff and the code form, never a command line.
    assert "Dành cho cán bộ" in page and 'name="code"' in page and "sipas kiosk" not in page
    assert "Liên hệ: Văn phòng Sở Nội vụ" in page
    assert client.get("/kiosk/enrol?token=kd_nope").status_code == 200  # a token in the URL is ignored
    assert "sipas_kiosk=" not in client.get("/kiosk/enrol?token=kd_nope").headers.get("Set-Cookie", "")


def test_an_enrolment_code_works_once_and_the_token_never_appears_in_a_page(enrolled, demo_app):
    client, token = enrolled
    page = client.get("/kiosk/").get_data(as_text=True)
    assert token.startswith("kd_") and token not in page
    # The same code cannot enrol a second tablet, and a wrong or expired code is refused with a message.
    code, device_id = _enrolment_code(demo_app)
    other = demo_app.test_client()
    assert other.post("/kiosk/enrol", data={"code": code}).status_code == 302
    third = demo_app.test_client()
    r = third.post("/kiosk/enrol", data={"code": code})
    assert r.status_code == 422 and "sipas_kiosk=" not in r.headers.get("Set-Cookie", "")
    assert "đã được dùng" in r.get_data(as_text=True)
    s = session_factory(demo_app)()
    device = s.get(KioskDevice, device_id)
    expired = credentials.issue_enrolment_code(device, now=datetime.now(timezone.utc) - timedelta(minutes=16))
    s.commit()
    s.close()
    assert third.post("/kiosk/enrol", data={"code": expired}).status_code == 422
    assert third.get("/kiosk/").status_code == 403


def test_a_new_code_moves_the_enrolment_to_a_new_tablet(enrolled, demo_app):
    client, token = enrolled
    s = session_factory(demo_app)()
    device = credentials.authenticate(s, token)
    code = credentials.issue_enrolment_code(device)
    s.commit()
    s.close()
    replacement = demo_app.test_client()
    assert replacement.post("/kiosk/enrol", data={"code": code}).status_code == 302
    assert replacement.get("/kiosk/").status_code == 200
    assert client.get("/kiosk/").status_code == 403  # the old token stopped working


def test_first_screen_is_the_overall_question_with_five_large_choices(enrolled):
    client, _ = enrolled
    r = client.get("/kiosk/")
    page = r.get_data(as_text=True)
    assert r.headers["Cache-Control"] == "no-store"
    assert "Ông/Bà hài lòng thế nào về sự phục vụ hôm nay?" in page
    assert page.count('name="answer" value="S0:') == 5 and "Rất hài lòng" in page
    assert "Sở Tư pháp" in page
    assert 'http-equiv="refresh" content="60;' in page  # idle reset without JavaScript


def test_answering_screen_by_screen_stores_one_kiosk_response(enrolled, demo_app):
    client, _ = enrolled
    data = {"step": "0", "answer": "S0:5"}
    page = client.post("/kiosk/", data=data).get_data(as_text=True)
    assert 'name="a_S0" value="5"' in page
    collected = {"a_S0": "5"}
    for step, answer in enumerate(["S1:4", "S2:", "S3:5", "S4:4"], start=1):
        page = client.post("/kiosk/", data={"step": str(step), "answer": answer, **collected}).get_data(as_text=True)
        code, value = answer.split(":")
        if value:
            collected[f"a_{code}"] = value
    r = client.post("/kiosk/", data={"step": "5", "answer": "S5:3", **collected})
    assert r.status_code == 302 and r.headers["Location"].endswith("/kiosk/thanks")
    thanks = client.get("/kiosk/thanks").get_data(as_text=True)
    assert "Cảm ơn" in thanks and 'http-equiv="refresh" content="5;' in thanks
    s = session_factory(demo_app)()
    stored = s.scalars(select(Response).where(Response.channel == Channel.KIOSK).order_by(Response.id.desc())).first()
    assert {a.item_code: a.value for a in stored.answers} == {"S0": 5, "S1": 4, "S3": 5, "S4": 4, "S5": 3}
    assert stored.device_id is not None and stored.service_point.code == "LCU.STP.MC"
    s.close()


def test_revoked_device_is_locked_out(enrolled, demo_app):
    client, token = enrolled
    s = session_factory(demo_app)()
    credentials.revoke(credentials.authenticate(s, token))
    s.commit()
    s.close()
    assert client.get("/kiosk/").status_code == 403


def test_service_worker_is_served_under_the_kiosk_scope(enrolled):
    client, _ = enrolled
    with client.get("/kiosk/sw.js") as r:  # a file response: close it, or the file handle leaks
        assert r.status_code == 200 and "javascript" in r.mimetype and "caches" in r.get_data(as_text=True)


def _answer_all(client, answers, form_id):
    """Post screen after screen as a browser without JavaScript would; returns the last reply."""
    collected: dict[str, str] = {}
    reply = None
    for step, answer in enumerate(answers):
        reply = client.post("/kiosk/", data={"step": str(step), "answer": answer, "form_id": form_id, **collected})
        code, value = answer.split(":")
        if value:
            collected[f"a_{code}"] = value
    return reply, collected


def _kiosk_count(app) -> int:
    s = session_factory(app)()
    try:
        return s.scalar(select(func.count()).select_from(Response).where(Response.channel == Channel.KIOSK))
    finally:
        s.close()


def test_reposting_the_last_step_without_javascript_stores_one_response(enrolled, demo_app):
    client, _ = enrolled
    page = client.get("/kiosk/").get_data(as_text=True)
    form_id = re.search(r'name="form_id" value="([0-9a-f-]{36})"', page).group(1)
    before = _kiosk_count(demo_app)
    reply, collected = _answer_all(client, ["S0:5", "S1:4", "S2:3", "S3:5", "S4:4", "S5:3"], form_id)
    assert reply.status_code == 302
    # The browser re-sends the last step (Back then resend, a double submit): still one response.
    again = client.post("/kiosk/", data={"step": "5", "answer": "S5:3", "form_id": form_id,
                                         **{k: v for k, v in collected.items() if k != "a_S5"}})
    assert again.status_code == 302 and again.headers["Location"].endswith("/kiosk/thanks")
    assert _kiosk_count(demo_app) == before + 1
    # The next citizen's page carries a new form id.
    assert form_id not in client.get("/kiosk/").get_data(as_text=True)


def test_back_and_language_switch_keep_the_answers_without_javascript(enrolled):
    client, _ = enrolled
    page = client.post("/kiosk/", data={"step": "1", "answer": "S1:2", "a_S0": "5"}).get_data(as_text=True)
    assert 'name="step" value="2"' in page and 'name="a_S1" value="2"' in page
    back = client.post("/kiosk/", data={"step": "2", "nav": "back", "a_S0": "5", "a_S1": "2"}).get_data(as_text=True)
    assert 'name="step" value="1"' in back and 'name="a_S0" value="5"' in back
    assert "Quay lại" in back and "Làm lại từ đầu" in back
    english = client.post("/kiosk/?lang=en",
                          data={"step": "1", "switch_lang": "en", "a_S0": "5"}).get_data(as_text=True)
    assert 'name="step" value="1"' in english and 'name="a_S0" value="5"' in english
    assert "How satisfied are you with access to the service" in english
    # The language is never remembered for the next citizen.
    assert "Ông/Bà hài lòng thế nào về sự phục vụ hôm nay?" in client.get("/kiosk/").get_data(as_text=True)


def test_questions_are_questions_and_zoom_is_allowed(enrolled):
    import surveys
    client, _ = enrolled
    page = client.get("/kiosk/").get_data(as_text=True)
    assert "user-scalable=no" not in page and "maximum-scale" not in page
    for item in surveys.load("KIOSK_RT").items:
        assert item.text.get("vi").startswith("Ông/Bà") and item.text.get("vi").endswith("?"), item.code
