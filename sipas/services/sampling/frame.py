"""The sampling frame: the list of completed dossiers a round's sample is drawn from, its strata and its
lock after the draw."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from sipas.errors import ValidationFailed
from sipas.models import Agency, FrameUnit, Round, ServicePoint
from sipas.services.interchange import LEVELS, read_rows
from sipas.services.responses import dossier_hash

FRAME_COLUMNS = ("dossier_code", "agency_code", "service_point_code", "field", "level", "completed_on", "on_time",
                 "contact", "name", "address")
#: The longest text each stored column takes (a longer cell is reported by row, not cut).
MAX_LENGTHS = {"dossier_code": 80, "field": 80, "contact": 300, "name": 200, "address": 300}
#: What a frame may be stratified by (any combination, in the order given): frame columns as loaded.
STRATIFIERS = ("agency", "level", "field", "service_point", "on_time", "completed_month")


def parse_stratifiers(text: str | tuple[str, ...]) -> tuple[str, ...]:
    """'level,agency' -> ('level', 'agency'); unknown names raise ValidationFailed."""
    names = tuple(n.strip() for n in (text.split(",") if isinstance(text, str) else text) if n.strip())
    unknown = [n for n in names if n not in STRATIFIERS]
    if unknown or not names:
        raise ValidationFailed({"stratify_by": f"{', '.join(unknown) or 'nothing'}: choose from "
                                               f"{', '.join(STRATIFIERS)}"})
    return names


def stratum_label(by: tuple[str, ...], *, agency_code: str, level: str, field: str | None, point_code: str | None,
                  on_time: bool | None, completed_on: date | None) -> str:
    """The stratum of one dossier: the chosen columns' values joined by '/' (a missing value is '-')."""
    values = {"agency": agency_code, "level": level, "field": field, "service_point": point_code,
              "on_time": None if on_time is None else ("on_time" if on_time else "late"),
              "completed_month": completed_on.strftime("%Y-%m") if completed_on else None}
    return "/".join(values[name] or "-" for name in by)


#: What the on_time column may say (lower case): the one-stop systems' own words, yes/no, 1/0; empty is unknown.
ON_TIME_WORDS = {"1": True, "0": False, "có": True, "không": False, "yes": True, "no": False, "đúng hạn": True,
                 "trước hạn": True, "trễ hạn": False, "quá hạn": False, "on time": True, "late": False, "": None}


def _read_date(text: str) -> date | None:
    """A completion date as exported: yyyy-mm-dd, an Excel date cell (read as 'yyyy-mm-dd 00:00:00') or the
    Vietnamese dd/mm/yyyy."""
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


@dataclass
class _FrameReader:
    """What reading one frame file needs to know, and what it found so far (rows to load, problems by row)."""

    rnd: Round
    by: tuple[str, ...]
    dossier_key: str
    agencies: dict[str, Agency]
    points: dict[str, ServicePoint]
    seen: set[str] = field(default_factory=set)
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def read(self, r: int, row: dict[str, str]) -> None:
        """One row of the file (r: its number in the file, the header being row 1): a unit to load or a problem."""
        unit, problem = self._unit(r, row)
        if problem:
            self.problems.append(problem)
        elif unit is not None:
            self.rows.append(unit)
            if len(unit["stratum"]) > 60:
                self.problems.append(f"row {r}: the stratum {unit['stratum'][:70]!r}... is longer than 60 characters")

    def _unit(self, r: int, row: dict[str, str]) -> tuple[dict[str, Any] | None, str | None]:
        agency = self.agencies.get(row["agency_code"])
        if agency is None:
            return None, f"row {r}, column agency_code: {row['agency_code']!r} does not take part in {self.rnd.code}"
        if not row["dossier_code"]:
            return None, f"row {r}, column dossier_code: empty"
        hashed = dossier_hash(self.dossier_key, row["dossier_code"])
        if hashed in self.seen:
            return None, f"row {r}, column dossier_code: duplicate"
        self.seen.add(hashed)
        point = self.points.get(row.get("service_point_code", "")) if row.get("service_point_code") else None
        if row.get("service_point_code") and (point is None or point.agency_id != agency.id):
            return None, f"row {r}, column service_point_code: not a service point of {agency.code}"
        level = LEVELS.get(row.get("level", "").lower()) if row.get("level") else agency.level.value
        if level is None:
            return None, f"row {r}, column level: {row['level']!r}"
        completed = _read_date(row["completed_on"]) if row.get("completed_on") else None
        if row.get("completed_on") and completed is None:
            return None, (f"row {r}, column completed_on: {row['completed_on']!r} is not a date "
                          f"(dd/mm/yyyy or yyyy-mm-dd)")
        on_time_text = " ".join(row.get("on_time", "").lower().split())
        if on_time_text not in ON_TIME_WORDS:
            return None, (f"row {r}, column on_time: {row['on_time']!r} is not one of "
                          f"{', '.join(w for w in ON_TIME_WORDS if w)}")
        on_time = ON_TIME_WORDS[on_time_text]
        too_long = [c for c, n in MAX_LENGTHS.items() if len(row.get(c, "")) > n]
        if too_long:
            return None, f"row {r}, column {too_long[0]}: longer than {MAX_LENGTHS[too_long[0]]} characters"
        return {"round_id": self.rnd.id, "dossier_hash": hashed, "agency_id": agency.id,
                "service_point_id": point.id if point else None, "field": row.get("field") or None,
                "level": level, "completed_on": completed, "on_time": on_time, "contact": row.get("contact") or None,
                "dossier_code": row["dossier_code"], "name": row.get("name") or None,
                "address": row.get("address") or None,
                "stratum": stratum_label(self.by, agency_code=agency.code, level=level, field=row.get("field") or None,
                                         point_code=point.code if point else None, on_time=on_time,
                                         completed_on=completed),
                "psu": point.code if point else None}, None


