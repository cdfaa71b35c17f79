"""Append to the audit log (there is deliberately no function that changes or deletes an entry)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from sipas.models import AuditEvent, User


def record(session: Session, action: str, *, actor: User | str | None = None, object_type: str | None = None,
           object_id: object = None, detail: dict | None = None, ip: str | None = None) -> AuditEvent:
    """Add one audit event; the caller's transaction commits it together with the change it describes."""
    event = AuditEvent(action=action, object_type=object_type,
                       object_id=None if object_id is None else str(object_id), detail=detail or {}, ip=ip)
    if isinstance(actor, User):
        event.actor_id, event.actor = actor.id, actor.username
    else:
        event.actor = actor or "system"
    session.add(event)
    session.flush()
    return event
