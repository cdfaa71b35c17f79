"""Publishing a round: its results are frozen with the data snapshot, method version and settings."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from sipas.errors import SipasError
from sipas.models import ResultSet, Round, RoundStatus, User
from sipas.services import audit, reporting


def published(session: Session, rnd: Round) -> ResultSet | None:
    """The published result set of a round (the latest, if published more than once)."""
    return session.scalar(select(ResultSet).where(ResultSet.round_id == rnd.id, ResultSet.published_at.is_not(None))
                          .order_by(ResultSet.version.desc()))


def publish(session: Session, rnd: Round, user: User | None = None, *, ip: str | None = None) -> ResultSet:
    """Compute, store as a new version and publish. An earlier publication stays as it was (a new version is
    added, never a silent change). Flushes; the caller commits."""
    if rnd.status is RoundStatus.DRAFT:
        raise SipasError("a draft round cannot be published")
    result = reporting.analyse_round(session, rnd)
    if not result["groups"]:
        raise SipasError("the round has no valid responses")
    rs = reporting.store_results(session, rnd, result)
    rs.published_at = datetime.now(timezone.utc)
    rs.published_by_id = user.id if user else None
    rnd.status = RoundStatus.PUBLISHED
    audit.record(session, "round_published", actor=user or "cli", object_type="round", object_id=rnd.id,
                 detail={"version": rs.version, "snapshot": rs.snapshot_id}, ip=ip)
    session.flush()
    return rs
