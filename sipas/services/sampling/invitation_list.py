"""The invitation list for mail merge or postal delivery, and its audited re-issue."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sipas.errors import ValidationFailed
from sipas.models import FrameUnit, Invitation, Round
from sipas.reports.xlsx import table_bytes
from sipas.services import audit
from sipas.services.interchange import csv_bytes
from sipas.services.invitations import reissue
from sipas.services.sampling.frame import agency_codes, sampled_count


def reissue_invitation_list(session: Session, rnd: Round, *, actor, ip: str | None = None
                            ) -> list[tuple[FrameUnit, str]]:
    """The invitation list again, for the people allowed to download it: only token hashes are stored, so every
    sampled dossier whose invitation is still unused gets a new link (the earlier list's links stop working);
    used invitations are left out. Audited. Returns (frame unit, new token) pairs for invitation_rows."""
    drawn = sampled_count(session, rnd)
    if not drawn:
        raise ValidationFailed({"sample": "no sample drawn for this round"})
    pairs = session.execute(select(FrameUnit, Invitation).join(Invitation, Invitation.id == FrameUnit.invitation_id)
                            .where(FrameUnit.round_id == rnd.id, FrameUnit.sampled.is_(True),
                                   Invitation.used_at.is_(None)).order_by(FrameUnit.id)).all()
    out = [(unit, reissue(invitation)) for unit, invitation in pairs]
    audit.record(session, "invitations_reissued", actor=actor, object_type="round", object_id=rnd.id, ip=ip,
                 detail={"reissued": len(out), "already_used": drawn - len(out)})
    session.flush()
    return out


INVITATION_COLUMNS = ("serial", "agency_code", "stratum", "psu", "contact", "link", "weight")


def invitation_rows(session: Session, drawn: list[tuple[FrameUnit, str]], link_for) -> list[list[str]]:
    """The invitation list for mail merge or postal delivery: one row per sampled dossier, with the serial
    printed on its paper form (paper-forms?sampled=1) and its one-time link. link_for(token) -> URL."""
    ids = [u.invitation_id for u, _ in drawn]
    serials: dict[int | None, str] = {}
    for start in range(0, len(ids), 5000):
        serials.update({i: s or "" for i, s in session.execute(select(Invitation.id, Invitation.serial)
                                                               .where(Invitation.id.in_(ids[start:start + 5000])))})
    codes = agency_codes(session)
    return [[serials[u.invitation_id], codes[u.agency_id], u.stratum, u.psu or "", u.contact or "", link_for(token),
             f"{u.weight:.6g}"] for u, token in drawn]


def invitation_list_bytes(rows: list[list[str]], fmt: str) -> bytes:
    """The list as CSV (UTF-8 with BOM, so Excel shows Vietnamese; formula-safe cells) or XLSX (text cells)."""
    if fmt == "xlsx":
        return table_bytes(list(INVITATION_COLUMNS), rows, "Invitations", widths=[16, 14, 18, 14, 40, 60, 10])
    if fmt != "csv":
        raise ValidationFailed({"format": "csv or xlsx"})
    return csv_bytes(INVITATION_COLUMNS, rows)
