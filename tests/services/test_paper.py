"""Blind double entry of paper forms: agreement stores the response, disagreement waits for a verifier."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sipas.errors import ValidationFailed
from sipas.models import Channel, PaperFormStatus, Response, Role
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
