"""Sampling from one-stop dossier lists: import a frame, preview a design, draw with a stored seed.

The statistics are in analysis/sampling.py; this module reads and writes the database. Sampled dossiers
get a one-time invitation carrying their stratum, PSU and base weight, so every response that comes back
through it is ready for the analysis without further work.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from analysis import sampling
from sipas.errors import ValidationFailed
from sipas.models import Agency, FrameUnit, Round, ServicePoint
from sipas.services.invitations import create_invitations
from sipas.services.responses import dossier_hash

FRAME_COLUMNS = ("dossier_code", "agency_code", "service_point_code", "field", "level", "completed_on", "on_time",
                 "contact")


def import_frame(session: Session, rnd: Round, path: Path | str, *, dossier_key: str,
                 stratify_by: str = "agency", progress=None) -> int:
    """Load completed dossiers (CSV/XLSX); any problem, reported by row, loads nothing. Returns rows loaded.

    stratify_by: "agency" (stratum = agency code, the usual SIPAS design) or "level".
    """
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
                     "stratum": agency.code if stratify_by == "agency" else level,
                     "psu": point.code if point else None})
    if problems:
        raise ValidationFailed(problems[:200], f"{len(problems)} problems, nothing was loaded")
    session.execute(delete(FrameUnit).where(FrameUnit.round_id == rnd.id, FrameUnit.sampled.is_(False)))
    for start in range(0, len(rows), 5000):
        session.execute(FrameUnit.__table__.insert(), rows[start:start + 5000])
        if progress is not None:
            progress(min(start + 5000, len(rows)), len(rows))
    session.flush()
    return len(rows)


@dataclass(frozen=True)
class StratumPlan:
    """One stratum of a design: frame size, sample size and the expected margin of error."""

    stratum: str
    N: int
    n: int
    margin: float | None


def preview(session: Session, rnd: Round, *, total: int | None = None, method: str = "proportional",
            e: float = 0.05, deff: float = 1.5, p: float = 0.8, minimum: int = 0) -> list[StratumPlan]:
    """Sizes per stratum: the 2013 formula per stratum when no total is given, else the allocated total."""
    counts = session.execute(select(FrameUnit.stratum, func.count()).where(FrameUnit.round_id == rnd.id)
                             .group_by(FrameUnit.stratum).order_by(FrameUnit.stratum)).all()
    if not counts:
        raise ValidationFailed({"frame": "no frame loaded for this round (sipas sample frame import)"})
    names = [c[0] for c in counts]
    N = np.array([c[1] for c in counts])
    n = sampling.size_2013(N, e) if total is None else sampling.allocate(total, N, method=method, minimum=minimum)
    margins = sampling.margin_of_error(n, N, p=p, deff=deff)
    return [StratumPlan(h, int(Nh), int(nh), None if not np.isfinite(m) else float(m))
            for h, Nh, nh, m in zip(names, N, n, margins)]


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


def forget_contacts(session: Session, rnd: Round) -> int:
    """Delete the contact data of a round's frame (when the round closes)."""
    done = session.execute(update(FrameUnit).where(FrameUnit.round_id == rnd.id, FrameUnit.contact.is_not(None))
                           .values(contact=None))
    session.flush()
    return done.rowcount


def agency_codes(session: Session) -> dict[int, str]:
    """Agency id -> code."""
    return dict(session.execute(select(Agency.id, Agency.code)).all())


@dataclass
class WeightingResult:
    """Response rates per stratum, the final weights' report, and how raking went."""

    rates: list[tuple[str, int, int]]  # stratum, sampled, responded
    report: object
    rake_iterations: int | None = None
    rake_converged: bool | None = None


def compute_weights(session: Session, rnd: Round, *, rake_by: tuple[str, ...] = (),
                    trim: tuple[float, float] | None = None) -> WeightingResult:
    """Final weights for the sampled responses that came back through their invitations.

    Base weight (1/probability) -> non-response adjustment within strata -> optional raking to the frame's
    counts by agency / field / level (with trimming) -> written onto the responses. Flushes.
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
    result = WeightingResult(rates, None)
    if rake_by:
        keep = responded
        margins = []
        for column in rake_by:
            if column not in ("agency", "field", "level"):
                raise ValidationFailed({"rake": f"{column!r}: agency, field or level"})
            expr = {"agency": FrameUnit.agency_id, "field": FrameUnit.field, "level": FrameUnit.level}[column]
            counts = dict(session.execute(select(expr, func.count()).where(FrameUnit.round_id == rnd.id)
                                          .group_by(expr)).all())
            cats = np.array([getattr(u, {"agency": "agency_id", "field": "field", "level": "level"}[column])
                             for u, _ in units], dtype=object)[keep]
            margins.append((cats, {k: float(v) for k, v in counts.items()}))
        try:
            raked = weighting.rake(adjusted[keep], margins, trim=trim)
        except ValueError as exc:
            raise ValidationFailed({"rake": str(exc)}) from None
        adjusted[keep] = raked.weights
        result.rake_iterations, result.rake_converged = raked.iterations, raked.converged
    for (unit, response), w in zip(units, adjusted):
        if response is not None:
            response.weight = float(w)
    result.report = weighting.report(adjusted[responded])
    session.flush()
    return result
