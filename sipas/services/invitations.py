"""One-time invitation links for sampled respondents: each accepts exactly one response."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from sipas.errors import SipasError, ValidationFailed
from sipas.models import Agency, Invitation, Response, ResponseStatus, Round
from sipas.services.credentials import token_hash


class InvitationUsed(SipasError):
    """The link already received its response."""


def create_invitations(session: Session, rnd: Round, agency: Agency, count: int, *, stratum: str | None = None,
                       psu: str | None = None, weight: float = 1.0) -> list[tuple[Invitation, str]]:
    """Create `count` invitations; returns each with its token (only the hash is stored)."""
    if not 1 <= count <= 100_000:
        raise ValidationFailed({"count": "between 1 and 100000"})
    if agency not in rnd.agencies:
        raise ValidationFailed({"agency": f"{agency.code} does not take part in {rnd.code}"})
    made = []
    start = session.scalar(select(func.count()).select_from(Invitation).where(Invitation.round_id == rnd.id)) or 0
    for n in range(count):
        token = new_token()
        invitation = Invitation(round_id=rnd.id, agency_id=agency.id, token_hash=token_hash(token),
                                serial=f"{rnd.code}-I{start + n + 1:06d}", stratum=stratum, psu=psu, weight=weight)
        session.add(invitation)
        made.append((invitation, token))
    session.flush()
    return made


def new_token() -> str:
    """A fresh one-time link token (only its hash is ever stored)."""
    return secrets.token_urlsafe(18)


def reissue(invitation: Invitation) -> str:
    """A new token for an unused invitation: the old link stops working (a one-time secret stays one-time)."""
    if invitation.used_at is not None:
        raise InvitationUsed("this invitation has already been used")
    token = new_token()
    invitation.token_hash = token_hash(token)
    return token


def find(session: Session, token: str) -> Invitation | None:
    """The invitation of a link token."""
    return session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))


def mark_used(session: Session, invitation: Invitation, response) -> None:
    """Attach the response (a Response, or what record_response returned: anything with its .id); a conditional
    UPDATE makes a second, concurrent submission fail."""
    done = session.execute(update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
                           .values(used_at=datetime.now(timezone.utc), response_id=response.id))
    if done.rowcount != 1:
        raise InvitationUsed("this invitation has already been used")


BURST_WINDOW = timedelta(minutes=10)
BURST_THRESHOLD = 3


# Counting stops at the threshold: identical all-5 answers are common, and an unbounded count would read
# every one of them on each submission.
_SAME_CONTENT_SINCE = select(func.count()).select_from(
    select(Response.id).where(Response.round_id == bindparam("round_id"), Response.content_hash == bindparam("digest"),
                              Response.received_at >= bindparam("since")).limit(BURST_THRESHOLD).subquery())


def flag_if_burst(session: Session, recorded) -> bool:
    """Flag (never drop) a response when identical answers arrived repeatedly in a short window.

    `recorded` is what record_response returned. Flagged responses are kept for review and do not count
    until an administrator restores them.
    """
    since = datetime.now(timezone.utc) - BURST_WINDOW
    same = session.scalar(_SAME_CONTENT_SINCE, {"round_id": recorded.round_id, "digest": recorded.content_hash,
                                                "since": since})
    if same >= BURST_THRESHOLD:
        # Core UPDATE: the response is not loaded in this session, so there is nothing to synchronise.
        session.execute(update(Response.__table__).where(Response.__table__.c.id == recorded.id).values(
            status=ResponseStatus.FLAGGED,
            flag_reason=f"burst: at least {same} identical responses within "
                        f"{int(BURST_WINDOW.total_seconds() // 60)} min"))
        return True
    return False
