"""Sampling from one-stop dossier lists: import a frame, preview a design, draw with a stored seed.

The statistics are in analysis/sampling.py; this module reads and writes the database. Sampled dossiers
get a one-time invitation carrying their stratum, PSU and base weight, so every response that comes back
through it is ready for the analysis without further work.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

import numpy as np
from sqlalchemy import CursorResult, case, delete, func, select, update
from sqlalchemy.orm import Session

from analysis import sampling
from analysis.weighting import WeightsReport
from sipas.errors import ValidationFailed
from sipas.models import AdminUnit, Agency, FrameUnit, Round, ServicePoint
from sipas.services.invitations import create_invitations
from sipas.services.responses import dossier_hash
from sipas.services.results.freshness import mark_changed

FRAME_COLUMNS = ("dossier_code", "agency_code", "service_point_code", "field", "level", "completed_on", "on_time",
                 "contact")
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


def import_frame(session: Session, rnd: Round, path: Path | str, *, dossier_key: str,
                 stratify_by: str | tuple[str, ...] = "agency", progress=None) -> int:
    """Load completed dossiers (CSV/XLSX); any problem, reported by row, loads nothing. Returns rows loaded.

    stratify_by: frame columns (STRATIFIERS), e.g. "agency" (the usual SIPAS design), "level" or
    "level,field"; the stratum is their values joined by '/'.
    """
    by = parse_stratifiers(stratify_by)
    from sipas.services.interchange import LEVELS, read_rows
    header, body = read_rows(Path(path))
    problems = [f"column '{c}' is missing" for c in ("dossier_code", "agency_code") if c not in header]
    problems += [f"column '{c}' is not one of {', '.join(FRAME_COLUMNS)}" for c in header if c not in FRAME_COLUMNS]
    if problems:
        raise ValidationFailed(problems)
    col = {name: i for i, name in enumerate(header)}
    agencies = {a.code: a for a in rnd.agencies}
    points = {p.code: p for p in session.scalars(select(ServicePoint))}
    seen, rows = set(), []
    for r, raw in enumerate(body, start=2):
        row = {name: (raw[i].strip() if i < len(raw) else "") for name, i in col.items()}
        agency = agencies.get(row["agency_code"])
        if agency is None:
            problems.append(f"row {r}, column agency_code: {row['agency_code']!r} does not take part in {rnd.code}")
            continue
        if not row["dossier_code"]:
            problems.append(f"row {r}, column dossier_code: empty")
            continue
        hashed = dossier_hash(dossier_key, row["dossier_code"])
        if hashed in seen:
            problems.append(f"row {r}, column dossier_code: duplicate")
            continue
        seen.add(hashed)
        point = points.get(row.get("service_point_code", "")) if row.get("service_point_code") else None
        if row.get("service_point_code") and (point is None or point.agency_id != agency.id):
            problems.append(f"row {r}, column service_point_code: not a service point of {agency.code}")
            continue
        level = LEVELS.get(row.get("level", "").lower()) if row.get("level") else agency.level.value
        if level is None:
            problems.append(f"row {r}, column level: {row['level']!r}")
            continue
        completed = None
        if row.get("completed_on"):
            try:
                completed = date.fromisoformat(row["completed_on"])
            except ValueError:
                problems.append(f"row {r}, column completed_on: {row['completed_on']!r} is not YYYY-MM-DD")
                continue
        on_time = {"1": True, "0": False, "có": True, "không": False, "yes": True, "no": False, "": None}.get(
            row.get("on_time", "").lower())
        rows.append({"round_id": rnd.id, "dossier_hash": hashed, "agency_id": agency.id,
                     "service_point_id": point.id if point else None, "field": row.get("field") or None,
                     "level": level, "completed_on": completed, "on_time": on_time,
                     "contact": row.get("contact") or None,
                     "stratum": stratum_label(by, agency_code=agency.code, level=level, field=row.get("field") or None,
                                              point_code=point.code if point else None, on_time=on_time,
                                              completed_on=completed),
                     "psu": point.code if point else None})
        stratum = str(rows[-1]["stratum"])
        if len(stratum) > 60:
            problems.append(f"row {r}: the stratum {stratum[:70]!r}... is longer than 60 characters")
    if problems:
        raise ValidationFailed(problems[:200], f"{len(problems)} problems, nothing was loaded")
    session.execute(delete(FrameUnit).where(FrameUnit.round_id == rnd.id, FrameUnit.sampled.is_(False)))
    rnd.design = {**(rnd.design or {}), "stratified_by": list(by)}
    for start in range(0, len(rows), 5000):
        session.execute(FrameUnit.__table__.insert(), rows[start:start + 5000])
        if progress is not None:
            progress(min(start + 5000, len(rows)), len(rows))
    session.flush()
    return len(rows)


@dataclass(frozen=True)
class Proportions:
    """Last round's share of satisfied answers, per agency code and per level, and pooled: Neyman's S_h."""

    round_code: str
    by_agency: dict[str, float]
    by_level: dict[str, float]
    pooled: float


def previous_proportions(session: Session, rnd: Round, previous: Round | None = None) -> Proportions:
    """Shares of satisfied answers to the general satisfaction questions in the previous round (the latest
    earlier round of the same jurisdiction with valid responses, unless one is named)."""
    import surveys
    from sipas.models import Answer, Response, ResponseStatus
    if previous is None:
        # The same province keeps its code across the 2025 reorganisation while its unit row changes maps.
        query = select(Round).where(Round.id != rnd.id, Round.year < rnd.year)
        if rnd.jurisdiction is not None:
            query = query.join(AdminUnit, AdminUnit.id == Round.jurisdiction_id).where(
                AdminUnit.code == rnd.jurisdiction.code)
        earlier = session.scalars(query.order_by(Round.year.desc(), Round.id.desc())).all()
        for candidate in earlier:
            if session.scalar(select(func.count()).select_from(Response).where(
                    Response.round_id == candidate.id, Response.status == ResponseStatus.VALID)):
                previous = candidate
                break
        if previous is None:
            raise ValidationFailed({"allocation": "Neyman allocation needs last round's results: no earlier round of "
                                                  "this jurisdiction has responses (name one, or allocate otherwise)"})
    profile = surveys.load(previous.profile_key)
    items = [i.code for i in profile.items_of("satisfaction")] or [i.code for i in profile.items]
    satisfied = list(profile.rules.satisfied_values)
    hit = func.sum(case((Answer.value.in_(satisfied), 1), else_=0))
    rows = session.execute(
        select(Agency.code, Agency.level, func.count(), hit)
        .select_from(Answer).join(Response, Response.id == Answer.response_id)
        .join(Agency, Agency.id == Response.agency_id)
        .where(Response.round_id == previous.id, Response.status == ResponseStatus.VALID, Answer.item_code.in_(items))
        .group_by(Agency.code, Agency.level)).all()
    if not rows:
        raise ValidationFailed({"allocation": f"round {previous.code} has no answers to its satisfaction questions"})
    by_agency = {code: float(s_) / n for code, _, n, s_ in rows if n}
    levels: dict[str, list[int]] = {}
    for _, level, n, s_ in rows:
        key = getattr(level, "value", level)
        levels.setdefault(key, [0, 0])
        levels[key][0] += n
        levels[key][1] += int(s_)
    return Proportions(previous.code, by_agency, {k: v[1] / v[0] for k, v in levels.items() if v[0]},
                       sum(int(r[3]) for r in rows) / sum(r[2] for r in rows))


def _stratum_p(stratum: str, by: list[str], props: Proportions) -> tuple[float, str]:
    """p for one stratum: its agency's, else its level's, else the pooled share; and where it came from."""
    parts = dict(zip(by, stratum.split("/"))) if by else {"agency": stratum}
    if parts.get("agency") in props.by_agency:
        return props.by_agency[parts["agency"]], f"agency {parts['agency']}"
    if parts.get("level") in props.by_level:
        return props.by_level[parts["level"]], f"level {parts['level']}"
    return props.pooled, "pooled"


@dataclass(frozen=True)
class StratumPlan:
    """One stratum of a design: frame size, sample size and the expected margin of error."""

    stratum: str
    N: int
    n: int
    margin: float | None
    #: Neyman allocation: last round's share satisfied used for this stratum, and its source.
    p: float | None = None
    p_source: str | None = None


def preview(session: Session, rnd: Round, *, total: int | None = None, method: str = "proportional",
            e: float = 0.05, deff: float = 1.5, p: float = 0.8, minimum: int = 0,
            previous: Round | None = None) -> list[StratumPlan]:
    """Sizes per stratum: the 2013 formula per stratum when no total is given, else the allocated total.

    Neyman allocation takes S_h = sqrt(p_h (1 - p_h)) from the previous round's share of satisfied answers
    (its agency's, else its level's, else pooled; see previous_proportions)."""
    counts = session.execute(select(FrameUnit.stratum, func.count()).where(FrameUnit.round_id == rnd.id)
                             .group_by(FrameUnit.stratum).order_by(FrameUnit.stratum)).all()
    if not counts:
        raise ValidationFailed({"frame": "no frame loaded for this round (sipas sample frame import)"})
    names = [c[0] for c in counts]
    N = np.array([c[1] for c in counts])
    ps: list[float | None] = [None] * len(names)
    sources: list[str | None] = [None] * len(names)
    if total is None:
        n = sampling.size_2013(N, e)
    elif method == "neyman":
        props = previous_proportions(session, rnd, previous)
        by = list((rnd.design or {}).get("stratified_by") or ["agency"])
        found = [_stratum_p(h, by, props) for h in names]
        ps = [f[0] for f in found]
        sources = [f"{props.round_code}: {f[1]}" for f in found]
        n = sampling.allocate(total, N, method="neyman", p=ps, minimum=minimum)
    else:
        n = sampling.allocate(total, N, method=method, minimum=minimum)
    margins = sampling.margin_of_error(n, N, p=p, deff=deff)
    return [StratumPlan(h, int(Nh), int(nh), None if not np.isfinite(m) else float(m), ph, src)
            for h, Nh, nh, m, ph, src in zip(names, N, n, margins, ps, sources)]


def draw(session: Session, rnd: Round, plan: list[StratumPlan], *, seed: int,
         two_stage: tuple[int, int] | None = None) -> list[tuple[FrameUnit, str]]:
    """Draw the plan with a stored seed; create an invitation per sampled dossier.

    Default: SRS within strata with the plan's sizes. two_stage=(offices, per_office): in every stratum,
    offices (service points) by PPS on their number of dossiers, then dossiers by SRS within each office;
    the office is then the PSU. Returns (frame unit, invitation token) pairs. Refuses a second draw.
    """
    if session.scalar(select(func.count()).select_from(FrameUnit).where(FrameUnit.round_id == rnd.id,
                                                                       FrameUnit.sampled.is_(True))):
        raise ValidationFailed({"frame": "a sample was already drawn for this round"})
    units = session.scalars(select(FrameUnit).where(FrameUnit.round_id == rnd.id).order_by(FrameUnit.id)).all()
    strata = np.array([u.stratum for u in units])
    rng = np.random.default_rng(seed)
    if two_stage is None:
        result = sampling.srs(strata, {s.stratum: s.n for s in plan}, rng=rng)
    else:
        result = _two_stage(units, strata, two_stage, rng)
    agencies = {a.id: a for a in rnd.agencies}
    out = []
    for index, probability in zip(result.selected.tolist(), result.probability.tolist()):
        unit = units[index]
        unit.sampled, unit.probability, unit.weight = True, probability, 1 / probability
        [(invitation, token)] = create_invitations(session, rnd, agencies[unit.agency_id], 1, stratum=unit.stratum,
                                                   psu=unit.psu, weight=unit.weight)
        unit.invitation_id = invitation.id
        out.append((unit, token))
    design = dict(rnd.design or {})
    if two_stage is None:
        design.update({"frame": "completed dossiers", "draw": "srs within strata", "seed": seed,
                       "sizes": {s.stratum: s.n for s in plan}})
    else:
        design.update({"frame": "completed dossiers", "seed": seed, "psu": "service point",
                       "draw": "two-stage: offices by PPS on dossiers, then dossiers by SRS",
                       "offices_per_stratum": two_stage[0], "dossiers_per_office": two_stage[1]})
    rnd.design = design
    session.flush()
    return out


def _two_stage(units, strata: np.ndarray, sizes: tuple[int, int], rng: np.random.Generator) -> sampling.Draw:
    offices_per_stratum, per_office = sizes
    if offices_per_stratum < 1 or per_office < 1:
        raise ValidationFailed({"two_stage": "offices and dossiers per office must be at least 1"})
    if any(u.psu is None for u in units):
        raise ValidationFailed({"two_stage": "every dossier needs its service_point_code for a two-stage draw"})
    selected, probability = [], []
    for h in sorted(set(strata)):
        members = np.flatnonzero(strata == h)
        offices, office_of_unit = np.unique([units[i].psu for i in members], return_inverse=True)
        office_sizes = np.bincount(office_of_unit)
        m = min(offices_per_stratum, len(offices))
        d = sampling.two_stage(office_of_unit, office_sizes, m, per_office, rng=rng)
        selected.append(members[d.selected])
        probability.append(d.probability)
    sel = np.concatenate(selected)
    order = np.argsort(sel)
    return sampling.Draw(sel[order], np.concatenate(probability)[order])


def restratify(session: Session, rnd: Round, stratify_by: str | tuple[str, ...]) -> int:
    """Stratify a loaded frame anew (before the draw), without loading the file again. Returns units updated."""
    by = parse_stratifiers(stratify_by)
    if session.scalar(select(func.count()).select_from(FrameUnit).where(FrameUnit.round_id == rnd.id,
                                                                       FrameUnit.sampled.is_(True))):
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


INVITATION_COLUMNS = ("serial", "agency_code", "stratum", "psu", "contact", "link", "weight")


def invitation_rows(session: Session, drawn: list[tuple[FrameUnit, str]], link_for) -> list[list[str]]:
    """The invitation list for mail merge or postal delivery: one row per sampled dossier, with the serial
    printed on its paper form (paper-forms?sampled=1) and its one-time link. link_for(token) -> URL."""
    from sipas.models import Invitation
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
        from sipas.reports.xlsx import table_bytes
        return table_bytes(list(INVITATION_COLUMNS), rows, "Invitations", widths=[16, 14, 18, 14, 40, 60, 10])
    if fmt != "csv":
        raise ValidationFailed({"format": "csv or xlsx"})
    from sipas.services.interchange import csv_bytes
    return csv_bytes(INVITATION_COLUMNS, rows)


def forget_contacts(session: Session, rnd: Round) -> int:
    """Delete the contact data of a round's frame (when the round closes)."""
    done = session.execute(update(FrameUnit).where(FrameUnit.round_id == rnd.id, FrameUnit.contact.is_not(None))
                           .values(contact=None))
    session.flush()
    return cast(CursorResult, done).rowcount


