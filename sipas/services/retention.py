"""Privacy retention: free-text comments are deleted after a set number of months (answers stay)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sipas.models import Comment


def delete_old_comments(session: Session, months: int, *, now: datetime | None = None, dry_run: bool = False) -> int:
    """Delete comments older than `months` (30-day months); returns how many. Flushes; the caller commits."""
    if months < 1:
        raise ValueError("months must be at least 1")
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=30 * months)
    count = session.scalar(select(func.count()).select_from(Comment).where(Comment.created_at < cutoff))
    if count and not dry_run:
        session.execute(delete(Comment).where(Comment.created_at < cutoff))
        session.flush()
    return count or 0
