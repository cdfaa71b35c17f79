"""The keying pages catch mistakes early and say so in Vietnamese: the serial check before the boxes (the same
rule as Save), the agency chosen by name, the batch list in names, a blank form confirmed, warnings as sentences."""
from __future__ import annotations

import re

from sqlalchemy import select

from sipas.db import session_factory
from sipas.models import Agency, Invitation, PaperBatch, PaperForm, Round
from tests.conftest import login


def _client(app, username):
    client = app.test_client()
    login(client, username)
    return client


def _open_batch(client, agency="Sở Tư pháp", box="H1") -> int:
    r = client.post("/entry/", data={"round": "LCU-2026", "agency": agency, "box_number": box,
                                     "expected_count": "2", "channel": "paper_post"})
    assert r.status_code == 302, r.get_data(as_text=True)
    return int(r.headers["Location"].rstrip("/").split("/")[-1])


def _check(client, batch_id, pass_no, serial):
    r = client.get(f"/entry/batches/{batch_id}/key/{pass_no}/serial", query_string={"serial": serial})
    assert r.status_code == 200 and r.is_json
    return r.get_json()


def test_the_serial_is_checked_before_the_boxes_with_the_rule_of_save(demo_app):
    """Before: a serial already keyed, the same person on the second pass and a wrong prefix were found only at
    Save, after 60-odd keystrokes, in half-English messages."""
    surveyor, verifier = _client(demo_app, "surveyor"), _client(demo_app, "verifier")
    batch_id = _open_batch(surveyor)
    other = _open_batch(surveyor, box="H2")
    assert _check(surveyor, batch_id, 1, "777") == {"serial": "LCU-2026-000777", "ok": True, "message": ""}
    assert surveyor.post(f"/entry/batches/{batch_id}/key/1", data={"serial": "777", "S1": "4"}).status_code == 302

    assert _check(surveyor, batch_id, 1, "777")["message"] == "Phiếu LCU-2026-000777 đã được nhập ở lượt 1."
    assert _check(surveyor, batch_id, 2, "777")["message"] == (
        "Tài khoản này đã nhập lượt kia của phiếu LCU-2026-000777: lượt thứ hai phải do người khác nhập.")
    assert _check(verifier, other, 2, "LCU-2026-000777")["message"] == (
        "Phiếu LCU-2026-000777 đang được nhập trong hộp H1: hãy nhập phiếu này ở hộp đó.")
    assert _check(verifier, batch_id, 2, "HNI-2026-000777")["message"] == (
        "Phiếu này không thuộc đợt khảo sát này: số phiếu phải bắt đầu bằng LCU-2026-.")
    assert _check(verifier, batch_id, 2, "²")["ok"] is False
    assert _check(verifier, batch_id, 2, "9" * 5000)["ok"] is False  # never a 500, whatever is typed
    # A form mailed to a sampled dossier carries its invitation's serial: known when printed, refused otherwise.
    s = session_factory(demo_app)()
    rnd = s.scalar(select(Round).where(Round.code == "LCU-2026"))
    s.add(Invitation(round_id=rnd.id, agency_id=rnd.agencies[0].id, token_hash="0" * 64, serial="LCU-2026-I000031"))
    s.commit()
    s.close()
    printed = "LCU-2026-I000031"
    assert _check(verifier, batch_id, 1, printed) == {"serial": printed, "ok": True, "message": ""}
    assert _check(verifier, batch_id, 1, printed.replace("LCU-2026-I", "i"))["serial"] == printed
    assert "không in phiếu nào có số LCU-2026-I999999" in _check(verifier, batch_id, 2, "I999999")["message"]
    assert _check(verifier, batch_id, 2, "777")["ok"] is True
    # Save says the same, in Vietnamese only.
    r = surveyor.post(f"/entry/batches/{batch_id}/key/2", data={"serial": "777", "S1": "4"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "lượt thứ hai phải do người khác nhập" in page and "someone else" not in page


def test_the_agency_is_chosen_by_name_and_the_batch_list_names_it(demo_app):
    """Before: the box asked for a code (LCU.STP) and the list showed the agency's number."""
    surveyor = _client(demo_app, "surveyor")
    page = surveyor.get("/entry/").get_data(as_text=True)
    assert '<option value="Sở Tư pháp">' in page and 'list="agency-names"' in page
    batch_id = _open_batch(surveyor, agency="  sở tư   PHÁP ")
    s = session_factory(demo_app)()
    batch = s.get(PaperBatch, batch_id)
    assert s.get(Agency, batch.agency_id).code == "LCU.STP"
    s.close()
    row = re.search(rf'batch_id={batch_id}|/entry/batches/{batch_id}".*?</tr>',
                    surveyor.get("/entry/").get_data(as_text=True), re.S).group(0)
    assert "<td>Sở Tư pháp</td>" in row and f"<td>{batch.agency_id}</td>" not in row
    r = surveyor.post("/entry/", data={"round": "LCU-2026", "agency": "Sở Không Có", "box_number": "H9",
                                       "expected_count": "2", "channel": "paper_post"})
    assert r.status_code == 422
    assert "Hãy chọn cơ quan trong danh sách (gõ một phần tên cơ quan)." in r.get_data(as_text=True)


def test_a_blank_form_is_saved_only_after_a_second_save(demo_app):
    """Before: a form with every box empty was saved silently."""
    surveyor = _client(demo_app, "surveyor")
    batch_id = _open_batch(surveyor)
    r = surveyor.post(f"/entry/batches/{batch_id}/key/1", data={"serial": "5"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "Tất cả các ô đều trống." in page
    assert '<input type="hidden" name="confirm_blank" value="1">' in page and "Lưu thành phiếu trống" in page
    s = session_factory(demo_app)()
    assert s.scalar(select(PaperForm).where(PaperForm.serial == "LCU-2026-000005")) is None
    s.close()
    r = surveyor.post(f"/entry/batches/{batch_id}/key/1", data={"serial": "5", "confirm_blank": "1"})
    assert r.status_code == 302


def test_warnings_are_sentences_in_vietnamese_only(demo_app):
    """Before: "≠ 1 0" and "… / choose at most 3" on a Vietnamese page."""
    surveyor = _client(demo_app, "surveyor")
    batch_id = _open_batch(surveyor)
    page = surveyor.get(f"/entry/batches/{batch_id}/key/1").get_data(as_text=True)
    # The messages the page's script shows at once, from the catalogue.
    assert ('data-msg-scale="{value} không phải là câu trả lời của câu này: chỉ nhập một trong các số '
            '{allowed}, hoặc để trống ô."') in page
    assert 'data-msg-max="Câu này chỉ được đánh dấu tối đa {n} phương án; đang nhập {ticked} phương án."' in page
    assert '<span class="keyprefix">LCU-2026-</span>' in page
    r = surveyor.post(f"/entry/batches/{batch_id}/key/1",
                      data={"serial": "6", "S1": "7", "X1": "1", "X2": "1", "X3": "1", "X4": "1"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "7 không phải là câu trả lời của câu này: chỉ nhập một trong các số 1, 2, 3, 4, 5, hoặc để trống ô." in page
    assert "Câu này chỉ được đánh dấu tối đa 3 phương án; đang nhập 4 phương án." in page
    assert " / " not in page.split('role="alert"')[1].split("</div>")[0]
