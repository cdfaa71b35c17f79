"""Who may see what: the one rule for rounds, agencies and data rows.

A user's scope is the narrowest of their grants and never widens by combining roles:
- jurisdiction: `User.unit_id` names a province (on either map); NULL is the Ministry (the whole country).
  A province covers itself and the old-map provinces that went into it in 2025 (the succession links), so a
  province's staff keep their earlier rounds across the merger. National rounds (no jurisdiction) belong to
  national users only.
- agency: a user tied to an agency (`User.agency_id`, required for agency managers) sees that agency and the
  agencies under it, and only rounds in which one of them takes part, whatever other roles they hold: an
  analyst tied to an agency gets that agency's results and data rows, and no sampling.

Every route, the round list and the exports ask this module (through `user_scope`); nothing else decides.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sipas.models import AdminUnit, Agency, Level, Role, Round, UnitSuccession, User


@dataclass(frozen=True)
class Scope:
    """What one user may see. None means unrestricted on that axis."""

    #: Province ids (both maps) the user's jurisdiction covers; None for national users.
    provinces: frozenset[int] | None
    #: Agency ids the user may see (their jurisdiction's, narrowed by their agency); None: every agency.
    agencies: frozenset[int] | None
    #: Tied to one agency: limits results, data rows and exports to it, and excludes sampling.
    agency_bound: bool = False

    @property
    def national(self) -> bool:
        return self.provinces is None

    @property
    def agency_scoped(self) -> bool:
        return self.agency_bound

    def sees_agency(self, agency_id: int) -> bool:
        """True when the agency is within the scope."""
        return self.agencies is None or agency_id in self.agencies

    def sees_round(self, rnd: Round) -> bool:
        """A round of the user's jurisdiction (national rounds: national users only) and, for an agency scope,
        one in which the user's agency (or one under it) takes part."""
        if self.provinces is not None and rnd.jurisdiction_id not in self.provinces:
            return False
        return not self.agency_bound or any(self.sees_agency(a.id) for a in rnd.agencies)

    def sees_user(self, user: User) -> bool:
        """Accounts an admin may list and change: those of their jurisdiction (and of their agency)."""
        if self.provinces is not None and user.unit_id not in self.provinces:
            return False
        return not self.agency_bound or (user.agency_id is not None and self.sees_agency(user.agency_id))

    def may_sample(self, rnd: Round) -> bool:
        """Sampling (frame, draw, contacts, weights) concerns a whole round: never for an agency scope."""
        return not self.agency_bound and self.sees_round(rnd)


def agency_subtree(session: Session, root_id: int) -> set[int]:
    """Ids of an agency and every agency below it (parent links)."""
    children: dict[int | None, list[int]] = {}
    for agency_id, parent_id in session.execute(select(Agency.id, Agency.parent_id)):
        children.setdefault(parent_id, []).append(agency_id)
    found, todo = set(), [root_id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, []))
    return found


def provinces_of_units(session: Session, unit_ids: Iterable[int]) -> dict[int, int | None]:
    """unit id -> the id of the province it lies in (itself for a province), walking the parent links up."""
    parent: dict[int, tuple[int | None, Level]] = {}
    todo = set(unit_ids)
    while todo:
        rows = session.execute(select(AdminUnit.id, AdminUnit.parent_id, AdminUnit.level)
                               .where(AdminUnit.id.in_(todo))).all()
        parent.update({i: (p, lvl) for i, p, lvl in rows})
        todo = {p for _, p, lvl in rows if lvl is not Level.PROVINCE and p is not None and p not in parent}

    def climb(unit_id: int) -> int | None:
        seen = 0
        at: int | None = unit_id
        while at is not None and at in parent and parent[at][1] is not Level.PROVINCE and seen < 5:
            at, seen = parent[at][0], seen + 1
        return at if at is not None and at in parent and parent[at][1] is Level.PROVINCE else None

    return {u: climb(u) for u in set(unit_ids)}


def covered_provinces(session: Session, unit_id: int) -> frozenset[int]:
    """The province of a unit and the old-map provinces that went into it (2025 succession links)."""
    province = provinces_of_units(session, [unit_id]).get(unit_id)
    if province is None:
        return frozenset()
    before = session.scalars(select(UnitSuccession.predecessor_id).join(
        AdminUnit, AdminUnit.id == UnitSuccession.predecessor_id).where(
        UnitSuccession.successor_id == province, AdminUnit.level == Level.PROVINCE))
    return frozenset({province, *before})


def agencies_in(session: Session, provinces: frozenset[int]) -> set[int]:
    """Ids of the agencies whose administrative unit lies in one of `provinces`."""
    rows = session.execute(select(Agency.id, Agency.unit_id)).all()
    province_of = provinces_of_units(session, {u for _, u in rows})
    return {a for a, u in rows if province_of.get(u) in provinces}


def is_agency_scoped(user: User) -> bool:
    """Anyone tied to an agency (agency managers must be) is limited to it; combining roles never widens it."""
    return user.agency_id is not None or user.has_role(Role.AGENCY_MANAGER)


def user_scope(session: Session, user: User) -> Scope:
    """The scope of a user: the narrowest of their jurisdiction and their agency."""
    provinces = covered_provinces(session, user.unit_id) if user.unit_id is not None else None
    agencies: set[int] | None = None
    bound = is_agency_scoped(user)
    if bound:
        agencies = agency_subtree(session, user.agency_id) if user.agency_id else set()
    if provinces is not None:
        in_jurisdiction = agencies_in(session, provinces)
        agencies = in_jurisdiction if agencies is None else agencies & in_jurisdiction
    return Scope(provinces, frozenset(agencies) if agencies is not None else None, bound)


def codes_of(session: Session, agency_ids: set[int]) -> set[str]:
    """Agency codes of a set of ids."""
    return set(session.scalars(select(Agency.code).where(Agency.id.in_(agency_ids)))) if agency_ids else set()


def visible_agencies(scope: Scope, agencies: Iterable[Agency]) -> list[Agency]:
    """Filter agencies to a scope."""
    return [a for a in agencies if scope.sees_agency(a.id)]


def visible_rounds(scope: Scope, rounds: Iterable) -> list:
    """Filter rounds (or RoundSummary rows, which carry `.round`) to a scope."""
    return [r for r in rounds if scope.sees_round(getattr(r, "round", r))]


def filter_rows(rows: Iterator[list], codes: set[str]) -> Iterator[list]:
    """Interchange rows (header first, agency code in the second column) of the given agencies only."""
    header = next(rows, None)
    if header is None:
        return
    yield header
    column = header.index("agency_code")
    for row in rows:
        if row[column] in codes:
            yield row


def sees_province_page(scope: Scope, rnd: Round, province_id: int) -> bool:
    """A province's page of a national round: national users see every one; a province's staff (not tied to an
    agency) see their own province's, on either map, though the national round itself is not theirs."""
    if rnd.jurisdiction_id is not None:
        return scope.sees_round(rnd)
    if scope.national:
        return True
    return not scope.agency_bound and province_id in (scope.provinces or frozenset())
