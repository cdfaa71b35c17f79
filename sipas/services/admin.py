"""Administration use cases: survey rounds and agencies (created, opened, closed, imported)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

import surveys
from sipas.errors import ValidationFailed
from sipas.inputs import too_long
from sipas.models import (
    AdminMap,
    AdminUnit,
    Agency,
    AgencyKind,
    AgencySuccession,
    Channel,
    Level,
    Round,
    RoundStatus,
    ServicePoint,
)
from sipas.services.interchange import LEVELS, read_rows
from sipas.services.sampling import forget_contacts

KIND_VI = {"sở": AgencyKind.DEPARTMENT, "ubnd": AgencyKind.PEOPLES_COMMITTEE,
           "trung tâm": AgencyKind.SERVICE_CENTRE, "một cửa": AgencyKind.ONE_STOP_DESK}


def create_round(session: Session, *, code: str, name: str, year: int, profile_key: str, admin_map: str,
                 province_code: str | None, opens_on: date | None, closes_on: date | None, channels: list[str],
                 agency_codes: list[str], design: dict | None = None) -> Round:
    """A new round in draft. Agencies must exist; the profile must load; dates must be in order."""
    problems: dict[str, str] = {}
    code = code.strip()
    if not code or len(code) > 40:
        problems["code"] = "1..40 characters"
    elif session.scalar(select(Round.id).where(Round.code == code)) is not None:
        problems["code"] = f"round {code} already exists"
    problems.update(too_long(Round, {"name": name.strip()}))
    try:
        profile = surveys.load(profile_key)
    except surveys.ProfileError as exc:
        problems["profile"] = str(exc)
        profile = None
    try:
        map_ = AdminMap(admin_map)
    except ValueError:
        problems["admin_map"] = "historical_63 or new_34"
        map_ = None
    if not 2000 <= year <= 2100:
        problems["year"] = "2000..2100"
    if opens_on and closes_on and closes_on < opens_on:
        problems["closes_on"] = "before opens_on"
    valid_channels = {c.value for c in Channel}
    bad = [c for c in channels if c not in valid_channels]
    if bad or not channels:
        problems["channels"] = f"choose from {', '.join(sorted(valid_channels))}"
    jurisdiction = None
    if province_code and map_ is not None:
        jurisdiction = session.scalar(select(AdminUnit).where(AdminUnit.admin_map == map_, AdminUnit.level ==
                                                              Level.PROVINCE, AdminUnit.code == province_code))
        if jurisdiction is None:
            problems["province"] = f"no province {province_code} on map {admin_map} (sipas units import?)"
    agencies = []
    for agency_code in agency_codes:
        agency = session.scalar(select(Agency).where(Agency.code == agency_code))
        if agency is None:
            problems[f"agency {agency_code}"] = "unknown agency"
        agencies.append(agency)
    if not agency_codes:
        problems["agencies"] = "at least one agency"
    if problems:
        raise ValidationFailed(problems)
    assert profile is not None  # a profile that did not load is one of the problems above
    rnd = Round(code=code, name=name.strip() or code, year=year, method_version=profile.method_version,
                profile_key=profile.key, admin_map=map_, jurisdiction=jurisdiction, opens_on=opens_on,
                closes_on=closes_on, status=RoundStatus.DRAFT, channels=sorted(set(channels)),
                design=design or {}, agencies=agencies)
    session.add(rnd)
    session.flush()
    return rnd


def set_status(session: Session, rnd: Round, status: RoundStatus) -> None:
    """Open, close or reopen a round. Publishing is separate: a published round can still be reopened (its
    published versions stay frozen; later responses are provisional until the next version)."""
    allowed = {RoundStatus.DRAFT: {RoundStatus.OPEN}, RoundStatus.OPEN: {RoundStatus.CLOSED},
               RoundStatus.CLOSED: {RoundStatus.OPEN}}
    if status not in allowed[rnd.status]:
        raise ValidationFailed({"status": f"a {rnd.status.value} round cannot become {status.value}"})
    rnd.status = status
    if status is RoundStatus.CLOSED:
        forget_contacts(session, rnd)  # contact data of the frame is not kept past fieldwork
    session.flush()


@dataclass
class AgencyImport:
    """What an agency import did, row by row."""

    created: int = 0
    updated: int = 0
    problems: list[str] = field(default_factory=list)


AGENCY_COLUMNS = ("code", "name", "kind", "level", "admin_map", "unit_code", "parent_code", "service_point_code",
                  "service_point_name", "valid_from", "valid_to", "name_en", "predecessors")


def import_agencies(session: Session, path: Path | str) -> AgencyImport:
    """Create or update agencies (and their service point) from CSV/XLSX; any problem changes nothing.

    Columns: code, name, kind (department / peoples_committee / service_centre / one_stop_desk / other, or
    Sở / UBND / Trung tâm / Một cửa), level (province/district/commune or tỉnh/huyện/xã), admin_map, unit_code,
    optional parent_code, service_point_code, service_point_name, valid_from, valid_to (YYYY-MM-DD), name_en,
    predecessors (codes separated by ";"): a merger or a rename, effective on valid_from, recorded as successor
    links so results on both sides of the change stay true.
    """
    header, body = read_rows(Path(path))
    _check_agency_columns(header)
    report = AgencyImport()
    col = {name: i for i, name in enumerate(header)}
    existing = {a.code: a for a in session.scalars(select(Agency))}
    pending: dict[str, Agency] = {}
    parents: list[tuple[int, Agency, str]] = []
    successions: list[tuple[int, Agency, list[str], date]] = []
    for r, raw in enumerate(body, start=2):
        row = {name: (raw[i].strip() if i < len(raw) else "") for name, i in col.items()}
        checked = _agency_row(session, r, row, pending)
        if isinstance(checked, list):
            report.problems += checked
            continue
        agency = _store_agency(session, row, checked, existing, report)
        pending[row["code"]] = agency
        if row.get("parent_code"):
            parents.append((r, agency, row["parent_code"]))
        if row.get("predecessors"):
            if checked.valid_from is None:
                report.problems.append(f"row {r}, column predecessors: needs valid_from (the date of the change)")
            else:
                successions.append((r, agency, [c.strip() for c in row["predecessors"].split(";") if c.strip()],
                                    checked.valid_from))
    known = {**existing, **pending}
    for r, agency, parent_code in parents:
        parent = known.get(parent_code)
        if parent is None:
            report.problems.append(f"row {r}, column parent_code: unknown agency {parent_code!r}")
        else:
            agency.parent = parent
    if report.problems:
        raise ValidationFailed(report.problems, f"{len(report.problems)} problems, nothing was imported")
    session.flush()
    _link_successions(session, successions, known, report)
    if report.problems:
        raise ValidationFailed(report.problems, f"{len(report.problems)} problems, nothing was imported")
    session.flush()
    return report


def _check_agency_columns(header: list[str]) -> None:
    missing = [c for c in ("code", "name", "kind", "level", "admin_map", "unit_code") if c not in header]
    if missing:
        raise ValidationFailed([f"column '{c}' is missing" for c in missing])
    unknown = [c for c in header if c not in AGENCY_COLUMNS]
    if unknown:
        raise ValidationFailed([f"column '{c}' is not one of {', '.join(AGENCY_COLUMNS)}" for c in unknown])


@dataclass
class _AgencyRow:
    """One checked row of an agency file: its values as the model takes them."""

    kind: AgencyKind
    level: str
    unit: AdminUnit
    valid_from: date | None
    valid_to: date | None


def _agency_row(session: Session, r: int, row: dict[str, str], pending: dict[str, Agency]) -> _AgencyRow | list[str]:
    """The row's values, or its problems (file row r)."""
    problems = []
    kind = KIND_VI.get(row["kind"].lower())
    if kind is None:
        try:
            kind = AgencyKind(row["kind"])
        except ValueError:
            problems.append(f"row {r}, column kind: {row['kind']!r}")
    level = LEVELS.get(row["level"].lower())
    if level is None:
        problems.append(f"row {r}, column level: {row['level']!r}")
    try:
        map_ = AdminMap(row["admin_map"])
    except ValueError:
        map_ = None
        problems.append(f"row {r}, column admin_map: {row['admin_map']!r} (historical_63 or new_34)")
    unit = None
    if map_ is not None and level is not None:
        unit = session.scalar(select(AdminUnit).where(AdminUnit.admin_map == map_,
                                                      AdminUnit.code == row["unit_code"]))
        if unit is None:
            problems.append(f"row {r}, column unit_code: no unit {row['unit_code']!r} on {map_.value}")
    dates = {}
    for name in ("valid_from", "valid_to"):
        if row.get(name):
            try:
                dates[name] = date.fromisoformat(row[name])
            except ValueError:
                problems.append(f"row {r}, column {name}: {row[name]!r} is not YYYY-MM-DD")
    if not row["code"] or not row["name"]:
        problems.append(f"row {r}: code and name are required")
    if row["code"] in pending:
        problems.append(f"row {r}, column code: {row['code']} appears twice")
    if problems:
        return problems
    assert kind is not None and level is not None and unit is not None  # each was checked above
    return _AgencyRow(kind, level, unit, dates.get("valid_from"), dates.get("valid_to"))


