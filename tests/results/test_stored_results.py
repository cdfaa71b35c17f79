"""Stored results on both databases: the job runner's consistent read and store, a publication with its data
copy, and the published workbook rebuilt byte for byte after the data change."""
from __future__ import annotations

from sqlalchemy import select

from sipas.models import Agency, Channel, Response, ResponseStatus, ResultSet, Round
from sipas.recompute import publish_now, refresh_now
from sipas.services.demo import load_demo
from sipas.services.responses import Design, Submission, record_response
from sipas.services.results import freshness, store
from sipas.services.results.view import PROVISIONAL, shown
from sipas.services.workbook import build_workbook, report_data


def test_recompute_publish_and_freeze_on_both_databases(app, session):
    load_demo(session, scale=0.2)
    session.commit()
    rnd = session.scalar(select(Round).where(Round.code == "LCU-2026"))
    assert refresh_now(app, rnd.id) and not refresh_now(app, rnd.id)  # the second finds nothing changed
    first = store.provisional_info(session, rnd)
    assert first is not None and not freshness.is_stale(session, rnd)
    version, responses = publish_now(app, rnd.id, note="first")
    assert (version, responses) == (1, first.responses)
    before = build_workbook(report_data(session, rnd, with_data=True))
    agency = session.scalar(select(Agency).where(Agency.code == "LCU.STP"))
    for _ in range(12):
        submission = Submission(rnd, agency, {"S1": 1, "S2": 1, "S3": 1, "S4": 1, "S5": 1}, Channel.INVITATION,
                                design=Design("province", "LCU.STP.MC/D01"))
        record_response(session, submission, check_open=False)
    session.scalars(select(Response).where(Response.round_id == rnd.id)).first().status = ResponseStatus.VOID
    session.commit()
    assert freshness.is_stale(session, rnd) and refresh_now(app, rnd.id)
    seen = shown(session, rnd)
    assert seen.results.version == 1 and seen.provisional.responses == responses + 12 - 1
    assert shown(session, rnd, prefer=PROVISIONAL).results.provisional
    again = build_workbook(report_data(session, rnd, version=1, with_data=True))
    assert again == before
    rs = session.scalar(select(ResultSet).where(ResultSet.round_id == rnd.id, ResultSet.version == 1))
    assert rs.snapshot.rows == responses and len(rs.snapshot.sha256) == 64
