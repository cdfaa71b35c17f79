"""Sampling from one-stop dossier lists: import a frame, preview a design, draw with a stored seed.

The statistics are in analysis/sampling.py; this module reads and writes the database. Sampled dossiers
get a one-time invitation carrying their stratum, PSU and base weight, so every response that comes back
through it is ready for the analysis without further work.
"""
from __future__ import annotations

import re
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


#: What the on_time column may say (lower case): the one-stop systems' own words, yes/no, 1/0; empty is unknown.
ON_TIME_WORDS = {"1": True, "0": False, "có": True, "không": False, "yes": True, "no": False, "đúng hạn": True,
                 "trước hạn": True, "trễ hạn": False, "quá hạn": False, "on time": True, "late": False, "": None}


def _read_date(text: str) -> date | None:
    """A completion date as exported: yyyy-mm-dd, an Excel date cell (read as 'yyyy-mm-dd 00:00:00') or the
    Vietnamese dd/mm/yyyy."""
    from datetime import datetime
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def import_frame(session: Session, rnd: Round, path: Path | str, *, dossier_key: str,
                 stratify_by: str | tuple[str, ...] = "agency", progress=None) -> int:
    """Load completed dossiers (CSV/XLSX); any problem, reported by row, loads nothing. Returns rows loaded.

    stratify_by: frame columns (STRATIFIERS), e.g. "agency" (the usual SIPAS design), "level" or
    "level,field"; the stratum is their values joined by '/'.
    """
    by = parse_stratifiers(stratify_by)
    ensure_frame_open(session, rnd)
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
            completed = _read_date(row["completed_on"])
            if completed is None:
                problems.append(f"row {r}, column completed_on: {row['completed_on']!r} is not a date "
                                f"(dd/mm/yyyy or yyyy-mm-dd)")
                continue
        on_time_text = " ".join(row.get("on_time", "").lower().split())
        if on_time_text not in ON_TIME_WORDS:
            problems.append(f"row {r}, column on_time: {row['on_time']!r} is not one of "
                            f"{', '.join(w for w in ON_TIME_WORDS if w)}")
            continue
        on_time = ON_TIME_WORDS[on_time_text]
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


def reset_draw(session: Session, rnd: Round, *, actor, reason: str, ip: str | None = None) -> int:
    """Undo a draw and unload its frame, audited: only while no invitation of the draw has been used.

    The draw's invitations (their links and serials) are deleted, so nothing printed from the earlier list can
    be answered; the seed and sizes leave the design and are kept in its reset history. Returns the dossiers
    the draw had selected. The caller commits.
    """
    from sipas.models import Invitation
    from sipas.services import audit
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationFailed({"reason": "say why the draw is reset (at least 5 characters); it is audited"})
    drawn = sampled_count(session, rnd)
    if not drawn:
        raise ValidationFailed({"frame": "no sample was drawn for this round: nothing to reset"})
    ids = select(FrameUnit.invitation_id).where(FrameUnit.round_id == rnd.id, FrameUnit.invitation_id.is_not(None))
    used = session.scalar(select(func.count()).select_from(Invitation).where(Invitation.id.in_(ids),
                                                                            Invitation.used_at.is_not(None)))
    if used:
        raise ValidationFailed({"frame": f"{used} invitation(s) of this draw already received a response: the draw "
                                         f"can no longer be reset (a new list needs a new round)"})
    invitation_ids = list(session.scalars(ids))
    session.execute(delete(FrameUnit).where(FrameUnit.round_id == rnd.id))
    for start in range(0, len(invitation_ids), 5000):
        session.execute(delete(Invitation).where(Invitation.id.in_(invitation_ids[start:start + 5000])))
    design = dict(rnd.design or {})
    undone = {k: design.pop(k) for k in DRAW_KEYS if k in design}
    design["resets"] = [*design.get("resets", []), {"reason": reason, "drawn": drawn, "seed": undone.get("seed")}]
    rnd.design = design
    audit.record(session, "sample_reset", actor=actor, object_type="round", object_id=rnd.id, ip=ip,
                 detail={"reason": reason, "drawn": drawn, "seed": undone.get("seed")})
    mark_changed(session, rnd.id)
    session.flush()
    return drawn


