"""Sample accounting of a round, per stratum: forms planned (units drawn), issued (invitations and printed
serials), returned (sampled responses of any status), valid, flagged for review, and the response rate
(valid / issued). Self-selected channels (kiosk, open link, API) are no sample and are left out.

Read as at a moment (what a report says "as at" its date: a published version's workbook counts what had
arrived by its publication, so the same version keeps the same figures); the published figures themselves come
from the results service.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnClause, func, literal_column, select
from sqlalchemy.orm import Session

from sipas.models import FrameUnit, Invitation, Response, ResponseStatus, Round
from sipas.results import SAMPLED, channel_group

#: '' as SQL text, not a bound parameter: PostgreSQL sees the same expression in SELECT and GROUP BY only when
#: the literal is the same text (two parameters $1 and $3 are two expressions to it).
_EMPTY: ColumnClause[str] = literal_column("''")


@dataclass(frozen=True)
class StratumCount:
    """The accounting of one stratum ("" for responses without one)."""

    stratum: str
    planned: int
    issued: int
    returned: int
    valid: int
    flagged: int

    @property
    def response_rate(self) -> float | None:
        """Valid responses per form issued, in percent (None when nothing was issued)."""
        return 100 * self.valid / self.issued if self.issued else None


def sample_accounting(session: Session, rnd: Round, agency_ids: set[int] | None = None,
                      as_at: datetime | None = None, valid: dict[str, int] | None = None) -> list[StratumCount]:
    """Per stratum, in stratum order; `agency_ids` limits it to some agencies (an agency's report); `as_at`
    counts only the invitations issued and the forms received by then (None: everything so far); `valid`: the
    valid sampled responses per stratum as a published version froze them (None: as the statuses are now)."""
    def scoped(query, column, moment=None):
        if as_at is not None and moment is not None:
            query = query.where(moment <= as_at)
        return query.where(column.in_(agency_ids)) if agency_ids is not None else query

    planned = dict(session.execute(scoped(
        select(FrameUnit.stratum, func.count()).where(FrameUnit.round_id == rnd.id, FrameUnit.sampled.is_(True)),
        FrameUnit.agency_id).group_by(FrameUnit.stratum)).all())
    issued = dict(session.execute(scoped(
        select(func.coalesce(Invitation.stratum, _EMPTY), func.count()).where(Invitation.round_id == rnd.id),
        Invitation.agency_id, Invitation.created_at).group_by(func.coalesce(Invitation.stratum, _EMPTY))).all())
    returned: dict[str, dict[str, int]] = {}
    rows = session.execute(scoped(
        select(func.coalesce(Response.stratum, _EMPTY), Response.channel, Response.status, func.count())
        .where(Response.round_id == rnd.id), Response.agency_id, Response.received_at)
        .group_by(func.coalesce(Response.stratum, _EMPTY), Response.channel, Response.status)).all()
    for stratum, channel, status, n in rows:
        if channel_group(channel) != SAMPLED:
            continue
        counts = returned.setdefault(stratum, {"returned": 0, "valid": 0, "flagged": 0})
        counts["returned"] += n
        if status == ResponseStatus.VALID:
            counts["valid"] += n
        elif status == ResponseStatus.FLAGGED:
            counts["flagged"] += n
    if valid is not None:
        for stratum, n in valid.items():
            returned.setdefault(stratum, {"returned": 0, "valid": 0, "flagged": 0})["valid"] = n
        for stratum, counts in returned.items():
            counts["valid"] = valid.get(stratum, 0)
    strata = sorted(set(planned) | set(issued) | set(returned))
    return [StratumCount(s, planned.get(s, 0), issued.get(s, 0), returned.get(s, {}).get("returned", 0),
                         returned.get(s, {}).get("valid", 0), returned.get(s, {}).get("flagged", 0)) for s in strata]
