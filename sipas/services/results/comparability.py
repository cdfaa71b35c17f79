"""Whether two rounds can be compared: the one rule used for year-on-year changes and for the trend."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sipas.models import AdminMap, AdminUnit, Level, Round, UnitSuccession

#: Rounds of ratings at the desk are not a measurement of the SIPAS: they never serve as a previous round.
_SELF_SELECTED_PROFILES = "KIOSK%"


def break_between(earlier: Round, later: Round) -> str | None:
    """Why two rounds of the same place cannot be compared ("METHOD_BREAK", "GEO_BREAK"), or None."""
    if earlier.method_version != later.method_version:
        return "METHOD_BREAK"
    if earlier.admin_map != later.admin_map:
        return "GEO_BREAK"
    return None


def _place(rnd: Round) -> str | None:
    # By official code: a province keeps its code across the 2025 map (its unit on each map is another row).
    return rnd.jurisdiction.code if rnd.jurisdiction is not None else None


def same_place(rounds: list[Round], rnd: Round) -> list[Round]:
    """The rounds covering the same place as `rnd` (the same province by code, or the whole country)."""
    return [r for r in rounds if _place(r) == _place(rnd)]


def measurements(session: Session, rnd: Round) -> list[Round]:
    """The SIPAS rounds of the same place up to `rnd`'s year, oldest first (`rnd` included)."""
    rounds = session.scalars(select(Round).where(Round.year <= rnd.year,
                                                 Round.profile_key.not_like(_SELF_SELECTED_PROFILES))
                             .order_by(Round.year, Round.id)).all()
    return same_place(list(rounds), rnd)


def previous_round(session: Session, rnd: Round) -> tuple[Round | None, str | None]:
    """The latest earlier round of the same place and None when it is comparable, or with the reason it is not
    ("METHOD_BREAK", "GEO_BREAK"); (None, "NO_PREVIOUS") when there is none."""
    earlier = [r for r in measurements(session, rnd) if r.year < rnd.year]
    if not earlier:
        return None, "NO_PREVIOUS"
    prev = earlier[-1]
    return prev, break_between(prev, rnd)


def unchanged_by_merger(session: Session, province: AdminUnit) -> bool:
    """True when a province of the 2025 map is one old province under the same code (Lai Châu, Hà Nội...)."""
    before = session.scalars(select(AdminUnit.code)
                             .join(UnitSuccession, UnitSuccession.predecessor_id == AdminUnit.id)
                             .where(UnitSuccession.successor_id == province.id, AdminUnit.level == Level.PROVINCE))
    return list(before) == [province.code]


def across_merger(session: Session, earlier: Round, later: Round) -> bool:
    """True when `earlier` (63-province map) compares with `later` (2025 map) once re-estimated on the new map:
    the same method, and the whole country, or a province the merger left as it was."""
    if earlier.method_version != later.method_version or earlier.admin_map is not AdminMap.HISTORICAL_63 \
            or later.admin_map is not AdminMap.NEW_34:
        return False
    if later.jurisdiction is None:
        return earlier.jurisdiction_id is None
    return unchanged_by_merger(session, later.jurisdiction)


def next_across_merger(session: Session, rnd: Round) -> Round | None:
    """The next measurement of the same place when it is on the 2025 map and compares with `rnd` only once `rnd`
    is re-estimated on that map (what the job stores beside `rnd`'s own results), else None."""
    if rnd.admin_map is not AdminMap.HISTORICAL_63:
        return None
    later = session.scalars(select(Round).where(Round.year > rnd.year, Round.admin_map == AdminMap.NEW_34,
                                                Round.profile_key.not_like(_SELF_SELECTED_PROFILES))
                            .order_by(Round.year, Round.id)).all()
    for candidate in same_place(list(later), rnd):
        prev, _ = previous_round(session, candidate)
        return candidate if prev is not None and prev.id == rnd.id and across_merger(session, rnd, candidate) \
            else None
    return None
