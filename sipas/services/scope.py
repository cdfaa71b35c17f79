"""Who may see what: agency managers see their agency and the agencies under it; others their jurisdiction."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sipas.models import Agency, Role, User


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


def is_agency_scoped(user: User) -> bool:
    """Agency managers (and anyone tied to an agency) are limited to that agency; combining roles never widens it."""
    return user.agency_id is not None or user.has_role(Role.AGENCY_MANAGER)


def agency_scope(session: Session, user: User) -> set[int] | None:
    """The agency ids the user may see: None for the whole jurisdiction, else the agency and those under it."""
    if not is_agency_scoped(user):
        return None
    return agency_subtree(session, user.agency_id) if user.agency_id else set()


def codes_of(session: Session, agency_ids: set[int]) -> set[str]:
    """Agency codes of a set of ids."""
    return set(session.scalars(select(Agency.code).where(Agency.id.in_(agency_ids)))) if agency_ids else set()


def visible_agencies(session: Session, user: User, agencies: list[Agency]) -> list[Agency]:
    """Filter agencies to the user's scope."""
    allowed = agency_scope(session, user)
    return agencies if allowed is None else [a for a in agencies if a.id in allowed]
