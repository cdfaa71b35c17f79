"""Blind double entry of paper forms: agreement stores the response, disagreement waits for a verifier."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

import surveys
from sipas.errors import ValidationFailed
from sipas.models import Channel, Invitation, PaperFormStatus, Response, Role
from sipas.services import accounts, paper
from tests.factories import make_round

PASSWORD = "long-enough-password-1"


@pytest.fixture
def setup(session):
    rnd = make_round(session, channels=("paper_post",))
    alice = accounts.create_user(session, "alice", PASSWORD, [Role.SURVEYOR])
    bob = accounts.create_user(session, "bob", PASSWORD, [Role.SURVEYOR])
    vera = accounts.create_user(session, "vera", PASSWORD, [Role.VERIFIER])
    batch = paper.open_batch(session, rnd, rnd.agencies[0], "HOP-01", 3, "paper_post", alice)
    session.commit()
    return session, rnd, batch, alice, bob, vera


FORM = {"S1": "4", "S2": "5", "E1.1": "1", "E1.2": "", "X2": "1", "S0": "4"}


def _responses(session):
    return session.scalar(select(func.count()).select_from(Response))


def test_agreeing_passes_store_one_verified_response(setup):
    session, rnd, batch, alice, bob, _ = setup
    serial = paper.serial_for(rnd, 1)
    form = paper.key_form(session, batch, serial, FORM, 1, alice, comment="Tốt")
    assert form.status is PaperFormStatus.FIRST_KEYED and _responses(session) == 0
    form = paper.key_form(session, batch, serial.lower(), FORM, 2, bob, comment=" Tốt ")
    session.commit()
    assert form.status is PaperFormStatus.VERIFIED
    response = session.get(Response, form.response_id)
    answers = {a.item_code: a.value for a in response.answers}
    assert answers == {"S1": 4, "S2": 5, "E1.1": 1, "S0": 4, "X1": 0, "X2": 1, "X3": 0, "X4": 0, "X5": 0, "X6": 0}
    assert response.channel is Channel.PAPER_POST and response.entered_by_id == alice.id
    assert response.batch_id == batch.id and response.comment.text == "Tốt"
    assert paper.progress(session, batch).verified == 1


def test_a_mismatch_waits_for_adjudication_then_counts(setup):
    session, rnd, batch, alice, bob, vera = setup
    serial = paper.serial_for(rnd, 2)
    paper.key_form(session, batch, serial, FORM, 1, alice)
    form = paper.key_form(session, batch, serial, {**FORM, "S2": "3", "E1.2": "0"}, 2, bob)
    session.commit()
    assert form.status is PaperFormStatus.MISMATCH and _responses(session) == 0
    assert paper.differences(form) == [("E1.2", None, 0), ("S2", 5, 3)]
    assert paper.progress(session, batch).mismatches == 1
    with pytest.raises(ValidationFailed) as err:
        paper.adjudicate(session, form, {"S2": "5"}, vera)
    assert "E1.2" in err.value.problems
    paper.adjudicate(session, form, {"S2": "5", "E1.2": "0"}, vera)
    session.commit()
    response = session.get(Response, form.response_id)
    assert {a.item_code: a.value for a in response.answers}["S2"] == 5
    assert {a.item_code: a.value for a in response.answers}["E1.2"] == 0
    assert form.status is PaperFormStatus.VERIFIED and form.verified_by_id == vera.id


@pytest.mark.parametrize("change, field", [({"S1": "7"}, "S1"), ({"E1.1": "x"}, "E1.1"),
                                           ({"X1": "1", "X3": "1", "X4": "1"}, "X")])
def test_invalid_keying_is_refused_and_stores_nothing(setup, change, field):
    session, rnd, batch, alice, _, _ = setup
    with pytest.raises(ValidationFailed) as err:
        paper.key_form(session, batch, paper.serial_for(rnd, 3), {**FORM, **change}, 1, alice)
    session.rollback()
    assert field in err.value.problems
    assert paper.progress(session, batch).first == 0


def test_the_same_person_cannot_key_both_passes_or_a_pass_twice(setup):
    session, rnd, batch, alice, bob, _ = setup
    serial = paper.serial_for(rnd, 4)
    paper.key_form(session, batch, serial, FORM, 1, alice)
    session.commit()
    with pytest.raises(ValidationFailed, match="invalid input") as err:
        paper.key_form(session, batch, serial, FORM, 2, alice)
    assert "someone else" in err.value.problems["serial"]
    with pytest.raises(ValidationFailed) as err:
        paper.key_form(session, batch, serial, FORM, 1, bob)
    assert "already keyed" in err.value.problems["serial"]


def test_serials_must_belong_to_the_round(setup):
    session, _, batch, alice, _, _ = setup
    with pytest.raises(ValidationFailed) as err:
        paper.key_form(session, batch, "OTHER-000001", FORM, 1, alice)
    assert "serial" in err.value.problems


def test_batch_needs_sensible_fields(setup):
    session, rnd, _, alice, _, _ = setup
    with pytest.raises(ValidationFailed) as err:
        paper.open_batch(session, rnd, rnd.agencies[0], " ", 0, "fax", alice)
    assert set(err.value.problems) == {"box_number", "expected_count", "channel"}


def test_the_keyer_types_only_the_number_after_the_rounds_prefix(setup):
    """The page shows "T-2026-" in front of the serial box: "42" is form T-2026-000042; "I7" the sampled
    dossier's form T-2026-I000007; a whole serial is taken as typed (upper case, spaces dropped)."""
    _, rnd, _, _, _, _ = setup
    assert paper.full_serial(rnd, " 42 ") == "T-2026-000042"
    assert paper.full_serial(rnd, "i7") == "T-2026-I000007"
    assert paper.full_serial(rnd, "t-2026-000042") == "T-2026-000042"
    assert paper.full_serial(rnd, "²") == "²"  # not an ASCII number: refused by the serial check below


