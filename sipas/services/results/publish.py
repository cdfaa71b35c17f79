"""Publishing a round's results: a new frozen version, with the copy of the data it was computed from.

Publishing is separate from closing: an open round goes on collecting, and later responses appear as
provisional figures beside the published ones until a new version is published. A publication is made in two
steps so the figures and the data copy come from one snapshot: `prepare` reads (in a consistent read), then
`save_publication` writes in a new transaction.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from sipas.errors import SipasError
from sipas.models import ResultSet, Round, RoundStatus, User
from sipas.results import SAMPLED, Revision, RoundResults
from sipas.services import audit
from sipas.services.results import facts, store
from sipas.services.results.compute import compute_round
from sipas.services.results.snapshot import FrozenRows, copy_rows, stored
from sipas.words import local_time


@dataclass(frozen=True)
class Preview:
    """What a publication would freeze, for the confirmation page and the CLI prompt."""

    round_code: str
    collecting: bool
    channel_counts: dict[str, int]
    next_version: int
    last_published: store.SetInfo | None

    @property
    def responses(self) -> int:
        """Valid responses now."""
        return sum(self.channel_counts.values())


@dataclass(frozen=True)
class Prepared:
    """A computation ready to be published and the data rows it was computed from."""

    results: RoundResults
    rows: FrozenRows


def preview(session: Session, rnd: Round) -> Preview:
    """What publishing `rnd` now would freeze."""
    return Preview(rnd.code, rnd.status is RoundStatus.OPEN, facts.channel_counts(session, rnd),
                   store.next_version(session, rnd), store.published_info(session, rnd))


def prepare(session: Session, rnd: Round, *, confidence_level: float = 0.95) -> Prepared:
    """Compute the results and copy the data rows (call inside a consistent read)."""
    if rnd.status is RoundStatus.DRAFT:
        raise SipasError("a draft round cannot be published")
    results = compute_round(session, rnd, confidence_level=confidence_level)
    if not results.groups:
        raise SipasError("the round has no valid responses")
    rows = copy_rows(session, rnd)
    if rows.rows != results.responses:
        raise SipasError(f"the data copy has {rows.rows} rows and the results {results.responses} responses: "
                         "the read was not consistent, nothing was published")
    return Prepared(results, rows)


def _revision(session: Session, rnd: Round, results: RoundResults, note: str | None) -> Revision | None:
    last = store.published_info(session, rnd)
    if last is None:
        return None
    before = store.load(session, last.id)
    old, new = before.group("all", "all", SAMPLED), results.group("all", "all", SAMPLED)
    codes = list(new.indices) if new is not None else []
    headline = [c for c in codes if c == "SIPAS" or c.startswith(("PART_", "F"))]
    changes = {c: (old.estimate(c) if old is not None else None, new.estimate(c) if new is not None else None)
               for c in headline}
    return Revision(last.version or 0, last.published_at, last.responses, results.responses, changes, note)


def save_publication(session: Session, rnd: Round, prepared: Prepared, *, user: User | None = None,
                     ip: str | None = None, note: str | None = None) -> ResultSet:
    """Store the prepared computation as the round's next published version, with its data copy. The round's
    status does not change. Flushes; the caller commits."""
    now = datetime.now(timezone.utc)
    results = dataclasses.replace(prepared.results, version=store.next_version(session, rnd), published_at=now,
                                  revision=_revision(session, rnd, prepared.results, note))
    rs = store.save(session, rnd, results, published_by_id=user.id if user else None)
    rs.snapshot = stored(prepared.rows)
    audit.record(session, "round_published", actor=user or "cli", object_type="round", object_id=rnd.id,
                 detail={"version": rs.version, "snapshot": rs.snapshot_id, "responses": rs.responses,
                         "note": note}, ip=ip)
    session.flush()
    return rs


def import_refusal(session: Session, rnd: Round) -> str | None:
    """Why a file may not be imported into the round without an explicit correction, or None.

    Responses imported into a closed or published round would change figures already reported; such an
    import is a correction: it is made on purpose and published as the next version.
    """
    last = store.published_info(session, rnd)
    if last is not None:
        return (f"round {rnd.code} was published (version {last.version}, "
                f"{local_time(last.published_at)}): importing would change published figures; "
                "to correct it, import with --correction \"reason\", which publishes the next version")
    if rnd.status is RoundStatus.CLOSED:
        return (f"round {rnd.code} is closed: importing would change its figures; to correct it, import with "
                "--correction \"reason\"")
    return None
