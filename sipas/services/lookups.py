"""What every submission reads before it writes, as plain rows cached per worker for a few seconds.

A kiosk rating or an online form asks who the credential is, which round the code names and whether the agency
takes part. Those answers change a few times a round, the questions come with every request: each worker keeps
the answers (plain Core rows, not ORM objects tied to a session) for `ttl` seconds. A change committed by this
process clears its copies at once (`_clear_after_commit`); a change made by another worker or server (revoking a
kiosk, closing a round, removing an agency from a round) takes effect within `ttl` seconds everywhere.
Only positive answers are kept: an unknown token, a round not open or an agency outside a round is asked again
each time, so a credential issued, a round opened or an agency added works at once.
"""
from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from cachetools import TTLCache
from sqlalchemy import Engine, bindparam, event, select, update
from sqlalchemy.orm import Session

from sipas.models import (
    AdminUnit,
    Agency,
    ApiKey,
    Channel,
    KioskDevice,
    Round,
    RoundStatus,
    ServicePoint,
    round_agencies,
)
from sipas.models.surveys import round_accepts
from sipas.models.units import AdminMap

#: Seconds a worker trusts its copy (Defaults.LOOKUP_TTL_SECONDS sets it per app).
DEFAULT_TTL = 5.0
#: Entries per kind a worker keeps (tokens, rounds, participations): far more than a province has.
MAX_ENTRIES = 20_000
#: A kiosk's "last heard from" is rewritten at most this often (the admin page shows minutes).
SEEN_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class AgencyRow:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class PointRow:
    id: int
    code: str
    name: str
    agency_id: int
    agency: AgencyRow


@dataclass(frozen=True)
class DeviceRow:
    """An active kiosk device with its service point and agency."""

    id: int
    service_point_id: int
    service_point: PointRow
    last_seen_at: datetime | None


@dataclass(frozen=True)
class KeyRow:
    """An active API key: the agency it is limited to (None: any) and its channels."""

    id: int
    agency_id: int | None
    channels: list


@dataclass(frozen=True)
class RoundRow:
    """What a submission needs of its round (Round.accepts' rule, through round_accepts)."""

    id: int
    code: str
    name: str
    profile_key: str
    admin_map: AdminMap
    status: RoundStatus
    channels: list
    opens_on: date | None
    closes_on: date | None
    jurisdiction_name: str | None

    def accepts(self, channel: Channel, today: date) -> bool:
        return round_accepts(self.status, self.channels, self.opens_on, self.closes_on, channel, today)


