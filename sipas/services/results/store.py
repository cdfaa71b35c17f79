"""Stored result sets: save a computation, and read back what pages and reports show.

A round has at most one provisional set (the latest computation; a newer one replaces it) and any number of
published versions, each frozen. A round of the 63-province map whose next measurement is on the 2025 map also
keeps one re-estimate on that map (never published: the base of the next round's changes, `remapped_info`);
every other reader sees only the sets on the round's own map. Reading never computes: a round without a stored
set has no results yet.
Parsed trees are kept in a small in-process cache keyed by the set's identity, which never changes (a set is
written once and never edited).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sipas.models import AdminMap, ResultSet, Round
from sipas.results import RoundResults, from_payload, to_payload

_CACHE_SIZE = 32
_cache: OrderedDict[tuple, RoundResults] = OrderedDict()
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class SetInfo:
    """A stored set without its payload: enough to say how fresh the figures are."""

    id: int
    version: int | None
    computed_at: datetime
    published_at: datetime | None
    responses: int
    snapshot: str


_INFO_COLUMNS = (ResultSet.id, ResultSet.version, ResultSet.computed_at, ResultSet.published_at,
                 ResultSet.responses, ResultSet.snapshot_id)


def save(session: Session, rnd: Round, results: RoundResults, *, duration: float | None = None,
         published_by_id: int | None = None) -> ResultSet:
    """Store a computation. A provisional one (no version) replaces the round's earlier provisional sets (one
    computed later by a concurrent run is kept: readers take the latest); a published one is added as its
    version. Flushes."""
    admin_map = AdminMap(results.admin_map) if results.admin_map else rnd.admin_map
    if results.version is None:
        session.execute(delete(ResultSet).where(ResultSet.round_id == rnd.id, ResultSet.version.is_(None),
                                                ResultSet.admin_map == admin_map,
                                                ResultSet.computed_at <= results.computed_at))
    settings = {"confidence_level": results.confidence_level, "profile": results.profile,
                "duration_seconds": round(duration, 3) if duration is not None else None}
    rs = ResultSet(round_id=rnd.id, version=results.version, method_version=results.method_version,
                   admin_map=admin_map, settings=settings, snapshot_id=results.snapshot,
                   responses=results.responses, seed=results.seed, computed_at=results.computed_at,
                   published_at=results.published_at, payload=to_payload(results), published_by_id=published_by_id)
    session.add(rs)
    session.flush()
    # The computing process (the in-process job runner of the embedded default) keeps the tree it just stored:
    # the pages it serves never parse this set.
    _remember(_key(session, rs.id, rs.computed_at, rs.snapshot_id), results)
    return rs


def _key(session: Session, result_set_id: int, computed_at: datetime, snapshot: str) -> tuple:
    # Ids can be reused after a provisional set is replaced (SQLite): the time and snapshot tell sets apart.
    moment = computed_at if computed_at.tzinfo else computed_at.replace(tzinfo=timezone.utc)
    return (_database(session), result_set_id, moment.astimezone(timezone.utc).isoformat(), snapshot)


def _database(session: Session) -> str:
    bind = session.get_bind()
    return str(bind.engine.url)


def _remember(key: tuple, tree: RoundResults) -> None:
    with _cache_lock:
        _cache[key] = tree
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)


def load(session: Session, result_set_id: int) -> RoundResults:
    """The tree of one stored set (from the cache when it was read before)."""
    row = session.execute(select(ResultSet.computed_at, ResultSet.snapshot_id)
                          .where(ResultSet.id == result_set_id)).one()
    key = _key(session, result_set_id, row.computed_at, row.snapshot_id)
    with _cache_lock:
        tree = _cache.get(key)
        if tree is not None:
            _cache.move_to_end(key)
            return tree
    tree = from_payload(session.scalar(select(ResultSet.payload).where(ResultSet.id == result_set_id)) or {})
    _remember(key, tree)
    return tree


def _own(rnd: Round):
    """The round's sets on its own map (not its re-estimate on another)."""
    return (ResultSet.round_id == rnd.id) & (ResultSet.admin_map == rnd.admin_map)


def provisional_info(session: Session, rnd: Round) -> SetInfo | None:
    """The round's provisional set (time, responses), or None."""
    row = session.execute(select(*_INFO_COLUMNS).where(_own(rnd), ResultSet.version.is_(None))
                          .order_by(ResultSet.computed_at.desc()).limit(1)).first()
    return SetInfo(*row) if row else None


def remapped_info(session: Session, rnd: Round, admin_map: AdminMap) -> SetInfo | None:
    """The round's stored re-estimate on another map (new_34 for a national round of the old map), or None."""
    row = session.execute(select(*_INFO_COLUMNS).where(ResultSet.round_id == rnd.id,
                                                       ResultSet.admin_map == admin_map,
                                                       ResultSet.admin_map != rnd.admin_map)
                          .order_by(ResultSet.computed_at.desc()).limit(1)).first()
    return SetInfo(*row) if row else None


def published_info(session: Session, rnd: Round, version: int | None = None) -> SetInfo | None:
    """A published version (the latest by default), or None."""
    q = select(*_INFO_COLUMNS).where(_own(rnd), ResultSet.published_at.is_not(None))
    q = q.where(ResultSet.version == version) if version is not None else q.order_by(ResultSet.version.desc())
    row = session.execute(q.limit(1)).first()
    return SetInfo(*row) if row else None


def versions(session: Session, rnd: Round) -> list[SetInfo]:
    """Every published version of a round, the latest first."""
    return [SetInfo(*row) for row in session.execute(
        select(*_INFO_COLUMNS).where(_own(rnd), ResultSet.published_at.is_not(None))
        .order_by(ResultSet.version.desc()))]


def latest(session: Session, rnd: Round) -> SetInfo | None:
    """The most recent computation of a round, published or provisional (what freshness is judged against)."""
    row = session.execute(select(*_INFO_COLUMNS).where(_own(rnd))
                          .order_by(ResultSet.computed_at.desc(), ResultSet.id.desc()).limit(1)).first()
    return SetInfo(*row) if row else None


def next_version(session: Session, rnd: Round) -> int:
    """The number the next publication of a round takes."""
    return (session.scalar(select(func.max(ResultSet.version)).where(ResultSet.round_id == rnd.id)) or 0) + 1


def result_set(session: Session, info: SetInfo) -> ResultSet:
    """The stored row of a set (for its snapshot copy)."""
    return session.get_one(ResultSet, info.id)