#: What a draw writes into the round's design (removed again by reset_draw).
DRAW_KEYS = ("frame", "draw", "seed", "sizes", "psu", "offices_per_stratum", "dossiers_per_office", "plan")


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
        # Comparable: the same questionnaire (a kiosk rating round's shares are not this survey's).
        query = select(Round).where(Round.id != rnd.id, Round.year < rnd.year, Round.profile_key == rnd.profile_key)
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
                                                  "this jurisdiction with the same questionnaire has responses (name "
                                                  "one, or allocate otherwise)"})
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
    by_agency = {code: float(s_) / n for code, n, s_ in _with_successors(session, rows) if n}
    levels: dict[str, list[int]] = {}
    for _, level, n, s_ in rows:
        key = getattr(level, "value", level)
        levels.setdefault(key, [0, 0])
        levels[key][0] += n
        levels[key][1] += int(s_)
    return Proportions(previous.code, by_agency, {k: v[1] / v[0] for k, v in levels.items() if v[0]},
                       sum(int(r[3]) for r in rows) / sum(r[2] for r in rows))


def _with_successors(session: Session, rows) -> list[tuple[str, int, int]]:
    """(agency code, answers, satisfied) per agency of the previous round, plus every agency that took over
    from one of them (followed across mergers, transitively): a merged department's share is that of all the
    departments it was formed from, its own included."""
    from sipas.models import AgencySuccession
    counts = {code: [int(n), int(s_)] for code, _, n, s_ in rows}
    codes = agency_codes(session)
    successors: dict[str, set[str]] = {}
    for pred, succ in session.execute(select(AgencySuccession.predecessor_id, AgencySuccession.successor_id)):
        successors.setdefault(codes[pred], set()).add(codes[succ])
    total = {code: list(v) for code, v in counts.items()}
    for code, (n, hit) in counts.items():
        seen, todo = {code}, list(successors.get(code, ()))
        while todo:
            nxt = todo.pop()
            if nxt in seen:
                continue
            seen.add(nxt)
            total.setdefault(nxt, [0, 0])
            total[nxt][0] += n
            total[nxt][1] += hit
            todo.extend(successors.get(nxt, ()))
    return [(code, n, hit) for code, (n, hit) in total.items()]


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


ALLOCATIONS = ("proportional", "equal", "neyman")


def check_plan_parameters(*, total: int | None, method: str, e: float, deff: float, minimum: int) -> None:
    """The design's parameters, refused with what is expected (never a NaN margin or a raw Python message)."""
    problems = {}
    if total is not None and total < 1:
        problems["total"] = f"{total}: at least 1 interview"
    if method not in ALLOCATIONS:
        problems["allocation"] = f"{method!r}: {', '.join(ALLOCATIONS)}"
    if not (np.isfinite(e) and 0 < e < 0.5):
        problems["e"] = f"{e}: the margin of error is a proportion between 0 and 0.5, e.g. 0.05"
    if not (np.isfinite(deff) and deff > 0):
        problems["deff"] = f"{deff}: the design effect is a positive number, e.g. 1.5"
    if minimum < 0:
        problems["minimum"] = f"{minimum}: zero or more interviews per stratum"
    if problems:
        raise ValidationFailed(problems)


def parse_two_stage(text: str) -> tuple[int, int] | None:
    """'3,20' -> (3, 20): offices per stratum, dossiers per office; empty -> None."""
    if not (text or "").strip():
        return None
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(p.isdigit() and int(p) >= 1 for p in parts):
        raise ValidationFailed({"two_stage": f"{text!r}: two whole numbers OFFICES,PER_OFFICE, each at least 1, "
                                             f"e.g. 3,20"})
    return int(parts[0]), int(parts[1])


def preview(session: Session, rnd: Round, *, total: int | None = None, method: str = "proportional",
            e: float = 0.05, deff: float = 1.5, p: float = 0.8, minimum: int = 0,
            previous: Round | None = None) -> list[StratumPlan]:
    """Sizes per stratum: the 2013 formula per stratum when no total is given, else the allocated total.

    Neyman allocation takes S_h = sqrt(p_h (1 - p_h)) from the previous round's share of satisfied answers
    (its agency's, else its level's, else pooled; see previous_proportions)."""
    check_plan_parameters(total=total, method=method, e=e, deff=deff, minimum=minimum)
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


