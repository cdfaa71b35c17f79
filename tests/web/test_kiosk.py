"""Kiosk pages without JavaScript: enrolment cookie, one question per screen, storing, no caching."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from sipas.db import session_factory
from sipas.models import Channel, Response
from sipas.services import credentials


@pytest.fixture
def enrolled(demo_app):
    s = session_factory(demo_app)()
    _, token = credentials.enrol_kiosk(s, "LCU.STP.MC")
    s.commit()
    s.close()
    client = demo_app.test_client()
    r = client.get(f"/kiosk/enrol?token={token}")
    assert r.status_code == 302 and r.headers["Location"].endswith("/kiosk/")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=" in cookie
    return client, token


def test_unknown_device_is_refused(client):
    assert client.get("/kiosk/").status_code == 403
    assert client.get("/kiosk/enrol?token=kd_nope").status_code == 403


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