def test_each_serial_problem_is_found_before_the_boxes_in_plain_words(setup):
    """The check the keying page asks as soon as the serial is typed; the same rule refuses it at Save."""
    session, rnd, batch, alice, bob, _ = setup
    other = paper.open_batch(session, rnd, rnd.agencies[0], "HOP-02", 3, "paper_post", alice)
    paper.key_form(session, batch, "1", FORM, 1, alice)
    session.commit()

    def problem(b, serial, pass_no, user):
        return paper.serial_problems(session, rnd, b, paper.full_serial(rnd, serial), pass_no, user).get("serial")

    assert problem(batch, "1", 2, bob) is None
    assert problem(batch, "2", 1, alice) is None
    assert problem(batch, "1", 1, bob) == "Form T-2026-000001 was already keyed in pass 1."
    assert problem(batch, "1", 2, alice) == ("You keyed the other pass of form T-2026-000001: the second pass "
                                             "must be keyed by someone else.")
    assert problem(other, "1", 2, bob) == "Form T-2026-000001 is already being keyed in box HOP-01: key it there."
    assert problem(batch, "X-2026-000001", 1, bob) == ("This form does not belong to this round: its serial must "
                                                      "start with T-2026-.")
    assert problem(batch, "T-2026-12AB", 1, bob) == ("T-2026-12AB is not a form serial: type the number printed "
                                                    "on the form.")
    # The round printed no invitation serials: a sampled dossier's serial cannot be one of its forms.
    assert problem(batch, "I5", 1, bob) == ("No form with serial T-2026-I000005 was printed for this round: "
                                            "check the number.")
    with pytest.raises(ValidationFailed) as err:
        paper.key_form(session, other, "1", FORM, 2, bob)
    assert err.value.problems["serial"] == problem(other, "1", 2, bob)


def test_an_invitation_serial_the_round_printed_is_accepted(setup):
    session, rnd, batch, alice, _, _ = setup
    session.add(Invitation(round_id=rnd.id, agency_id=rnd.agencies[0].id, token_hash="h" * 64,
                           serial="T-2026-I000005"))
    session.commit()
    assert paper.serial_problems(session, rnd, batch, paper.full_serial(rnd, "I5"), 1, alice) == {}


def test_an_all_blank_form_is_stored_only_when_the_keyer_confirms(setup):
    session, rnd, batch, alice, _, _ = setup
    with pytest.raises(ValidationFailed) as err:
        paper.key_form(session, batch, "9", {}, 1, alice)
    assert set(err.value.problems) == {"blank"}
    assert err.value.problems["blank"].startswith("Every box is empty.")
    session.rollback()
    assert paper.progress(session, batch).first == 0
    form = paper.key_form(session, batch, "9", {}, 1, alice, blank_confirmed=True)
    profile = surveys.load(rnd.profile_key)
    assert form.entries[0].answers == {**{i.code: None for i in paper.entry_items(profile)}, "comment": ""}


def test_warnings_read_as_sentences_and_keep_their_template_for_the_catalogue(setup):
    session, rnd, batch, alice, _, _ = setup
    with pytest.raises(ValidationFailed) as err:
        paper.key_form(session, batch, "3", {**FORM, "S1": "7", "X1": "1", "X3": "1", "X4": "1"}, 1, alice)
    off_scale, too_many = err.value.problems["S1"], err.value.problems["X"]
    assert off_scale == "7 is not an answer to this question: type 1, 2, 3, 4, 5, or leave the box empty."
    assert too_many == "At most 3 choices may be ticked in this question; 4 are keyed."
    assert too_many.msgid == "At most %(n)s choices may be ticked in this question; %(ticked)s are keyed."
    assert too_many.params == {"n": 3, "ticked": 4}
