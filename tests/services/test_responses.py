"""The submission service: validation, one transaction, idempotent retries, conflicts, closed rounds."""
from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from sipas.errors import DuplicateSubmission, SurveyClosed, ValidationFailed
from sipas.models import AdminMap, Answer, Channel, Comment, Response, RoundStatus
from sipas.services.responses import Submission, dossier_hash, record_response
from tests.factories import make_round

TODAY = date(2026, 6, 1)


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_a_response_is_stored_with_its_answers(session):
    rnd = make_round(session)
    agency = rnd.agencies[0]
    rid = str(uuid.uuid4())
    submission = Submission(rnd, agency, {"S1": 4, "E1.1": 1, "E1.2": None, "X1": 1, "X2": 0}, Channel.ONLINE,
                            uuid=rid, comment="  Tốt lắm  ")
    result = record_response(session, submission, today=TODAY)
    session.commit()
    assert result.created
    stored = session.scalar(select(Response).where(Response.uuid == rid))
    assert {(a.item_code, a.value) for a in stored.answers} == {("S1", 4), ("E1.1", 1), ("X1", 1), ("X2", 0)}
    assert stored.comment.text == "Tốt lắm" and stored.weight == 1.0 and stored.profile_key == "SIPAS_2640"


def test_a_retry_with_the_same_content_is_not_counted_twice(session):
    rnd = make_round(session)
    rid = str(uuid.uuid4())
    first = record_response(session, Submission(rnd, rnd.agencies[0], {"S1": 5}, Channel.ONLINE, uuid=rid),
                            today=TODAY)
    session.commit()
    again = record_response(session, Submission(rnd, rnd.agencies[0], {"S1": 5}, Channel.ONLINE, uuid=rid.upper()),
                            today=TODAY)
    session.commit()
    assert not again.created and again.response.id == first.response.id
    assert _count(session, Response) == 1 and _count(session, Answer) == 1


def test_the_same_uuid_with_other_content_is_a_conflict(session):
    rnd = make_round(session)
    rid = str(uuid.uuid4())
    record_response(session, Submission(rnd, rnd.agencies[0], {"S1": 5}, Channel.ONLINE, uuid=rid), today=TODAY)
    session.commit()
    with pytest.raises(DuplicateSubmission):
        record_response(session, Submission(rnd, rnd.agencies[0], {"S1": 2}, Channel.ONLINE, uuid=rid), today=TODAY)
    session.rollback()
    assert [a.value for a in session.scalar(select(Response)).answers] == [5]


@pytest.mark.parametrize("answers, field", [
    ({"S1": 7}, "S1"), ({"Q9": 1}, "Q9"), ({}, "answers"),
    ({"X1": 1, "X2": 1, "X3": 1, "X4": 1}, "X"),
])
def test_invalid_input_stores_nothing(session, answers, field):
    rnd = make_round(session)
    with pytest.raises(ValidationFailed) as err:
        record_response(session, Submission(rnd, rnd.agencies[0], answers, Channel.ONLINE), today=TODAY)
    session.rollback()
    assert field in err.value.problems
    assert _count(session, Response) == 0 and _count(session, Answer) == 0 and _count(session, Comment) == 0


def test_bad_uuid_wrong_agency_and_wrong_service_point_are_reported(session):
    rnd = make_round(session)
    a0, a1 = rnd.agencies
    with pytest.raises(ValidationFailed) as err:
        record_response(session, Submission(rnd, a0, {"S1": 4}, Channel.ONLINE, uuid="not-a-uuid",
                                            service_point=a1.service_points[0]), today=TODAY)
    assert {"id", "service_point"} <= set(err.value.problems)


def test_paper_forms_need_the_surveyor(session):
    rnd = make_round(session)
    with pytest.raises(ValidationFailed) as err:
        record_response(session, Submission(rnd, rnd.agencies[0], {"S1": 4}, Channel.PAPER_POST), today=TODAY)
    assert "entered_by" in err.value.problems


@pytest.mark.parametrize("status, channel, day", [
    (RoundStatus.CLOSED, Channel.ONLINE, TODAY), (RoundStatus.OPEN, Channel.INTERVIEW, TODAY),
    (RoundStatus.OPEN, Channel.ONLINE, date(2099, 1, 1)),
])
def test_closed_rounds_and_disabled_channels_refuse(session, status, channel, day):
    rnd = make_round(session, status=status)
    with pytest.raises(SurveyClosed):
        record_response(session, Submission(rnd, rnd.agencies[0], {"S1": 4}, channel), today=day)
    session.rollback()
    assert _count(session, Response) == 0


def test_dossier_codes_are_stored_only_as_keyed_hashes(session):
    rnd = make_round(session, profile="KIOSK_RT", code="K-2026")
    submission = Submission(rnd, rnd.agencies[0], {"S0": 5}, Channel.KIOSK, dossier_code="000.00.12.H38-260101-0001")
    result = record_response(session, submission, dossier_key="k1", today=TODAY)
    session.commit()
    stored = result.response.dossier_hash
    assert stored == dossier_hash("k1", "000.00.12.h38-260101-0001") and "0001" not in stored
    assert stored != dossier_hash("k2", "000.00.12.H38-260101-0001")


def test_a_comment_is_refused_when_too_long(session):
    rnd = make_round(session)
    with pytest.raises(ValidationFailed) as err:
        record_response(session, Submission(rnd, rnd.agencies[0], {"S1": 4}, Channel.ONLINE, comment="x" * 2001),
                        today=TODAY)
    assert "comment" in err.value.problems


def test_a_district_level_is_refused_on_the_new_map_and_kept_on_the_old(session):
    """R8 = 2 ("Cấp huyện") names a level the 34-province map does not have (districts ended 1 July 2025)."""
    rnd = make_round(session)  # on new_34
    with pytest.raises(ValidationFailed) as err:
        record_response(session, Submission(rnd, rnd.agencies[0], {"S1": 4, "R8": 2}, Channel.ONLINE), today=TODAY)
    session.rollback()
    assert err.value.problems == {"R8": "This option is not offered in this survey."}
    assert err.value.problems["R8"].msgid == "This option is not offered in this survey."  # looked up by pages
    assert _count(session, Response) == 0
    record_response(session, Submission(rnd, rnd.agencies[0], {"S1": 4, "R8": 3}, Channel.ONLINE), today=TODAY)
    rnd.admin_map = AdminMap.HISTORICAL_63
    record_response(session, Submission(rnd, rnd.agencies[0], {"S1": 4, "R8": 2}, Channel.ONLINE), today=TODAY)
    session.commit()
    assert _count(session, Response) == 2