def agency_codes(session: Session) -> dict[int, str]:
    """Agency id -> code."""
    return dict(session.execute(select(Agency.id, Agency.code)).all())


@dataclass
class WeightingResult:
    """Response rates per stratum, the final weights' report, and how raking went."""

    rates: list[tuple[str, int, int]]  # stratum, sampled, responded
    report: WeightsReport
    rake_iterations: int | None = None
    rake_converged: bool | None = None
    #: column -> "control totals" or "frame counts"
    calibrated_to: dict[str, str] | None = None


RAKE_COLUMNS = ("agency", "field", "level")


def _rake_value(unit: FrameUnit, column: str, codes: dict[int, str]):
    return codes[unit.agency_id] if column == "agency" else unit.field if column == "field" else unit.level


def read_control_totals(path: Path | str) -> dict[str, dict[str, float]]:
    """Known population totals from a CSV/XLSX with columns variable, category, total (e.g. dossiers per agency
    from the one-stop system's yearly statistics). Problems are reported by row; nothing is half-read."""
    from sipas.services.interchange import read_rows
    header, body = read_rows(Path(path))
    if [h.strip().lower() for h in header[:3]] != ["variable", "category", "total"]:
        raise ValidationFailed(["the control totals need the columns variable, category, total"])
    totals: dict[str, dict[str, float]] = {}
    problems = []
    for r, row in enumerate(body, start=2):
        variable, category, raw = ((row[i].strip() if i < len(row) else "") for i in range(3))
        if variable not in RAKE_COLUMNS:
            problems.append(f"row {r}, column variable: {variable!r} is not one of {', '.join(RAKE_COLUMNS)}")
            continue
        try:
            total = float(raw.replace(",", ""))
        except ValueError:
            total = -1.0
        if not total > 0:
            problems.append(f"row {r}, column total: {raw!r} is not a positive number")
            continue
        if category in totals.get(variable, {}):
            problems.append(f"row {r}: {variable} {category!r} appears twice")
            continue
        totals.setdefault(variable, {})[category] = total
    if problems:
        raise ValidationFailed(problems[:200], f"{len(problems)} problems in the control totals")
    if not totals:
        raise ValidationFailed(["the control totals file has no rows"])
    return totals


