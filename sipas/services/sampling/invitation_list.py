"""The invitation list for mail merge or postal delivery, and its audited re-issue."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sipas.errors import ValidationFailed
from sipas.models import Agency, FrameUnit, Invitation, Round
from sipas.reports.xlsx import table_bytes
from sipas.services import audit
from sipas.services.interchange_export import csv_bytes
from sipas.services.invitations import reissue
from sipas.services.sampling.frame import sampled_count


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


#: The first seven columns as before; then what a mail merge needs. "code" is what the citizen types on the
#: invitation page (the link, also printed as a QR code, carries it).
INVITATION_COLUMNS = ("serial", "agency_code", "stratum", "psu", "contact", "link", "weight", "list", "dossier_code",
                      "completed_on", "agency_name", "name", "address", "code")
#: The "list" column: which list a row belongs to (in Vietnamese: the list is handed to the Department's staff).
LIST_WORDS = {"main": "mẫu chính", "released": "dự phòng đã mời", "reserve": "dự phòng (chưa mời)"}


def invitation_rows(session: Session, drawn: list[tuple[FrameUnit, str]], link_for,
                    reserve: list[FrameUnit] | tuple = ()) -> list[list[str]]:
    """The invitation list for mail merge or postal delivery: one row per sampled dossier, with the serial
    printed on its paper form (paper-forms?sampled=1) and its one-time link, then the reserve dossiers not yet
    invited (no serial, link or code: they are invited only once released). link_for(token) -> URL."""
    ids = [u.invitation_id for u, _ in drawn]
    serials: dict[int | None, str] = {}
    for start in range(0, len(ids), 5000):
        serials.update({i: s or "" for i, s in session.execute(select(Invitation.id, Invitation.serial)
                                                               .where(Invitation.id.in_(ids[start:start + 5000])))})
    agencies = {a.id: a for a in session.scalars(select(Agency))}
    rows = [[serials[u.invitation_id], agencies[u.agency_id].code, u.stratum, u.psu or "", u.contact or "",
             link_for(token), f"{u.weight:.6g}", LIST_WORDS["released" if u.reserve_rank else "main"],
             *_merge_fields(u, agencies), token] for u, token in drawn]
    rows += [["", agencies[u.agency_id].code, u.stratum, u.psu or "", u.contact or "", "", "", LIST_WORDS["reserve"],
              *_merge_fields(u, agencies), ""] for u in reserve]
    return rows


def _merge_fields(unit: FrameUnit, agencies: dict[int, Agency]) -> list[str]:
    """Dossier code, completion date (dd/mm/yyyy), the agency's name, the applicant's name and address."""
    return [unit.dossier_code or "", unit.completed_on.strftime("%d/%m/%Y") if unit.completed_on else "",
            agencies[unit.agency_id].name, unit.name or "", unit.address or ""]


def invitation_list_bytes(rows: list[list[str]], fmt: str) -> bytes:
    """The list as CSV (UTF-8 with BOM, so Excel shows Vietnamese; formula-safe cells) or XLSX (text cells)."""
    if fmt == "xlsx":
        return table_bytes(list(INVITATION_COLUMNS), rows, "Invitations",
                           widths=[16, 14, 18, 14, 40, 60, 10, 18, 20, 12, 40, 30, 50, 16])
    if fmt != "csv":
        raise ValidationFailed({"format": "csv or xlsx"})
    return csv_bytes(INVITATION_COLUMNS, rows)
