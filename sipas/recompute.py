"""Results kept current off the request path: the job runner's side of the results service.

Whatever changes a round's responses or weights marks the round in its session (`freshness.mark_changed`).
After the commit, a hook schedules the round's recomputation on huey, debounced: one scheduled task per round
at a time, run after RESULTS_DEBOUNCE_SECONDS, and never sooner than four times the last computation's length
after it (a busy round is recomputed at most about a fifth of the time). The task reads in one consistent
snapshot, computes, and stores the provisional set in a new transaction; its progress is on the round's job row.
Publications run the same way (`publish_now`), from the page's job or from the CLI.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from flask import Flask, current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

import surveys
from sipas.db import optimize, session_factory, session_scope
from sipas.models import Job, JobStatus, ResultSet, Round, RoundStatus, User
from sipas.services.analysis_plan import plan_for
from sipas.services.results import counts, freshness, publish, store
from sipas.services.results.compute import check_profile_unchanged, comparison_base, compute_round, remap_due
from sipas.services.results.snapshot import begin_consistent_read

EXTENSION_KEY = "sipas_recompute"
log = logging.getLogger(__name__)
_PENDING = "results-pending:{}"
#: A busy round waits at least this many times its last computation's length between recomputations.
_DUTY_FACTOR = 4
_schedule_lock = threading.Lock()


def init_app(app: Flask, huey) -> None:
    """Register the tasks and the after-commit hook that schedules recomputations."""
    @huey.task(name="recompute_results")
    def recompute_results(round_id: int) -> None:
        with app.app_context():
            run_recompute(app, round_id)

    @huey.task(name="publish_results")
    def publish_results(job_id: str) -> None:
        with app.app_context():
            run_publication_job(app, job_id)

    @huey.task(name="sweep_results")
    def sweep_results() -> None:
        with app.app_context():
            sweep(app)

    app.extensions[EXTENSION_KEY] = {"huey": huey, "recompute": recompute_results, "publish": publish_results,
                                     "sweep": sweep_results, "scheduled_until": {}}
    factory = session_factory(app)
    event.listen(factory, "after_commit", lambda session: _after_commit(app, session))
    event.listen(factory, "after_rollback", freshness.take_changed)


def _after_commit(app: Flask, session: Session) -> None:
    for round_id in freshness.take_changed(session):
        try:
            schedule(app, round_id)
        except Exception:  # noqa: BLE001 - the data are committed: a queue failure must not fail the request
            # The next change, or the sweep when a consumer starts, schedules it again.
            log.exception("could not schedule the recomputation of round %s", round_id)


def schedule(app: Flask, round_id: int, delay: float | None = None) -> None:
    """Ask for a recomputation of the round's provisional results (idempotent while one is pending)."""
    ext = app.extensions[EXTENSION_KEY]
    delay = app.config["RESULTS_DEBOUNCE_SECONDS"] if delay is None else delay
    now = time.monotonic()
    with _schedule_lock:
        # Within this process, a round scheduled in the last debounce window needs nothing more: its task has not
        # started yet and will read these changes (saves a queue write per submission on the hot path).
        if ext["scheduled_until"].get(round_id, 0) > now:
            return
        ext["scheduled_until"][round_id] = now + delay
    if ext["huey"].put_if_empty(_PENDING.format(round_id), "1"):
        _job_row(app, round_id, status=JobStatus.QUEUED, progress=0, message="queued")
        ext["recompute"].schedule(args=(round_id,), delay=delay)


def _job_row(app: Flask, round_id: int, **fields) -> None:
    with session_scope(app) as session:
        job = session.get(Job, freshness.job_id(round_id))
        if job is None:
            job = Job(id=freshness.job_id(round_id), kind=freshness.JOB_KIND, params={"round_id": round_id})
            session.add(job)
        for key, value in fields.items():
            setattr(job, key, value)


