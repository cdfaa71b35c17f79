"""When results are recomputed: whatever changes a round's responses or weights marks the round in its session;
after the commit the job runner (sipas/recompute.py) schedules a debounced recomputation of its provisional set.

Marking new responses is a set operation on the session (no query, no write): it costs nothing on the submission
path. Changing existing responses (`mark_reweighted`) also invalidates the round's maintained counts (one write).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from sipas.models import Job, JobStatus, Round
from sipas.services.results import counts, facts, store

CHANGED_KEY = "sipas.results_changed"
JOB_KIND = "recompute_results"


def mark_changed(session: Session, round_id: int) -> None:
    """Say that a round's valid responses or weights change in this session's transaction."""
    session.info.setdefault(CHANGED_KEY, set()).add(round_id)


def mark_reweighted(session: Session, round_id: int) -> None:
    """Say that existing responses of a round change weight, status, stratum or PSU (or are deleted) in this
    session's transaction: the maintained counts are rebuilt before they are read again, and the results are
    recomputed. Every such writer goes through here (new responses only need `mark_changed`)."""
    counts.invalidate(session, round_id)
    mark_changed(session, round_id)


def take_changed(session: Session) -> set[int]:
    """The rounds marked in the session since it last committed (and forget them)."""
    return session.info.pop(CHANGED_KEY, set())


def is_stale(session: Session, rnd: Round) -> bool:
    """True when the round's latest stored set was computed from other responses or weights than the current
    ones (or there is none)."""
    latest = store.latest(session, rnd)
    return latest is None or latest.snapshot != facts.fingerprint(session, rnd)


def job_id(round_id: int) -> str:
    """The one job row that tells how far a round's recomputation is."""
    return f"results-{round_id}"


@dataclass(frozen=True)
class Recomputing:
    """A recomputation that is queued or running."""

    progress: int
    message: str
    started_at: datetime | None


def recomputing(session: Session, rnd: Round) -> Recomputing | None:
    """The round's recomputation if one is queued or running, else None."""
    job = session.get(Job, job_id(rnd.id))
    if job is None or job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        return None
    return Recomputing(job.progress, job.message, job.created_at)