def _store_agency(session: Session, row: dict[str, str], checked: _AgencyRow, existing: dict[str, Agency],
                  report: AgencyImport) -> Agency:
    agency = existing.get(row["code"])
    if agency is None:
        agency = Agency(code=row["code"])
        session.add(agency)
        report.created += 1
    else:
        report.updated += 1
    agency.name, agency.kind, agency.level, agency.unit = row["name"], checked.kind, Level(checked.level), checked.unit
    agency.name_en = row.get("name_en") or agency.name_en
    agency.valid_from, agency.valid_to = checked.valid_from, checked.valid_to
    if row.get("service_point_code"):
        point = session.scalar(select(ServicePoint).where(ServicePoint.code == row["service_point_code"]))
        if point is None:
            point = ServicePoint(code=row["service_point_code"], name=row.get("service_point_name") or row["name"])
            agency.service_points.append(point)
    return agency


def _link_successions(session: Session, successions: list[tuple[int, Agency, list[str], date]],
                      known: dict[str, Agency], report: AgencyImport) -> None:
    for r, agency, codes, effective in successions:
        for code in codes:
            predecessor = known.get(code)
            if predecessor is None:
                report.problems.append(f"row {r}, column predecessors: unknown agency {code!r}")
                continue
            if predecessor.valid_to is None or predecessor.valid_to >= effective:
                # The predecessor ends the day before its successor starts.
                predecessor.valid_to = effective - timedelta(days=1)
            exists = session.get(AgencySuccession, (predecessor.id, agency.id))
            if exists is None:
                session.add(AgencySuccession(predecessor_id=predecessor.id, successor_id=agency.id, share=1.0,
                                             effective_on=effective))

