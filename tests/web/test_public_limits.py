"""Rate limits on public forms: per link and per client, so that nobody can close a link for everyone.

Junk from many addresses must not lock genuine citizens out; citizens behind one proxy address must not block
each other; a form sent back with a summary of unanswered questions is not a post; a refused post keeps the
answers and says in Vietnamese when to try again.
"""
from __future__ import annotations

import re
import shutil
import uuid

import pytest
from sqlalchemy import func, select

from sipas import create_app
from sipas.db import session_factory
from sipas.models import Channel, Response
from tests.conftest import private_dirs
from tests.web.test_online import URL, _full_answers


@pytest.fixture
def limited_app(demo_template, tmp_path):
    """The demo with rate limits on (the other tests switch them off), in a fresh memory storage."""
    path = tmp_path / "d.sqlite"
    shutil.copy(demo_template, path)
    app = create_app({**private_dirs(tmp_path), "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "s", "RATELIMIT_ENABLED": True})
    yield app
    session_factory(app).kw["bind"].dispose()


def _citizen(app, address="203.0.113.7"):
    """A browser that opened the form (and so holds its own token), from the given address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    assert client.get(URL).status_code == 200
    return client


def _send(client, **extra):
    return client.post(URL, data={**_full_answers(), "response_id": str(uuid.uuid4()), **extra})


def _stored(app) -> int:
    s = session_factory(app)()
    try:
        return s.scalar(select(func.count()).select_from(Response).where(Response.channel == Channel.ONLINE))
    finally:
        s.close()


def test_a_refused_post_keeps_the_answers_and_says_when_to_try_again(limited_app):
    client = _citizen(limited_app)
    assert [_send(client).status_code for _ in range(20)] == [302] * 20
    refused = _send(client, S1="2", comment="")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    # In Vietnamese, to Ông/Bà, with a time of day (Vietnam time) and the answers still ticked.
    assert "Ông/Bà" in page and "bấm Gửi phiếu lại sau" in page and re.search(r"sau \d\d:\d\d", page)
    assert '<input checked id="S1-1" name="S1" type="radio" value="2">' in page
    assert _stored(limited_app) == 20


def test_junk_from_many_addresses_does_not_close_the_link(limited_app):
    # 32 senders, each at its own limit (the old per-link ceiling of 600 posts an hour closed the link here).
    for n in range(32):
        junk = limited_app.test_client()
        junk.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        codes = [_send(junk, S1="1").status_code for _ in range(21)]
        assert codes == [302] * 20 + [429]
    assert _send(_citizen(limited_app, "192.0.2.50")).status_code == 302


def test_citizens_behind_one_proxy_address_do_not_block_each_other(limited_app):
    # 30 citizens in one office behind one address: each browser has its own allowance.
    codes = [_send(_citizen(limited_app, "203.0.113.9")).status_code for _ in range(30)]
    assert codes == [302] * 30
    assert _stored(limited_app) == 30


def test_one_sender_fetching_fresh_cookies_meets_the_address_ceiling(demo_template, tmp_path):
    path = tmp_path / "d.sqlite"
    shutil.copy(demo_template, path)
    app = create_app({**private_dirs(tmp_path), "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "s", "RATELIMIT_ENABLED": True,
                      "PUBLIC_POSTS_PER_ADDRESS": "5 per hour"})
    codes = [_send(_citizen(app, "203.0.113.10")).status_code for _ in range(6)]
    assert codes == [302] * 5 + [429]
    assert _send(_citizen(app, "203.0.113.11")).status_code == 302  # another address is not affected
    session_factory(app).kw["bind"].dispose()


def test_forms_sent_back_with_unanswered_questions_do_not_count(limited_app):
    client = _citizen(limited_app)
    for _ in range(25):  # each comes back with the summary of unanswered questions: nothing stored
        page = client.post(URL, data={"S1": "5", "response_id": str(uuid.uuid4())})
        assert page.status_code == 200 and "câu chưa trả lời" in page.get_data(as_text=True)
    assert _send(client).status_code == 302


def test_citizens_behind_one_address_type_invitation_codes_without_blocking_each_other(limited_app):
    answers = []
    for _ in range(70):  # 70 citizens of one office, each opening the page and mistyping their code once
        client = limited_app.test_client()
        client.environ_base["REMOTE_ADDR"] = "203.0.113.12"
        assert client.get("/i/").status_code == 200
        answers.append(client.get("/i/", query_string={"code": "ABCD-EFGH-JKLM-NPQR"}).status_code)
    assert answers == [422] * 70
    one = limited_app.test_client()  # one browser trying code after code is still stopped
    one.environ_base["REMOTE_ADDR"] = "203.0.113.13"
    one.get("/i/")
    tries = [one.get("/i/", query_string={"code": f"ABCD-EFGH-JKLM-{n:04d}"}).status_code for n in range(61)]
    assert tries == [422] * 60 + [429]