def frame_fingerprint(session: Session, rnd: Round) -> str:
    """SHA-256 over the frame's (keyed dossier hash, stratum) pairs in sorted order: the same list gives the
    same fingerprint, whatever order it was loaded in."""
    import hashlib
    digest = hashlib.sha256()
    for dossier, stratum in session.execute(select(FrameUnit.dossier_hash, FrameUnit.stratum)
                                            .where(FrameUnit.round_id == rnd.id).order_by(FrameUnit.dossier_hash)):
        digest.update(f"{dossier}\t{stratum}\n".encode())
    return digest.hexdigest()


def draw(session: Session, rnd: Round, plan: list[StratumPlan], *, seed: int,
         two_stage: tuple[int, int] | None = None, parameters: dict | None = None) -> list[tuple[FrameUnit, str]]:
    """Draw the plan with a stored seed; create an invitation per sampled dossier.

    Default: SRS within strata with the plan's sizes. two_stage=(offices, per_office): in every stratum,
    offices (service points) by PPS on their number of dossiers, then dossiers by SRS within each office;
    the office is then the PSU. Returns (frame unit, invitation token) pairs. Refuses a second draw.
    """
    if sampled_count(session, rnd):
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
    # The sample plan a Department signs before fieldwork (printable at /admin/rounds/<round>/sample/plan).
    design["plan"] = {
        "frame_fingerprint": frame_fingerprint(session, rnd), "frame_size": sum(p.N for p in plan),
        "stratified_by": design.get("stratified_by") or ["agency"], "parameters": dict(parameters or {}),
        "seed": seed, "two_stage": list(two_stage) if two_stage else None, "drawn": len(out),
        "strata": [{"stratum": p.stratum, "N": p.N, "n": p.n, "margin": p.margin, "p": p.p, "p_from": p.p_source}
                   for p in plan]}
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


def reissue_invitation_list(session: Session, rnd: Round, *, actor, ip: str | None = None
                            ) -> list[tuple[FrameUnit, str]]:
    """The invitation list again, for the people allowed to download it: only token hashes are stored, so every
    sampled dossier whose invitation is still unused gets a new link (the earlier list's links stop working);
    used invitations are left out. Audited. Returns (frame unit, new token) pairs for invitation_rows."""
    from sipas.models import Invitation
    from sipas.services import audit
    from sipas.services.invitations import reissue
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


@dataclass(frozen=True)
class FieldworkRow:
    """Fieldwork in one stratum: invitations issued, returned (a response came back, whatever its status),
    valid responses, and the response rate (valid / issued)."""

    stratum: str
    issued: int
    returned: int
    valid: int

    @property
    def rate(self) -> float | None:
        return self.valid / self.issued if self.issued else None


def fieldwork(session: Session, rnd: Round) -> list[FieldworkRow]:
    """Progress of the fieldwork per stratum, read live from the invitations (nothing is computed or written:
    the weights are not touched). The last row is the total."""
    from sipas.models import Invitation, Response, ResponseStatus
    valid = func.sum(case((Response.status == ResponseStatus.VALID, 1), else_=0))
    rows = session.execute(
        select(FrameUnit.stratum, func.count(), func.count(Invitation.used_at), valid)
        .join(Invitation, Invitation.id == FrameUnit.invitation_id)
        .outerjoin(Response, Response.id == Invitation.response_id)
        .where(FrameUnit.round_id == rnd.id, FrameUnit.sampled.is_(True))
        .group_by(FrameUnit.stratum).order_by(FrameUnit.stratum)).all()
    out = [FieldworkRow(h, int(n), int(used), int(v or 0)) for h, n, used, v in rows]
    if out:
        out.append(FieldworkRow("total", sum(r.issued for r in out), sum(r.returned for r in out),
                                sum(r.valid for r in out)))
    return out


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
    #: largest relative gap of a margin after raking
    rake_gap: float | None = None
    #: raking did not converge and the weights were written anyway (accept_nonconverged)
    accepted_nonconverged: bool = False


