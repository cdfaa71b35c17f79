"""Online questionnaires: public links, the missing-answers summary, honeypot, bursts, invitations, limits."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

import surveys
from sipas import create_app
from tests.conftest import private_dirs
from sipas.db import session_factory
from sipas.models import Agency, Channel, Invitation, Response, ResponseStatus, Round
from sipas.services import invitations

URL = "/r/LCU-2026/LCU.STP"


def _full_answers(value_sat="4", value_yes="1"):
    profile = surveys.load("SIPAS_1001")  # LCU-2026's questionnaire: policy part A and service part B
    data = {}
    for item in profile.items:
        if item.kind in ("assessment", "policy_assessment"):
            data[item.code] = value_yes
        elif item.kind in ("satisfaction", "overall", "policy_satisfaction"):
            data[item.code] = value_sat
    return data


def _online(app):
    s = session_factory(app)()
    try:
        rows = s.scalars(select(Response).where(Response.channel == Channel.ONLINE).order_by(Response.id)).all()
        return [(r.channel, r.status, r.flag_reason, {a.item_code: a.value for a in r.answers}) for r in rows]
    finally:
        s.close()


def test_public_link_shows_the_questionnaire_in_sections(demo_app):
    page = demo_app.test_client().get(URL).get_data(as_text=True)
    assert "Sở Tư pháp" in page and "Tiếp cận dịch vụ hành chính công" in page
    assert "Phần 1/" in page and 'name="E1.1"' in page and "Không biết / không trả lời" in page
    # "(chọn tối đa 3)" is said once, by the question itself (the live note beside the boxes stays hidden).
    assert 'name="X1"' in page and page.count("chọn tối đa 3") == 1 and "Chọn tối đa 3" not in page
    # Who asks and for how long, at the top.
    assert "Sở Nội vụ tỉnh Lai Châu" in page and "Khoảng " in page and " phút" in page


def test_a_complete_form_is_stored_once_even_if_sent_twice(demo_app):
    client = demo_app.test_client()
    rid = str(uuid.uuid4())
    data = {**_full_answers(), "response_id": rid, "X3": "y", "X5": "y", "comment": "Nhanh gọn"}
    r = client.post(URL, data=data)
    assert r.status_code == 302 and "/thanks" in r.headers["Location"]
    assert client.post(URL, data=data).status_code == 302  # double submit: "already received"
    stored = _online(demo_app)
    assert len(stored) == 1
    channel, status, _, answers = stored[0]
    assert channel is Channel.ONLINE and status is ResponseStatus.VALID
    assert answers["S1"] == 4 and answers["X3"] == 1 and answers["X1"] == 0 and answers["E1.1"] == 1
    assert answers["P1"] == 4 and answers["PA1.1"] == 1


def test_missing_answers_are_summarised_before_sending(demo_app):
    client = demo_app.test_client()
    data = {"response_id": str(uuid.uuid4()), "S1": "5", "S2": "4"}
    page = client.post(URL, data=data).get_data(as_text=True)
    assert "câu chưa trả lời" in page and 'href="#q-E1.1"' in page and 'name="confirm_incomplete" value="1"' in page
    # The policy questions of part A (SIPAS_1001) are asked of everyone too: a blank one is in the summary.
    assert 'href="#q-P1"' in page and 'href="#q-PA1.1"' in page
    assert _online(demo_app) == []
    assert client.post(URL, data={**data, "confirm_incomplete": "1"}).status_code == 302
    assert _online(demo_app)[0][3] == {"S1": 5, "S2": 4}


def test_bad_values_are_refused_with_a_message_and_nothing_stored(demo_app):
    client = demo_app.test_client()
    r = client.post(URL, data={**_full_answers(), "S1": "9", "response_id": str(uuid.uuid4())})
    assert r.status_code == 422 and "S1" in r.get_data(as_text=True)
    r = client.post(URL, data={**_full_answers(), "X1": "y", "X2": "y", "X3": "y", "X4": "y",
                               "response_id": str(uuid.uuid4())})
    assert r.status_code == 422 and "tối đa 3" in r.get_data(as_text=True)
    assert _online(demo_app) == []


def test_honeypot_submissions_are_kept_flagged_not_counted(demo_app):
    client = demo_app.test_client()
    r = client.post(URL, data={**_full_answers(), "website": "http://spam", "response_id": str(uuid.uuid4())})
    assert r.status_code == 302
    [(_, status, reason, _)] = _online(demo_app)
    assert status is ResponseStatus.FLAGGED and "honeypot" in reason


def test_bursts_of_identical_answers_are_flagged_not_dropped(demo_app):
    client = demo_app.test_client()
    for _ in range(4):
        client.post(URL, data={**_full_answers("1", "0"), "response_id": str(uuid.uuid4())})
    stored = _online(demo_app)
    assert len(stored) == 4
    assert [s[1] for s in stored] == [ResponseStatus.VALID, ResponseStatus.VALID, ResponseStatus.FLAGGED,
                                      ResponseStatus.FLAGGED]


def test_unknown_links_are_404_and_closed_rounds_410(demo_app):
    client = demo_app.test_client()
    assert client.get("/r/LCU-2026/NOPE").status_code == 404
    assert client.get("/r/NOPE/LCU.STP").status_code == 404
    assert client.get("/r/LCU-2024/LCU.STP").status_code == 410
    assert client.get("/i/not-a-token").status_code == 404


def test_an_invitation_accepts_exactly_one_response(demo_app):
    s = session_factory(demo_app)()
    rnd = s.scalar(select(Round).where(Round.code == "LCU-2026"))
    agency = s.scalar(select(Agency).where(Agency.code == "LCU.STP"))
    [(inv, token)] = invitations.create_invitations(s, rnd, agency, 1, stratum="province", psu="P1", weight=12.5)
    s.commit()
    s.close()
    client = demo_app.test_client()
    assert client.get(f"/i/{token}").status_code == 200
    assert client.post(f"/i/{token}", data={**_full_answers(), "response_id": str(uuid.uuid4())}).status_code == 302
    page = client.get(f"/i/{token}").get_data(as_text=True)
    assert "đã được gửi" in page
    assert client.post(f"/i/{token}", data={**_full_answers(), "response_id": str(uuid.uuid4())}).status_code == 200
    s = session_factory(demo_app)()
    used = s.scalar(select(Invitation).where(Invitation.id == inv.id))
    response = s.get(Response, used.response_id)
    assert used.used_at is not None and response.channel is Channel.INVITATION
    assert (response.stratum, response.psu, response.weight) == ("province", "P1", 12.5)
    assert s.scalar(select(func.count()).select_from(Response).where(Response.psu == "P1")) == 1
    s.close()


def test_csrf_expiry_keeps_the_answers(demo_template, tmp_path):
    import shutil
    path = tmp_path / "d.sqlite"
    shutil.copy(demo_template, path)
    app = create_app({**private_dirs(tmp_path), "TESTING": True, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "s",
                      "RATELIMIT_ENABLED": False})
    page = app.test_client().post(URL, data={"S1": "5", "csrf_token": "stale"}).get_data(as_text=True)
    assert "Trang đã mở quá lâu" in page and '<input checked id="S1-4" name="S1" type="radio" value="5">' in page
    session_factory(app).kw["bind"].dispose()


def test_citizens_see_questions_not_item_codes(demo_app):
    import re
    page = demo_app.test_client().get("/r/LCU-2026/LCU.STP").get_data(as_text=True)
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S))
    assert not re.search(r"\b(S[0-9]|E[0-9]+\.[0-9]+|X[0-9]+|R[0-9]+|B[0-9]+)\b", visible)


def test_invitation_codes_read_well_and_can_be_typed_from_the_letter(demo_app):
    import re
    s = session_factory(demo_app)()
    rnd = s.scalar(select(Round).where(Round.code == "LCU-2026"))
    agency = s.scalar(select(Agency).where(Agency.code == "LCU.STP"))
    made = invitations.create_invitations(s, rnd, agency, 50)
    s.commit()
    s.close()
    for _, token in made:  # no look-alikes (0/O, 1/I/L), four groups of four
        assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}(-[2-9A-HJKMNP-Z]{4}){3}", token), token
    token = made[0][1]
    client = demo_app.test_client()
    assert client.get("/i/").status_code == 200
    typed = token.lower().replace("-", " ")  # as a person might type it
    r = client.get("/i/", query_string={"code": typed})
    assert r.status_code == 302
    assert client.get(r.headers["Location"]).status_code == 200  # the questionnaire
    assert client.get(f"/i/{token}").status_code == 200  # the printed link works too
    wrong = client.get("/i/", query_string={"code": "AAAA-BBBB-CCCC-DDDD"})
    assert wrong.status_code == 422 and "Không tìm thấy mã này" in wrong.get_data(as_text=True)


def test_the_respondent_level_question_follows_the_round_map(demo_app):
    """R8 "Cấp của cơ quan giải quyết hồ sơ": districts ended on 1 July 2025, so a round on the 34-province map
    (LCU-2026) offers province and commune only; the 63-province map (LCU-2024) keeps the district."""
    from sipas.errors import ValidationFailed
    from sipas.services.responses import Submission, record_response
    from sipas.web.forms import form_class
    from tests.conftest import login

    with demo_app.test_request_context():
        assert [c.label.text for c in form_class("SIPAS_2640", "vi", "historical_63")()["R8"]] == \
            ["Cấp tỉnh", "Cấp huyện", "Cấp xã"]
        assert [c.label.text for c in form_class("SIPAS_2640", "vi", "new_34")()["R8"]] == ["Cấp tỉnh", "Cấp xã"]
    client = demo_app.test_client()
    page = client.get(URL).get_data(as_text=True)
    assert "Cấp xã" in page and "Cấp huyện" not in page
    # A district sent anyway (any channel) is refused by the one way in, in words.
    s = session_factory(demo_app)()
    rnd = s.scalar(select(Round).where(Round.code == "LCU-2026"))
    agency = s.scalar(select(Agency).where(Agency.code == "LCU.STP"))
    try:
        record_response(s, Submission(rnd, agency, {"S1": 4, "R8": 2}, Channel.ONLINE), dossier_key=b"k")
        raise AssertionError("a district level was accepted on the new map")
    except ValidationFailed as exc:
        assert exc.problems == {"R8": "This option is not offered in this survey."}
    s.rollback()
    record_response(s, Submission(rnd, agency, {"S1": 4, "R8": 3}, Channel.ONLINE), dossier_key=b"k")
    s.rollback()
    s.close()
    # The printed form of the round has no district box, and says "choose at most 3" once.
    login(client, "admin")
    paper = client.get("/admin/rounds/LCU-2026/paper-forms").get_data(as_text=True)
    assert "Cấp xã" in paper and "Cấp huyện" not in paper and paper.count("chọn tối đa 3") == 1


def test_problems_are_shown_in_the_page_language_only(demo_app):
    client = demo_app.test_client()
    four = {"X1": "y", "X2": "y", "X3": "y", "X4": "y", "S1": "5", "confirm_incomplete": "1"}
    vi = client.post(URL, data=four).get_data(as_text=True)
    assert "Chỉ được chọn tối đa 3 phương án." in vi and "choose at most" not in vi
    en = client.post(URL + "?lang=en", data=four).get_data(as_text=True)
    assert "Choose at most 3 options." in en and "tối đa 3 phương án" not in en
    tampered = client.post(URL + "?lang=vi", data={"S1": "9", "confirm_incomplete": "1"}).get_data(as_text=True)
    assert "Câu trả lời không hợp lệ." in tampered and "Not a valid choice" not in tampered


def test_any_page_shows_a_problem_in_its_language(demo_app):
    """Pages that print a service's problems as they are (paper keying, kiosk, admin) get them translated."""
    from flask import render_template_string

    problem = surveys.check_answers(surveys.load("SIPAS_2640"), {"X1": 1, "X2": 1, "X3": 1, "X4": 1})[1]["X"]
    with demo_app.test_request_context("/?lang=vi"):
        assert render_template_string("<p>{{ p }}</p>", p=problem) == "<p>Chỉ được chọn tối đa 3 phương án.</p>"
    with demo_app.test_request_context("/?lang=en"):
        assert render_template_string("<p>{{ p }}</p>", p=problem) == "<p>Choose at most 3 options.</p>"
