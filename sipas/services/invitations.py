"""One-time invitation links for sampled respondents: each accepts exactly one response."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from typing import cast

from sqlalchemy import CursorResult, bindparam, func, select, update
from sqlalchemy.orm import Session

from sipas.errors import SipasError, ValidationFailed
from sipas.models import Agency, Invitation, Response, Round
from sipas.services.credentials import token_hash

#: Invitation codes are printed on letters and may be typed by hand: no look-alikes (0/O, 1/I/L), capitals only,
#: 16 characters (about 79 bits) in four groups of four, e.g. ``K7QM-3XHP-WB9T-C2RD``.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 16


def new_code() -> str:
    """A fresh invitation code, grouped for reading."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(code: str) -> str:
    """The code as stored (hashed): capitals, without the spaces and dashes between groups; O read as 0 never
    occurs because neither is in the alphabet, so a typed O or 0 simply does not match."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


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
        token = new_code()
        invitation = Invitation(round_id=rnd.id, agency_id=agency.id, token_hash=token_hash(normalise_code(token)),
                                serial=f"{rnd.code}-I{start + n + 1:06d}", stratum=stratum, psu=psu, weight=weight)
        session.add(invitation)
        made.append((invitation, token))
    session.flush()
    return made


def reissue(invitation: Invitation) -> str:
    """A new token for an unused invitation: the old link stops working (a one-time secret stays one-time)."""
    if invitation.used_at is not None:
        raise InvitationUsed("this invitation has already been used")
    token = new_code()
    invitation.token_hash = token_hash(normalise_code(token))
    return token


def find(session: Session, token: str) -> Invitation | None:
    """The invitation of a link token or a typed code (any case, with or without the dashes and spaces).

    Links made before codes were grouped (URL-safe random tokens) are matched as they are."""
    if len(token) > 200:
        return None
    hashes = {token_hash(token), token_hash(normalise_code(token))}
    return session.scalar(select(Invitation).where(Invitation.token_hash.in_(hashes)))


def mark_used(session: Session, invitation: Invitation, response) -> None:
    """Attach the response (a Response, or what record_response returned: anything with its .id); a conditional
    UPDATE makes a second, concurrent submission fail."""
    done = session.execute(update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
                           .values(used_at=datetime.now(timezone.utc), response_id=response.id))
    if cast(CursorResult, done).rowcount != 1:
        raise InvitationUsed("this invitation has already been used")


BURST_WINDOW = timedelta(minutes=10)
BURST_THRESHOLD = 3


# Counting stops at the threshold: identical all-5 answers are common, and an unbounded count would read
# every one of them on each submission. ix_responses_burst (round_id, content_hash, received_at) answers it
# from at most BURST_THRESHOLD index entries, whatever the round's size.
_SAME_CONTENT_SINCE = select(func.count()).select_from(
    select(Response.id).where(Response.round_id == bindparam("round_id"), Response.content_hash == bindparam("digest"),
                              Response.received_at >= bindparam("since")).limit(BURST_THRESHOLD - 1).subquery())


def burst_reason(session: Session, round_id: int, digest: str) -> str | None:
    """Why a response about to be stored is flagged (never dropped) as part of a burst, or None.

    A burst: the same content (`digest`, the response's content hash) already arrived at least
    BURST_THRESHOLD - 1 times in the round within BURST_WINDOW, so this one would be the BURST_THRESHOLD-th.
    Read-only and asked before the insert (record_response's `flag_check`), so on SQLite it runs outside the
    write lock. Two identical submissions racing each other may both go unflagged; the next one is caught.
    Flagged responses are kept for review and do not count until an administrator restores them.
    """
    since = datetime.now(timezone.utc) - BURST_WINDOW
    before = session.scalar(_SAME_CONTENT_SINCE, {"round_id": round_id, "digest": digest, "since": since}) or 0
    if before < BURST_THRESHOLD - 1:
        return None
    return (f"burst: at least {before + 1} identical responses within "
            f"{int(BURST_WINDOW.total_seconds() // 60)} min")