RAKE_COLUMNS = ("agency", "field", "level")


def _rake_value(unit: FrameUnit, column: str, codes: dict[int, str]):
    return codes[unit.agency_id] if column == "agency" else unit.field if column == "field" else unit.level


def parse_total(raw: str) -> tuple[float | None, str | None]:
    """A control total as written in a Vietnamese or an English spreadsheet: (value, None) or (None, why not).

    Vietnamese writes 6.800 for six thousand eight hundred and 6,8 for six point eight; English the other way
    round. A single separator followed by exactly three digits ("6.800", "6,800") can be read both ways, so it
    is refused; anything else is read by the only convention it fits ("1.234.567", "1,234,567", "6.800,5",
    "6,800.5", "6,8", "6.8", "6800"). Spaces between digit groups are thousands separators."""
    text = raw.strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None, "is empty"
    if re.fullmatch(r"\d+", text):
        value = float(text)
    elif re.fullmatch(r"\d{1,3}[.,]\d{3}", text):
        return None, (f"is ambiguous: {text.replace(',', '').replace('.', '')} or {float(text.replace(',', '.')):g}? "
                      f"write it without a thousands separator")
    elif (m := re.fullmatch(r"(\d{1,3}([.,])\d{3}(?:\2\d{3})*)(?:([.,])(\d+))?", text)) and (
            m.group(3) is None or m.group(3) != m.group(2)) and (m.group(3) or m.group(1).count(m.group(2)) > 1):
        # Groups of three with one separator, then (optionally) a decimal part with the other one.
        value = float(m.group(1).replace(m.group(2), "") + ("." + m.group(4) if m.group(4) else ""))
    elif re.fullmatch(r"\d+[.,]\d+", text):
        value = float(text.replace(",", "."))  # one separator not followed by exactly three digits: a decimal
    else:
        return None, "is not a number"
    if not value > 0:
        return None, "is not a positive number"
    return value, None


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
        total, why = parse_total(raw)
        if why:
            problems.append(f"row {r}, column total: {raw!r} {why}")
            continue
        if category in totals.get(variable, {}):
            problems.append(f"row {r}: {variable} {category!r} appears twice")
            continue
        totals.setdefault(variable, {})[category] = cast(float, total)  # parse_total gives a number or a reason
    if problems:
        raise ValidationFailed(problems[:200], f"{len(problems)} problems in the control totals")
    if not totals:
        raise ValidationFailed(["the control totals file has no rows"])
    return totals


def parse_trim(text: str) -> tuple[float, float] | None:
    """'0.3,3' -> (0.3, 3.0); empty -> None; anything else is refused with what is expected."""
    if not (text or "").strip():
        return None
    try:
        low, high = (float(x) for x in text.split(","))
    except ValueError:
        raise ValidationFailed({"trim": f"{text!r}: two numbers low,high, e.g. 0.3,3"}) from None
    if not (0 < low <= 1 <= high) or not np.isfinite(high):
        raise ValidationFailed({"trim": f"{text!r}: low must be between 0 and 1 and high at least 1, e.g. 0.3,3"})
    return low, high


def parse_merge(text: str) -> dict[str, str]:
    """'A=B;C=B' -> {'A': 'B', 'C': 'B'}: strata merged into another for the non-response adjustment."""
    out = {}
    for part in (p.strip() for p in (text or "").split(";")):
        if not part:
            continue
        source, sep, target = (x.strip() for x in part.partition("="))
        if not sep or not source or not target or source == target:
            raise ValidationFailed({"merge": f"{part!r}: STRATUM=INTO, several separated by ';'"})
        out[source] = target
    if any(target in out for target in out.values()):
        raise ValidationFailed({"merge": "merge into a stratum that is not itself merged"})
    return out