def _check_header(header: list[str]) -> None:
    problems = [f"column '{c}' is missing" for c in ("dossier_code", "agency_code") if c not in header]
    problems += [f"column '{c}' is not one of {', '.join(FRAME_COLUMNS)}" for c in header if c not in FRAME_COLUMNS]
    if problems:
        raise ValidationFailed(problems)


def import_frame(session: Session, rnd: Round, path: Path | str, *, dossier_key: str,
                 stratify_by: str | tuple[str, ...] = "agency", progress=None) -> int:
    """Load completed dossiers (CSV/XLSX); any problem, reported by row, loads nothing. Returns rows loaded.

    stratify_by: frame columns (STRATIFIERS), e.g. "agency" (the usual SIPAS design), "level" or
    "level,field"; the stratum is their values joined by '/'.
    """
    by = parse_stratifiers(stratify_by)
    ensure_frame_open(session, rnd)
    header, body = read_rows(Path(path))
    _check_header(header)
    col = {name: i for i, name in enumerate(header)}
    reader = _FrameReader(rnd, by, dossier_key, {a.code: a for a in rnd.agencies},
                          {p.code: p for p in session.scalars(select(ServicePoint))})
    for r, raw in enumerate(body, start=2):
        reader.read(r, {name: (raw[i].strip() if i < len(raw) else "") for name, i in col.items()})
    if reader.problems:
        raise ValidationFailed(reader.problems[:200], f"{len(reader.problems)} problems, nothing was loaded")
    _replace_frame(session, rnd, by, reader.rows, progress)
    return len(reader.rows)


def _replace_frame(session: Session, rnd: Round, by: tuple[str, ...], rows: list[dict[str, Any]], progress) -> None:
    """Store the units read (the frame is open: nothing is sampled), in batches, reporting progress."""
    session.execute(delete(FrameUnit).where(FrameUnit.round_id == rnd.id, FrameUnit.sampled.is_(False)))
    rnd.design = {**(rnd.design or {}), "stratified_by": list(by)}
    for start in range(0, len(rows), 5000):
        session.execute(FrameUnit.__table__.insert(), rows[start:start + 5000])
        if progress is not None:
            progress(min(start + 5000, len(rows)), len(rows))
    session.flush()


def sampled_count(session: Session, rnd: Round) -> int:
    """How many dossiers of the round's frame were drawn (0: no draw yet)."""
    return session.scalar(select(func.count()).select_from(FrameUnit).where(FrameUnit.round_id == rnd.id,
                                                                          FrameUnit.sampled.is_(True))) or 0


FRAME_LOCKED = ("a sample was already drawn for this round: its dossier list is locked (a new list needs a new "
                "round, or a reset of the draw before any invitation is used: sipas sample reset)")


def ensure_frame_open(session: Session, rnd: Round) -> None:
    """The one rule for the frame after the draw: it is locked (the weights and margins depend on it)."""
    if sampled_count(session, rnd):
        raise ValidationFailed({"frame": FRAME_LOCKED})


def restratify(session: Session, rnd: Round, stratify_by: str | tuple[str, ...]) -> int:
    """Stratify a loaded frame anew (before the draw), without loading the file again. Returns units updated."""
    by = parse_stratifiers(stratify_by)
    if sampled_count(session, rnd):
        raise ValidationFailed({"frame": "a sample was already drawn: its strata cannot change"})
    codes = agency_codes(session)
    points = dict(session.execute(select(ServicePoint.id, ServicePoint.code)).all())
    rows = session.execute(select(FrameUnit.id, FrameUnit.agency_id, FrameUnit.level, FrameUnit.field,
                                  FrameUnit.service_point_id, FrameUnit.on_time, FrameUnit.completed_on)
                           .where(FrameUnit.round_id == rnd.id)).all()
    changes = [{"id": r.id, "stratum": stratum_label(by, agency_code=codes[r.agency_id], level=r.level, field=r.field,
                                                     point_code=points.get(r.service_point_id), on_time=r.on_time,
                                                     completed_on=r.completed_on)} for r in rows]
    too_long = [c["stratum"] for c in changes if len(c["stratum"]) > 60]
    if too_long:
        raise ValidationFailed({"stratify_by": f"stratum labels longer than 60 characters, e.g. {too_long[0]!r}"})
    for start in range(0, len(changes), 5000):
        session.execute(update(FrameUnit), changes[start:start + 5000])
    design = dict(rnd.design or {})
    design["stratified_by"] = list(by)
    rnd.design = design
    session.flush()
    return len(changes)


def forget_contacts(session: Session, rnd: Round) -> int:
    """Delete the contact data of a round's frame (when the round closes)."""
    done = session.execute(update(FrameUnit).where(FrameUnit.round_id == rnd.id, FrameUnit.contact.is_not(None)
                                                   | FrameUnit.dossier_code.is_not(None) | FrameUnit.name.is_not(None)
                                                   | FrameUnit.address.is_not(None))
                           .values(contact=None, dossier_code=None, name=None, address=None))
    session.flush()
    return cast(CursorResult, done).rowcount


def agency_codes(session: Session) -> dict[int, str]:
    """Agency id -> code."""
    return dict(session.execute(select(Agency.id, Agency.code)).all())
