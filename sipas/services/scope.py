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


def visible_agencies(session: Session, user: User, agencies: list[Agency]) -> list[Agency]:
    """Filter agencies to the user's scope. Combining roles never widens an agency manager's scope."""
    if user.has_role(Role.AGENCY_MANAGER) or user.agency_id is not None:
        allowed = agency_subtree(session, user.agency_id) if user.agency_id else set()
        return [a for a in agencies if a.id in allowed]
    return agencies