def _wait_left(app: Flask, round_id: int) -> float:
    """Seconds to wait before recomputing, so that recomputations take at most a share of the time."""
    with session_scope(app) as session:
        row = session.execute(select(ResultSet.computed_at, ResultSet.settings).where(ResultSet.round_id == round_id)
                              .order_by(ResultSet.computed_at.desc()).limit(1)).first()
    if row is None or not (row.settings or {}).get("duration_seconds"):
        return 0.0
    computed_at = row.computed_at if row.computed_at.tzinfo else row.computed_at.replace(tzinfo=timezone.utc)
    ready = computed_at.timestamp() + _DUTY_FACTOR * row.settings["duration_seconds"]
    return max(0.0, ready - time.time())


def run_recompute(app: Flask, round_id: int) -> bool:
    """The task: recompute the round's provisional set if its data changed. True when a set was stored."""
    ext = app.extensions[EXTENSION_KEY]
    wait = _wait_left(app, round_id)
    if wait > 0:
        ext["recompute"].schedule(args=(round_id,), delay=wait)  # still pending: the key stays set
        return False
    ext["huey"].get(_PENDING.format(round_id))  # taken: changes committed from now on schedule another run
    _job_row(app, round_id, status=JobStatus.RUNNING, progress=1, message="starting")
    try:
        stored = refresh_now(app, round_id, progress=lambda p, m: _job_row(app, round_id, progress=p, message=m))
    except Exception as exc:  # noqa: BLE001 - the failure must reach the page that waits, not vanish
        _job_row(app, round_id, status=JobStatus.FAILED, message=str(exc)[:300],
                 finished_at=datetime.now(timezone.utc))
        raise
    return stored


def fold_counts(app: Flask, round_id: int) -> None:
    """Bring the round's maintained counts up to date (`results.counts`), one committed step at a time, so that
    the analysis reads counts rather than answers and SQLite's write lock is held one step at most."""
    verify = True
    while True:
        with session_scope(app) as session:
            rnd = session.get(Round, round_id)
            if rnd is None or rnd.status is RoundStatus.DRAFT:
                return
            check_profile_unchanged(rnd)
            more = counts.fold(session, rnd, plan_for(surveys.load(rnd.profile_key)), verify=verify)
        if not more:
            return
        verify = False  # what this loop folded cannot change unseen: its invalidations set the state stale


def refresh_now(app: Flask, round_id: int, *, progress: Callable[[int, str], None] | None = None,
                force: bool = False) -> bool:
    """Recompute and store a round's provisional set when its responses or weights changed (or `force`):
    fold the new responses into the counts, read in one consistent snapshot, write in a new transaction. True
    when a set was stored."""
    fold_counts(app, round_id)
    with session_factory(app)() as read:
        begin_consistent_read(read)
        rnd = read.get(Round, round_id)
        if rnd is None or rnd.status is RoundStatus.DRAFT or not (force or freshness.is_stale(read, rnd)):
            read.rollback()
            _refresh_remapped(app, round_id)
            _done(app, round_id, "up to date")
            return False
        started = time.monotonic()
        results = compute_round(read, rnd, progress=progress or (lambda p, m: None))
        duration = time.monotonic() - started
        read.rollback()
    with session_scope(app) as write:
        store.save(write, write.get_one(Round, round_id), results, duration=duration)
    _refresh_remapped(app, round_id)
    with session_scope(app) as session:
        optimize(session)  # the round grew: keep SQLite's planner statistics current (cheap, off the request path)
    _done(app, round_id, "done")
    return True


def _refresh_remapped(app: Flask, round_id: int) -> bool:
    """Store the round re-estimated on the 2025 map when its next measurement lies across the merger and the
    stored re-estimate is missing or stale (computed once here, not by every computation of the later round)."""
    with session_factory(app)() as read:
        begin_consistent_read(read)
        rnd = read.get(Round, round_id)
        later = remap_due(read, rnd) if rnd is not None and rnd.status is not RoundStatus.DRAFT else None
        if later is None:
            read.rollback()
            return False
        started = time.monotonic()
        results = comparison_base(read, rnd, later)
        duration = time.monotonic() - started  # the duty factor (`_wait_left`) reads the latest set's length
        read.rollback()
    with session_scope(app) as write:
        store.save(write, write.get_one(Round, round_id), results, duration=duration)
    return True


