"""Comments are deleted after the retention period; the answers of the same responses stay."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from sipas.cli.setup import retention_run
from sipas.models import Answer, Channel, Comment, Response
from sipas.services.responses import Submission, record_response
from tests.factories import make_round


def test_old_comments_go_answers_stay(app, session):
    rnd = make_round(session)
    old = record_response(session, Submission(rnd, rnd.agencies[0], {"S1": 4}, Channel.ONLINE, comment="cũ"))
    new = record_response(session, Submission(rnd, rnd.agencies[0], {"S1": 5}, Channel.ONLINE, comment="mới"))
    old.response.comment.created_at = datetime.now(timezone.utc) - timedelta(days=30 * 25)
    session.commit()
    runner = app.test_cli_runner()
    assert "1 comments older than 24 months would be deleted" in runner.invoke(retention_run, ["--dry-run"]).output
    assert session.scalar(select(func.count()).select_from(Comment)) == 2
    assert "1 comments older than 24 months were deleted" in runner.invoke(retention_run).output
    session.expire_all()
    assert [c.text for c in session.scalars(select(Comment))] == ["mới"]
    assert session.scalar(select(func.count()).select_from(Answer)) == 2
    assert session.scalar(select(func.count()).select_from(Response)) == 2
    assert new.response.id
