"""Citizens' comments: masked before display and export, scoped to the reader's agencies, filtered, searched and
counted by theme."""
from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from sipas.db import session_factory
from sipas.models import Agency, Channel, Round
from sipas.services.comments import mask, theme_counts, themes_of
from sipas.services.responses import Design, Submission, record_response
from tests.conftest import login

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