def _done(app: Flask, round_id: int, message: str) -> None:
    """The round's results are current: its job row (if any) says so, whoever brought them up to date."""
    with session_scope(app) as session:
        job = session.get(Job, freshness.job_id(round_id))
        if job is not None:
            job.status, job.progress, job.message = JobStatus.DONE, 100, message
            job.finished_at = datetime.now(timezone.utc)


def publish_now(app: Flask, round_id: int, *, user_id: int | None = None, note: str | None = None,
                ip: str | None = None) -> tuple[int, int]:
    """Publish a round now: compute and copy its data in one consistent read, then store the new version.
    Returns (version, responses)."""
    with session_factory(app)() as read:
        begin_consistent_read(read)
        prepared = publish.prepare(read, read.get_one(Round, round_id))
        read.rollback()
    with session_scope(app) as write:
        user = write.get(User, user_id) if user_id is not None else None
        rs = publish.save_publication(write, write.get_one(Round, round_id), prepared, user=user, note=note, ip=ip)
        return rs.version or 0, rs.responses


def _current_app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined]  # the app behind the proxy


def request_recompute(round_id: int) -> None:
    """From a request: ask the job runner for the round's results (a request never computes them)."""
    schedule(_current_app(), round_id, delay=0)


def enqueue_publication(session: Session, rnd: Round, *, user_id: int | None, note: str | None,
                        ip: str | None) -> tuple[Job, Callable[[], None]]:
    """Create the publication's job row (the request boundary commits it) and return it with a function that
    starts it after the commit."""
    app = _current_app()
    job = Job(id=str(uuid.uuid4()), kind="publish_results", created_by_id=user_id, message="",
              params={"round": rnd.code, "round_id": rnd.id, "note": note, "ip": ip})
    session.add(job)
    session.flush()
    task = app.extensions[EXTENSION_KEY]["publish"]
    return job, lambda: task(job.id)


def run_publication_job(app: Flask, job_id: str) -> None:
    """The publication task: progress on its job row, the new version's number in its message."""
    with session_scope(app) as session:
        job = session.get_one(Job, job_id)
        job.status, job.progress, job.message = JobStatus.RUNNING, 10, "computing and copying the data"
        params, user_id = dict(job.params), job.created_by_id
    try:
        version, responses = publish_now(app, params["round_id"], user_id=user_id, note=params.get("note"),
                                         ip=params.get("ip"))
    except Exception as exc:  # noqa: BLE001 - the failure must reach the person waiting, not vanish
        _finish(app, job_id, JobStatus.FAILED, str(exc)[:300])
        raise
    _finish(app, job_id, JobStatus.DONE, f"published version {version} ({responses} responses)",
            {**params, "version": version, "responses": responses})


def _finish(app: Flask, job_id: str, status: JobStatus, message: str, params: dict | None = None) -> None:
    with session_scope(app) as session:
        job = session.get_one(Job, job_id)
        job.status, job.message, job.finished_at = status, message, datetime.now(timezone.utc)
        job.progress = 100 if status is JobStatus.DONE else job.progress
        if params is not None:
            job.params = params


def sweep(app: Flask) -> int:
    """Schedule a recomputation for every round whose stored results are missing or out of date (run when the
    consumer starts: changes made while no consumer ran are caught up). Returns how many were scheduled."""
    with session_scope(app) as session:
        stale = [r.id for r in session.scalars(select(Round).where(Round.status != RoundStatus.DRAFT))
                 if freshness.is_stale(session, r)]
    huey = app.extensions[EXTENSION_KEY]["huey"]
    for round_id in stale:
        huey.delete(_PENDING.format(round_id))  # a mark left by a run that never finished must not block this one
        schedule(app, round_id, delay=0)
    return len(stale)