def compute_weights(session: Session, rnd: Round, *, rake_by: tuple[str, ...] = (),
                    trim: tuple[float, float] | None = None,
                    totals: dict[str, dict[str, float]] | None = None) -> WeightingResult:
    """Final weights for the sampled responses that came back through their invitations.

    Base weight (1/probability) -> non-response adjustment within strata -> optional raking (with trimming)
    by agency / field / level, to known control totals where given (read_control_totals) and otherwise to
    the frame's own counts -> written onto the responses. Flushes.
    """
    from analysis import weighting
    from sipas.models import Invitation, Response, ResponseStatus
    units = session.execute(
        select(FrameUnit, Response).join(Invitation, Invitation.id == FrameUnit.invitation_id)
        .outerjoin(Response, (Response.id == Invitation.response_id) & (Response.status == ResponseStatus.VALID))
        .where(FrameUnit.round_id == rnd.id, FrameUnit.sampled.is_(True)).order_by(FrameUnit.id)).all()
    if not units:
        raise ValidationFailed({"sample": "no sample drawn for this round"})
    base = np.array([u.weight for u, _ in units])
    responded = np.array([r is not None for _, r in units])
    strata = np.array([u.stratum for u, _ in units])
    rates = [(h, int((strata == h).sum()), int(((strata == h) & responded).sum())) for h in sorted(set(strata))]
    try:
        adjusted = weighting.nonresponse_adjust(base, responded, strata)
    except ValueError as exc:
        raise ValidationFailed({"weights": str(exc)}) from None
    calibration: dict[str, Any] = {}
    columns = list(rake_by) + [c for c in (totals or {}) if c not in rake_by]
    if columns:
        keep = responded
        codes = agency_codes(session)
        margins = []
        for column in columns:
            if column not in RAKE_COLUMNS:
                raise ValidationFailed({"rake": f"{column!r}: {', '.join(RAKE_COLUMNS)}"})
            target: dict[Any, float]
            if totals and column in totals:
                target = totals[column]
            else:
                expr = {"agency": FrameUnit.agency_id, "field": FrameUnit.field, "level": FrameUnit.level}[column]
                counts = session.execute(select(expr, func.count()).where(FrameUnit.round_id == rnd.id)
                                         .group_by(expr)).all()
                target = {(codes[cast(int, k)] if column == "agency" else k): float(v) for k, v in counts}
            cats = np.array([_rake_value(u, column, codes) for u, _ in units], dtype=object)[keep]
            uncovered = sorted({str(c) for c in cats if c not in target})
            if uncovered:
                raise ValidationFailed({"rake": f"{column}: respondents in {', '.join(uncovered)} but no control "
                                                f"total for it"})
            margins.append((cats, target))
        try:
            raked = weighting.rake(adjusted[keep], margins, trim=trim)
        except ValueError as exc:
            raise ValidationFailed({"rake": str(exc)}) from None
        adjusted[keep] = raked.weights
        calibration = {"rake_iterations": raked.iterations, "rake_converged": raked.converged,
                       "calibrated_to": {c: ("control totals" if totals and c in totals else "frame counts")
                                         for c in columns}}
    for (unit, response), w in zip(units, adjusted):
        if response is not None:
            response.weight = float(w)
    mark_changed(session, rnd.id)  # weights changed: the provisional results are recomputed after the commit
    result = WeightingResult(rates, weighting.report(adjusted[responded]), **calibration)
    session.flush()
    return result
