"""Citizens' comments: masked before display and export, scoped to the reader's agencies, filtered, searched and
counted by theme."""
from __future__ import annotations

import re
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from sipas import words
from sipas.db import session_factory
from sipas.errors import NotFound
from sipas.models import Agency, AuditEvent, Channel, Comment, Role, Round
from sipas.services.accounts import create_user
from sipas.services.comments import (
    HANDLED,
    NOT_HANDLED,
    mark_handled,
    mask,
    round_comments,
    theme_counts,
    themes_of,
    undo_handled,
)
from sipas.services.responses import Design, Submission, record_response
from tests.conftest import login
from tests.factories import make_round

PERSONAL = "Tôi là Nguyễn Văn An, số điện thoại 0912 345 678, email an.nguyen@gmail.com, CCCD 001203004567."


@pytest.mark.parametrize("text, kept, gone", [
    (PERSONAL, ["Tôi là ***", "số điện thoại ***", "email ***", "CCCD ***"],
     ["Nguyễn", "0912", "an.nguyen", "001203004567"]),
    ("Gọi +84 912 345 678 hoặc 0209.3876.543", ["Gọi *** hoặc ***"], ["912", "3876"]),
    ("tôi là người dân xã Tam Đường, chờ 2 tiếng", ["tôi là người dân xã Tam Đường, chờ 2 tiếng"], []),
    ("Hồ sơ số 2024 nộp ngày 12/3", ["Hồ sơ số 2024 nộp ngày 12/3"], []),
])
def test_personal_data_is_masked_and_nothing_else(text, kept, gone):
    shown = mask(text)
    assert all(k in shown for k in kept), shown
    assert not any(g in shown for g in gone), shown


def test_themes_follow_the_stated_keyword_rule():
    assert [t[0] for t in themes_of("Phải đi lại nhiều lần, cán bộ hách dịch")] == ["Thái độ cán bộ",
                                                                                    "Đi lại nhiều lần"]
    assert themes_of("Rất thuận tiện, cảm ơn") == []  # "tiện" is not "tiền"
    counts = theme_counts(["chờ lâu quá", "CHỜ LÂU", "thái độ tốt"])
    assert counts[0] == (("Thời gian chờ, trễ hẹn", "Waiting, late results"), 2) and counts[1][1] == 1


def _comment(app, agency_code, text):
    s = session_factory(app)()
    rnd = s.scalar(select(Round).where(Round.code == "LCU-2026"))
    agency = s.scalar(select(Agency).where(Agency.code == agency_code))
    record_response(s, Submission(rnd, agency, {"S1": 4, "S2": 4, "S3": 4, "S4": 4, "S5": 4}, Channel.INVITATION,
                                  comment=text, design=Design("province", f"{agency_code}.MC/D01", 50.0)),
                    check_open=False)
    s.commit()
    s.close()


def test_the_comments_page_masks_scopes_filters_and_exports(demo_app):
    _comment(demo_app, "LCU.STP", PERSONAL + " Phải chờ lâu quá.")
    _comment(demo_app, "LCU.SYT", "Cán bộ Sở Y tế thái độ hách dịch")
    analyst = demo_app.test_client()
    login(analyst, "analyst")
    page = analyst.get("/dashboard/LCU-2026/comments").get_data(as_text=True)
    assert "Sở Y tế thái độ hách dịch" in page and "Tôi là ***" in page
    assert "0912" not in page and "an.nguyen" not in page and "Nguyễn Văn An" not in page
    assert "Thời gian chờ, trễ hẹn" in page and "Thái độ cán bộ" in page
    page = analyst.get("/dashboard/LCU-2026/comments?q=hach dich").get_data(as_text=True)
    assert 'data-agency="LCU.SYT"' in page and 'data-agency="LCU.STP"' not in page
    # An agency manager (Sở Tư pháp) reads only their agency's comments, even when asking for another.
    manager = demo_app.test_client()
    login(manager, "manager")
    page = manager.get("/dashboard/LCU-2026/comments").get_data(as_text=True)
    assert 'data-agency="LCU.STP"' in page and 'data-agency="LCU.SYT"' not in page
    page = manager.get("/dashboard/LCU-2026/comments?agency=LCU.SYT").get_data(as_text=True)
    assert 'data-agency="LCU.SYT"' not in page and "hách dịch" not in page
    wb = load_workbook(BytesIO(manager.get("/dashboard/LCU-2026/comments?format=xlsx").data))
    cells = [c for row in wb.active.iter_rows(min_row=2, values_only=True) for c in row if c]
    assert any("Tôi là ***" in str(c) for c in cells)
    assert not any("0912" in str(c) or "hách dịch" in str(c) for c in cells)


def _comment_id(app, text_part: str) -> int:
    s = session_factory(app)()
    found = s.scalar(select(Comment.response_id).where(Comment.text.contains(text_part)))
    s.close()
    assert found is not None
    return found


