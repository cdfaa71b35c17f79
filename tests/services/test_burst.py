"""The burst check on open links: asked before the insert (outside SQLite's write lock) and answered from the
(round, content hash, received at) index, so a submission costs the same whatever the round's size."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select, text

from sipas.db import optimize
from sipas.models import Channel, Response, ResponseStatus
from sipas.services import invitations
from sipas.services.responses import Submission, record_response
from tests.factories import make_round


def _submit(session, rnd, answers, flag_check=invitations.burst_reason):
    result = record_response(session, Submission(rnd, rnd.agencies[0], answers, Channel.ONLINE),
                             flag_check=flag_check)
    session.commit()
    return session.get(Response, result.id)


def test_the_third_identical_response_within_the_window_is_stored_flagged(session):
    rnd = make_round(session)
    stored = [_submit(session, rnd, {"S1": 5}) for _ in range(4)]
    other = _submit(session, rnd, {"S1": 4})
    assert [r.status for r in stored] == [ResponseStatus.VALID, ResponseStatus.VALID, ResponseStatus.FLAGGED,
                                          ResponseStatus.FLAGGED]
    assert stored[2].flag_reason == "burst: at least 3 identical responses within 10 min"
    assert other.status is ResponseStatus.VALID  # other content: not part of the burst


def test_identical_responses_older_than_the_window_are_no_burst(session):
    rnd = make_round(session)
    first, second = _submit(session, rnd, {"S1": 5}), _submit(session, rnd, {"S1": 5})
    for old in (first, second):
        old.received_at = datetime.now(timezone.utc) - invitations.BURST_WINDOW - timedelta(seconds=5)
    session.commit()
    assert _submit(session, rnd, {"S1": 5}).status is ResponseStatus.VALID


def test_the_check_is_asked_before_anything_is_written(session, db_url):
    rnd = make_round(session)
    seen = []

    def check(s, round_id, digest):
        assert s is session and round_id == rnd.id and len(digest) == 64
        seen.append(s.scalar(select(Response.id).where(Response.content_hash == digest)))
        if db_url.startswith("sqlite"):  # no write issued yet, so SQLite has not begun the write transaction
            seen.append(s.connection().connection.dbapi_connection.in_transaction)
        return None

    _submit(session, rnd, {"S1": 3}, flag_check=check)
    assert seen[0] is None  # the response was not inserted yet when the check ran
    assert seen[1:] in ([], [False])


def test_the_burst_check_reads_its_index_in_a_large_round(session, db_url):
    rnd = make_round(session)
    same, now = "f" * 64, datetime.now(timezone.utc)
    rows = [{"uuid": str(uuid.uuid4()), "round_id": rnd.id, "agency_id": rnd.agencies[i % 2].id,
             "channel": Channel.ONLINE, "profile_key": "SIPAS_2640", "received_at": now - timedelta(hours=i % 48),
             "weight": 1.0, "status": ResponseStatus.VALID,
             "content_hash": same if i % 3 == 0 else f"{i:064x}"} for i in range(3000)]
    session.execute(insert(Response.__table__), rows)
    session.commit()
    optimize(session)  # whatever statistics the planner has (none on PostgreSQL yet, SQLite's after optimize)
    session.commit()
    params = {"round_id": rnd.id, "digest": same, "since": now - invitations.BURST_WINDOW}
    query = invitations._SAME_CONTENT_SINCE
    session.execute(text("ANALYZE" if db_url.startswith("sqlite") else "ANALYZE responses"))
    compiled = query.compile(session.get_bind())
    values = compiled.construct_params(params)
    if db_url.startswith("sqlite"):
        rows = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled.string}",
                                                    tuple(values[k] for k in compiled.positiontup))
    else:
        rows = session.connection().exec_driver_sql(f"EXPLAIN {compiled.string}", values)
    plan = " ".join(str(row[-1]) for row in rows)
    assert "ix_responses_burst" in plan, plan
    assert invitations.burst_reason(session, rnd.id, same) is not None  # two earlier ones within the window


def test_optimize_gives_sqlite_planner_statistics_for_a_grown_table(session, db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's autovacuum analyses by itself: optimize does nothing there")
    rnd = make_round(session)
    now = datetime.now(timezone.utc)
    session.execute(insert(Response.__table__), [
        {"uuid": str(uuid.uuid4()), "round_id": rnd.id, "agency_id": rnd.agencies[0].id, "channel": Channel.ONLINE,
         "profile_key": "SIPAS_2640", "received_at": now, "weight": 1.0, "status": ResponseStatus.VALID,
         "content_hash": f"{i:064x}"} for i in range(2000)])
    session.commit()
    assert invitations.burst_reason(session, rnd.id, "0" * 64) is None  # the table is read by this connection
    optimize(session)
    session.commit()
    stats = dict(session.execute(text("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'responses'")).all())
    assert int(stats["ix_responses_burst"].split()[0]) > 100  # approximate (analysis_limit), but there
