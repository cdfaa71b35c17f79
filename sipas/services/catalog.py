"""Read what exists: rounds with their response counts, agencies, units."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from sipas.errors import NotFound
from sipas.inputs import whole_number
from sipas.models import Agency, Response, ResponseStatus, Round, round_agencies


@dataclass(frozen=True)
class RoundSummary:
    """A round and how many valid responses it holds."""

    round: Round
    responses: int


# Built once: every submission looks its round and agency up by code.
_ROUND_BY_CODE = select(Round).where(Round.code == bindparam("code"))
_AGENCY_BY_CODE = select(Agency).where(Agency.code == bindparam("code"))


def find_round(session: Session, code: str) -> Round | None:
    """A round by its code, or None."""
    return session.scalar(_ROUND_BY_CODE, {"code": code})


def find_agency(session: Session, code: str) -> Agency | None:
    """An agency by its code, or None."""
    return session.scalar(_AGENCY_BY_CODE, {"code": code})


def get_round(session: Session, key: str | int) -> Round:
    """A round by code or numeric id."""
    found = find_round(session, str(key))
    if found is None and (round_id := whole_number(key)) is not None:
        found = session.get(Round, round_id)
    if found is None:
        raise NotFound(f"no survey round {key!r}")
    return found


def list_rounds(session: Session) -> list[RoundSummary]:
    """All rounds, newest first, with their valid response counts."""
    counts = (select(Response.round_id, func.count().label("n")).where(Response.status == ResponseStatus.VALID)
              .group_by(Response.round_id).subquery())
    rows = session.execute(select(Round, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.round_id == Round.id)
                           .order_by(Round.year.desc(), Round.code)).all()
    return [RoundSummary(r, n) for r, n in rows]


def list_agencies(session: Session, round_key: str | None = None) -> list[Agency]:
    """Agencies, optionally only those taking part in a round, ordered by level and code."""
    stmt = select(Agency)
    if round_key is not None:
        rnd = get_round(session, round_key)
        stmt = stmt.join(round_agencies, round_agencies.c.agency_id == Agency.id).where(
            round_agencies.c.round_id == rnd.id)
    level_order = {"province": 0, "district": 1, "commune": 2}
    return sorted(session.scalars(stmt), key=lambda a: (level_order[a.level.value], a.code))


def get_agency(session: Session, code: str) -> Agency:
    """An agency by its code."""
    agency = find_agency(session, code)
    if agency is None:
        raise NotFound(f"no agency {code!r}")
    return agency