def test_a_comment_is_marked_handled_with_who_when_and_a_note_then_undone(demo_app):
    _comment(demo_app, "LCU.STP", "Phải đi lại nhiều lần mới xong hồ sơ")
    _comment(demo_app, "LCU.SYT", "Cán bộ Sở Y tế thái độ hách dịch")
    stp, syt = _comment_id(demo_app, "đi lại nhiều lần"), _comment_id(demo_app, "hách dịch")
    manager = demo_app.test_client()
    login(manager, "manager")  # Sở Tư pháp's manager
    # Another agency's comment is answered as unknown and stays as it was.
    assert manager.post(f"/dashboard/LCU-2026/comments/{syt}/handled", data={"note": "x"}).status_code == 404
    response = manager.post(f"/dashboard/LCU-2026/comments/{stp}/handled",
                            data={"note": "Đã liên hệ, gọi 0912 345 678", "handled": "no"})
    assert response.status_code == 302 and "handled=no" in response.headers["Location"]
    s = session_factory(demo_app)()
    marked = s.get(Comment, stp)
    assert marked.handled_by_id is not None and marked.handled_at is not None
    assert s.get(Comment, syt).handled_at is None
    events = s.scalars(select(AuditEvent).where(AuditEvent.action.like("comment_handled%"))).all()
    assert [(e.action, e.object_id, e.actor) for e in events] == [("comment_handled", str(stp), "manager")]
    s.close()
    page = manager.get("/dashboard/LCU-2026/comments").get_data(as_text=True)
    row = page[page.index(f'/comments/{stp}/handled') - 400:page.index(f'/comments/{stp}/handled') + 900]
    assert 'data-handled="yes"' in row and "manager" in row and "Đã liên hệ" in row
    assert "0912" not in page  # the note is masked like the comment
    when = words.local_time(marked.handled_at)
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", when) and when in row  # Vietnam time, dd/mm/yyyy
    analyst = demo_app.test_client()
    login(analyst, "analyst")
    handled = analyst.get("/dashboard/LCU-2026/comments?handled=yes").get_data(as_text=True)
    waiting = analyst.get("/dashboard/LCU-2026/comments?handled=no").get_data(as_text=True)
    assert 'data-agency="LCU.STP"' in handled and 'data-agency="LCU.SYT"' not in handled
    assert 'data-agency="LCU.SYT"' in waiting and "đi lại nhiều lần" not in waiting
    # Undo: not handled again, and audited with who had marked it.
    assert manager.post(f"/dashboard/LCU-2026/comments/{stp}/handled", data={"action": "undo"}).status_code == 302
    s = session_factory(demo_app)()
    assert s.get(Comment, stp).handled_at is None and s.get(Comment, stp).handled_note is None
    undone = s.scalar(select(AuditEvent).where(AuditEvent.action == "comment_handled_undone"))
    assert undone is not None and undone.detail["handled_by"] == marked.handled_by_id
    s.close()


def test_marking_a_comment_needs_the_csrf_token(demo_app):
    _comment(demo_app, "LCU.STP", "Phải chờ lâu quá")
    stp = _comment_id(demo_app, "chờ lâu quá")
    analyst = demo_app.test_client()
    login(analyst, "analyst")
    demo_app.config["WTF_CSRF_ENABLED"] = True
    assert analyst.post(f"/dashboard/LCU-2026/comments/{stp}/handled", data={}).status_code == 400
    page = analyst.get("/dashboard/LCU-2026/comments").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert analyst.post(f"/dashboard/LCU-2026/comments/{stp}/handled",
                        data={"csrf_token": token}).status_code == 302
    s = session_factory(demo_app)()
    assert s.get(Comment, stp).handled_at is not None
    s.close()


def test_handled_marks_and_the_filter_on_sqlite_and_postgresql(session):
    rnd = make_round(session, profile="SIPAS_2640")
    analyst = create_user(session, "an", "x", [Role.ANALYST], check_password=False)
    for agency, text in zip(rnd.agencies, ("Chờ lâu quá", "Thái độ tốt")):
        record_response(session, Submission(rnd, agency, {"S1": 4}, Channel.INVITATION, comment=text,
                                            design=Design("province", "P1", 1.0)), check_open=False)
    session.commit()
    first = round_comments(session, rnd)[-1]  # newest first: the first comment is last
    mark_handled(session, rnd, first.response_id, analyst, note="Đã trả lời")
    session.commit()
    done = round_comments(session, rnd, handled=HANDLED)
    assert [(r.text, r.handled_by, r.handled_note) for r in done] == [("Chờ lâu quá", "an", "Đã trả lời")]
    assert [r.text for r in round_comments(session, rnd, handled=NOT_HANDLED)] == ["Thái độ tốt"]
    # Outside the reader's agencies: as unknown, and nothing changes.
    with pytest.raises(NotFound):
        undo_handled(session, rnd, first.response_id, analyst, allowed={rnd.agencies[1].code})
    undo_handled(session, rnd, first.response_id, analyst, allowed={rnd.agencies[0].code})
    session.commit()
    assert round_comments(session, rnd, handled=HANDLED) == []
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["comment_handled", "comment_handled_undone"]