def compute_weights(session: Session, rnd: Round, *, rake_by: tuple[str, ...] = (),
                    trim: tuple[float, float] | None = None,
                    totals: dict[str, dict[str, float]] | None = None, accept_nonconverged: bool = False,
                    confirm_below_frame: bool = False, merge: dict[str, str] | None = None) -> WeightingResult:
    """Final weights for the sampled responses that came back through their invitations.

    Base weight (1/probability) -> non-response adjustment within strata -> optional raking (with trimming)
    by agency / field / level, to known control totals where given (read_control_totals) and otherwise to
    the frame's own counts -> written onto the responses. Flushes.

    Refused, with nothing written: raking that does not converge (unless accept_nonconverged, which the
    report in the round's design records); control totals below the frame's own count of a category, or final
    weights below 1 (a respondent standing for less than one dossier), unless confirm_below_frame.
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
    merge = dict(merge or {})
    unknown = sorted({h for pair in merge.items() for h in pair} - set(strata.tolist()))
    if unknown:
        raise ValidationFailed({"merge": f"not strata of this sample: {', '.join(unknown)}"})
    # Weighting classes: a stratum without respondents is merged into the one named for it (A=B).
    classes = np.array([merge.get(h, h) for h in strata.tolist()], dtype=object)
    try:
        adjusted = weighting.nonresponse_adjust(base, responded, classes)
    except ValueError as exc:
        raise ValidationFailed({"weights": f"{exc} (e.g. --merge EMPTY=OTHER, or the merge field on the page)"}) \
            from None
    # The report is filled in once the weights are final (below); raking details are set on the way.
    result = WeightingResult(rates, cast(WeightsReport, None))
    columns = list(rake_by) + [c for c in (totals or {}) if c not in rake_by]
    if columns:
        keep = responded
        codes = agency_codes(session)
        margins = []
        for column in columns:
            if column not in RAKE_COLUMNS:
                raise ValidationFailed({"rake": f"{column!r}: {', '.join(RAKE_COLUMNS)}"})
            target: dict[Any, float]
            expr = {"agency": FrameUnit.agency_id, "field": FrameUnit.field, "level": FrameUnit.level}[column]
            counts = session.execute(select(expr, func.count()).where(FrameUnit.round_id == rnd.id)
                                     .group_by(expr)).all()
            frame_counts = {(codes[cast(int, k)] if column == "agency" else k): float(v) for k, v in counts}
            if totals and column in totals:
                target = totals[column]
                below = [f"{c} {t:,.0f} < {frame_counts[c]:,.0f}" for c, t in target.items()
                         if t < frame_counts.get(c, 0)]
                if below and not confirm_below_frame:
                    raise ValidationFailed({"totals": f"{column}: control totals below the number of dossiers on "
                                                      f"the frame ({'; '.join(below)}); check the file, or confirm"
                                                      f" that they are right"})
            else:
                target = frame_counts
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
        if not raked.converged and not accept_nonconverged:
            raise ValidationFailed({"rake": f"raking did not converge in {raked.iterations} iterations (a margin is "
                                            f"still {100 * raked.max_gap:.2f} % off its total): widen the trim "
                                            f"bounds or check the totals; the previous weights are kept"})
        adjusted[keep] = raked.weights
        result.rake_iterations, result.rake_converged = raked.iterations, raked.converged
        result.rake_gap = raked.max_gap
        result.calibrated_to = {c: ("control totals" if totals and c in totals else "frame counts") for c in columns}
    small = int((adjusted[responded] < 1 - 1e-9).sum())
    if small and not confirm_below_frame:
        raise ValidationFailed({"weights": f"{small} respondents would get a weight below 1 (standing for less than "
                                           f"one dossier): check the control totals, or confirm that they are right"})
    for (unit, response), w in zip(units, adjusted):
        if response is not None:
            response.weight = float(w)
    mark_changed(session, rnd.id)  # weights changed: the provisional results are recomputed after the commit
    result.report = weighting.report(adjusted[responded])
    result.accepted_nonconverged = result.rake_converged is False
    rnd.design = {**(rnd.design or {}), "weights_report": {
        "rake": columns, "trim": list(trim) if trim else None, "calibrated_to": result.calibrated_to,
        "rake_iterations": result.rake_iterations, "rake_converged": result.rake_converged,
        "rake_max_gap": result.rake_gap, "accepted_nonconverged": result.accepted_nonconverged,
        "confirmed_below_frame": bool(confirm_below_frame), "merged": merge, "respondents": int(responded.sum()),
        "sum": float(adjusted[responded].sum())}}
    session.flush()
    return result
