"""Two keyings of one paper form at the same moment, on two connections (SQLite and PostgreSQL).

Each thread runs the whole keying on its own session and commits, as two requests would. A barrier holds both
at their first flush, so both have passed every check (each saw no form with that serial) before either
writes: only the database's unique indexes (migration 0012) can keep the form in one batch and its two passes
with two people. The loser is told in words (ValidationFailed), never an IntegrityError (a 500 on the page).
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, func, select

from sipas.db import session_factory
from sipas.errors import ValidationFailed
from sipas.models import PaperBatch, PaperEntry, PaperForm, PaperFormStatus, Role, User
from sipas.services import accounts, paper
from tests.factories import make_round

FORM = {"S1": "4", "S2": "5", "E1.1": "1", "X2": "1", "S0": "4"}


@pytest.fixture
def two_batches(app, session):
    rnd = make_round(session, channels=("paper_post",))
    alice = accounts.create_user(session, "alice", "long-enough-password-1", [Role.SURVEYOR])
    bob = accounts.create_user(session, "bob", "long-enough-password-1", [Role.SURVEYOR])
    first = paper.open_batch(session, rnd, rnd.agencies[0], "HOP-01", 5, "paper_post", alice)
    second = paper.open_batch(session, rnd, rnd.agencies[1], "HOP-02", 5, "paper_post", bob)
    session.commit()
    return session_factory(app), {"alice": alice.id, "bob": bob.id}, (first.id, second.id)


def _at_once(factory, jobs):
    """Run each (batch id, pass, user id) keying of serial "7" in its own thread and session; outcomes in order."""
    barrier = threading.Barrier(len(jobs), timeout=20)
    outcomes: list[object] = [None] * len(jobs)

    def run(n, batch_id, pass_no, user_id):
        s = factory()

        @event.listens_for(s, "before_flush")
        def _wait(sess, _ctx, _instances):
            if any(isinstance(o, PaperEntry) for o in sess.new):
                barrier.wait()  # both keyings have passed their checks; now both write

        try:
            paper.key_form(s, s.get(PaperBatch, batch_id), "7", FORM, pass_no, s.get(User, user_id))
            s.commit()
            outcomes[n] = "saved"
        except ValidationFailed as exc:
            s.rollback()
            outcomes[n] = exc.problems
        except Exception as exc:  # noqa: BLE001 - the test reports what a request would have turned into a 500
            s.rollback()
            outcomes[n] = exc
        finally:
            s.close()

    threads = [threading.Thread(target=run, args=(n, *job)) for n, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def _forms(factory):
    with factory() as s:
        return s.execute(select(PaperForm.batch_id, func.count(PaperEntry.id)).join(PaperEntry)
                         .group_by(PaperForm.batch_id)).all()


def test_one_serial_keyed_at_once_in_two_batches_ends_up_in_one(two_batches):
    """Before: the form was stored in both batches, and every later keying of it was refused in both."""
    factory, users, (first, second) = two_batches
    outcomes = _at_once(factory, [(first, 1, users["alice"]), (second, 1, users["bob"])])
    assert outcomes.count("saved") == 1, outcomes
    refused = next(o for o in outcomes if o != "saved")
    assert isinstance(refused, dict) and "at the same moment" in refused["serial"]
    assert len(_forms(factory)) == 1


def test_one_keyer_keying_both_passes_at_once_is_refused_in_words(two_batches):
    """Before: both requests passed the check, one of them failed on the database and the page gave 500."""
    factory, users, (first, _) = two_batches
    outcomes = _at_once(factory, [(first, 1, users["alice"]), (first, 2, users["alice"])])
    assert outcomes.count("saved") == 1, outcomes
    refused = next(o for o in outcomes if o != "saved")
    assert isinstance(refused, dict) and "at the same moment" in refused["serial"]
    assert _forms(factory) == [(first, 1)]
    with factory() as s:
        assert s.scalar(select(PaperForm.status)) is PaperFormStatus.FIRST_KEYED
