"""Fieldwork per stratum, read live from the invitations."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from sipas.models import FrameUnit, Invitation, Response, ResponseStatus, Round


@dataclass(frozen=True)
class FieldworkRow:
    """Fieldwork in one stratum: invitations issued, returned (a response came back, whatever its status),
    valid responses, and the response rate (valid / issued); reserve dossiers released (invited, counted in
    issued) and still held."""

    stratum: str
    issued: int
    returned: int
    valid: int
    released: int = 0
    reserve: int = 0

    @property
    def rate(self) -> float | None:
        return self.valid / self.issued if self.issued else None


def fieldwork(session: Session, rnd: Round) -> list[FieldworkRow]:
    """Progress of the fieldwork per stratum, read live from the invitations (nothing is computed or written:
    the weights are not touched). The last row is the total."""
    valid = func.sum(case((Response.status == ResponseStatus.VALID, 1), else_=0))
    rows = session.execute(
        select(FrameUnit.stratum, func.count(), func.count(Invitation.used_at), valid)
        .join(Invitation, Invitation.id == FrameUnit.invitation_id)
        .outerjoin(Response, Response.id == Invitation.response_id)
        .where(FrameUnit.round_id == rnd.id, FrameUnit.sampled.is_(True))
        .group_by(FrameUnit.stratum).order_by(FrameUnit.stratum)).all()
    reserves: dict[tuple[str, bool], int] = {
        (h, bool(sampled)): int(n) for h, sampled, n in session.execute(
            select(FrameUnit.stratum, FrameUnit.sampled, func.count())
            .where(FrameUnit.round_id == rnd.id, FrameUnit.reserve_rank.is_not(None))
            .group_by(FrameUnit.stratum, FrameUnit.sampled))}
    out = [FieldworkRow(h, int(n), int(used), int(v or 0), reserves.get((h, True), 0), reserves.get((h, False), 0))
           for h, n, used, v in rows]
    if out:
        out.append(FieldworkRow("total", sum(r.issued for r in out), sum(r.returned for r in out),
                                sum(r.valid for r in out), sum(r.released for r in out), sum(r.reserve for r in out)))
    return out