class _Lookups:
    """One engine's cached answers. cachetools' TTLCache is not thread-safe: one lock (gthread workers)."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self.lock = threading.Lock()
        self.credentials: TTLCache = TTLCache(MAX_ENTRIES, ttl)
        self.rounds: TTLCache = TTLCache(MAX_ENTRIES, ttl)
        self.agencies: TTLCache = TTLCache(MAX_ENTRIES, ttl)
        self.participation: TTLCache = TTLCache(MAX_ENTRIES, ttl)
        self.seen: dict[int, datetime] = {}  # device id -> last "seen" this worker wrote

    def get(self, cache: TTLCache, key):
        with self.lock:
            return cache.get(key)

    def put(self, cache: TTLCache, key, value) -> None:
        with self.lock:
            cache[key] = value

    def clear(self) -> None:
        with self.lock:
            self.credentials.clear()
            self.rounds.clear()
            self.agencies.clear()
            self.participation.clear()


# Keyed by engine (one per app): apps built side by side (tests, CLI) never see each other's rows.
_BY_ENGINE: weakref.WeakKeyDictionary[Engine, _Lookups] = weakref.WeakKeyDictionary()


def configure(engine: Engine, ttl: float = DEFAULT_TTL) -> None:
    """Give an engine its caches with this time to live (seconds; 0 turns caching off)."""
    _BY_ENGINE[engine] = _Lookups(ttl)


def _lookups(session: Session) -> _Lookups | None:
    found = _BY_ENGINE.get(session.get_bind())  # type: ignore[arg-type]
    return found if found is not None and found.ttl > 0 else None


_DEVICE = (select(KioskDevice.id, KioskDevice.service_point_id, KioskDevice.last_seen_at, KioskDevice.revoked_at,
                  ServicePoint.code, ServicePoint.name, Agency.id, Agency.code, Agency.name)
           .join(ServicePoint, ServicePoint.id == KioskDevice.service_point_id)
           .join(Agency, Agency.id == ServicePoint.agency_id)
           .where(KioskDevice.token_hash == bindparam("hash")))
_KEY = (select(ApiKey.id, ApiKey.agency_id, ApiKey.channels, ApiKey.revoked_at)
        .where(ApiKey.key_hash == bindparam("hash")))
_ROUND = (select(Round.id, Round.code, Round.name, Round.profile_key, Round.admin_map, Round.status, Round.channels,
                 Round.opens_on, Round.closes_on, AdminUnit.name)
          .outerjoin(AdminUnit, AdminUnit.id == Round.jurisdiction_id).where(Round.code == bindparam("code")))
_AGENCY = select(Agency.id, Agency.code, Agency.name).where(Agency.code == bindparam("code"))
_TAKES_PART = select(round_agencies.c.agency_id).where(round_agencies.c.round_id == bindparam("round_id"),
                                                       round_agencies.c.agency_id == bindparam("agency_id"))


def credential(session: Session, token_hash: str, kiosk: bool) -> DeviceRow | KeyRow | None:
    """The active kiosk device (kiosk=True) or API key whose token hashes to `token_hash`, or None."""
    cache = _lookups(session)
    key = (kiosk, token_hash)
    found = cache.get(cache.credentials, key) if cache else None
    if found is not None:
        return found
    if kiosk:
        row = session.execute(_DEVICE, {"hash": token_hash}).first()
        if row is None or row[3] is not None:
            return None
        agency = AgencyRow(row[6], row[7], row[8])
        found = DeviceRow(row[0], row[1], PointRow(row[1], row[4], row[5], agency.id, agency), row[2])
    else:
        key_row = session.execute(_KEY, {"hash": token_hash}).first()
        if key_row is None or key_row[3] is not None:
            return None
        found = KeyRow(key_row[0], key_row[1], list(key_row[2] or []))
    if cache:
        cache.put(cache.credentials, key, found)
    return found


def _row(session: Session, kind: str, stmt, code: str, make, keep=lambda found: True):
    """The row `stmt` finds for `code` as `make(*row)`, from this worker's `kind` cache when it holds it; kept
    there when `keep` says so (only positive answers are ever kept)."""
    cache = _lookups(session)
    found = cache.get(getattr(cache, kind), code) if cache else None
    if found is not None:
        return found
    row = session.execute(stmt, {"code": code}).first()
    if row is None:
        return None
    found = make(*row)
    if cache and keep(found):
        cache.put(getattr(cache, kind), code, found)
    return found


def round_by_code(session: Session, code: str) -> RoundRow | None:
    """The round with this code, or None (kept only while its status is open)."""
    return _row(session, "rounds", _ROUND, code, RoundRow, lambda found: found.status is RoundStatus.OPEN)


def agency_by_code(session: Session, code: str) -> AgencyRow | None:
    """The agency with this code, or None."""
    return _row(session, "agencies", _AGENCY, code, AgencyRow)


def takes_part(session: Session, round_id: int, agency_id: int) -> bool:
    """Whether the agency takes part in the round (a yes is kept for the TTL, a no asked again)."""
    cache = _lookups(session)
    key = (round_id, agency_id)
    if cache and cache.get(cache.participation, key):
        return True
    found = session.scalar(_TAKES_PART, {"round_id": round_id, "agency_id": agency_id}) is not None
    if found and cache:
        cache.put(cache.participation, key, True)
    return found


def note_seen(session: Session, device: DeviceRow, now: datetime | None = None) -> None:
    """Record that a kiosk was heard from, at most once a minute per worker and per device (one UPDATE on the
    connection; the guard in its WHERE keeps workers from rewriting each other's fresh value)."""
    now = now or datetime.now(timezone.utc)
    cache = _lookups(session)
    last = (cache.seen.get(device.id) if cache else None) or device.last_seen_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=timezone.utc)  # SQLite hands back naive UTC
    if last is not None and now - last < SEEN_EVERY:
        return
    table = KioskDevice.__table__
    session.execute(update(table).where(table.c.id == device.id)
                    .where((table.c.last_seen_at.is_(None)) | (table.c.last_seen_at <= now - SEEN_EVERY))
                    .values(last_seen_at=now))
    if cache:
        cache.seen[device.id] = now


# What a cached row is made of: a flush that changes one of these clears the process's copies after the commit.
_WATCHED = (KioskDevice, ApiKey, Round, Agency, ServicePoint, AdminUnit)
_CHANGED = "sipas_lookups_changed"


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context) -> None:
    if any(isinstance(obj, _WATCHED) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _clear_after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        for cache in list(_BY_ENGINE.values()):  # the bind may be gone after commit: clear them all (cheap)
            cache.clear()


@event.listens_for(Session, "after_soft_rollback")
def _forget_changes(session: Session, _previous) -> None:
    session.info.pop(_CHANGED, None)
