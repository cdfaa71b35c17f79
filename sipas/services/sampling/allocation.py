"""How many interviews per stratum: the 2013 formula, or a total allocated proportionally, equally or by
Neyman with last round's shares of satisfied answers."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

import surveys
from analysis import sampling
from sipas.errors import ValidationFailed
from sipas.models import AdminUnit, Agency, AgencySuccession, Answer, FrameUnit, Response, ResponseStatus, Round
from sipas.services.interchange import LEVELS
from sipas.services.sampling.frame import agency_codes
from sipas.words import word


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
    #: With fixed totals per level: the administrative level of the stratum.
    level: str | None = None


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


def parse_level_totals(text: str | None) -> dict[str, int] | None:
    """'province=400,commune=600' (or tỉnh=400,xã=600) -> {'province': 400, 'commune': 600}; empty -> None."""
    if not (text or "").strip():
        return None
    out: dict[str, int] = {}
    for part in (p.strip() for p in str(text).split(",") if p.strip()):
        name, sep, raw = (x.strip() for x in part.partition("="))
        level = LEVELS.get(name.lower())
        if not sep or level is None or not raw.isdigit() or int(raw) < 1 or level in out:
            raise ValidationFailed({"level_totals": f"{part!r}: LEVEL=INTERVIEWS for each level once, separated by "
                                                    f"commas, e.g. province=400,commune=600 (levels: province, "
                                                    f"district, commune)"})
        out[level] = int(raw)
    return out


def preview(session: Session, rnd: Round, *, total: int | None = None, method: str = "proportional",
            e: float = 0.05, deff: float = 1.5, p: float = 0.8, minimum: int = 0,
            previous: Round | None = None, level_totals: dict[str, int] | None = None) -> list[StratumPlan]:
    """Sizes per stratum: the 2013 formula per stratum when no total is given, else the allocated total; or,
    with level_totals, a fixed number of interviews per administrative level allocated within each level.

    Neyman allocation takes S_h = sqrt(p_h (1 - p_h)) from the previous round's share of satisfied answers
    (its agency's, else its level's, else pooled; see previous_proportions)."""
    check_plan_parameters(total=total, method=method, e=e, deff=deff, minimum=minimum)
    if level_totals and total is not None:
        raise ValidationFailed({"level_totals": "give either a total or totals per level, not both"})
    counts = session.execute(select(FrameUnit.stratum, func.count()).where(FrameUnit.round_id == rnd.id)
                             .group_by(FrameUnit.stratum).order_by(FrameUnit.stratum)).all()
    if not counts:
        raise ValidationFailed({"frame": "no frame loaded for this round (sipas sample frame import)"})
    names = [c[0] for c in counts]
    N = np.array([c[1] for c in counts])
    ps: list[float | None] = [None] * len(names)
    sources: list[str | None] = [None] * len(names)
    if method == "neyman" and (total is not None or level_totals):
        ps, sources = _neyman_p(session, rnd, names, previous)
    levels: dict[str, str] = {}
    if level_totals:
        levels = stratum_levels(session, rnd)
        n = _allocate_by_level(names, N, levels, level_totals, method=method, ps=ps, minimum=minimum)
    elif total is None:
        n = sampling.size_2013(N, e)
    else:
        n = sampling.allocate(total, N, method=method, p=ps if method == "neyman" else None, minimum=minimum)
    margins = sampling.margin_of_error(n, N, p=p, deff=deff)
    return [StratumPlan(h, int(Nh), int(nh), None if not np.isfinite(m) else float(m), ph, src, levels.get(h))
            for h, Nh, nh, m, ph, src in zip(names, N, n, margins, ps, sources)]


def _neyman_p(session: Session, rnd: Round, names: list[str], previous: Round | None
              ) -> tuple[list[float | None], list[str | None]]:
    props = previous_proportions(session, rnd, previous)
    by = list((rnd.design or {}).get("stratified_by") or ["agency"])
    found = [_stratum_p(h, by, props) for h in names]
    return [f[0] for f in found], [f"{props.round_code}: {f[1]}" for f in found]


def stratum_levels(session: Session, rnd: Round) -> dict[str, str]:
    """The administrative level of every stratum; refused when a stratum holds dossiers of several levels
    (totals per level need strata that lie within one level: stratify by level, or by agency)."""
    levels: dict[str, set[str]] = {}
    for stratum, level in session.execute(select(FrameUnit.stratum, FrameUnit.level).distinct()
                                          .where(FrameUnit.round_id == rnd.id)):
        levels.setdefault(stratum, set()).add(level)
    mixed = sorted(h for h, found in levels.items() if len(found) > 1)
    if mixed:
        raise ValidationFailed({"level_totals": f"the stratum {mixed[0]!r} holds dossiers of several levels "
                                                f"({', '.join(sorted(levels[mixed[0]]))}): stratify by level "
                                                f"first (e.g. level,agency) to fix totals per level"})
    return {h: next(iter(found)) for h, found in levels.items()}


def _allocate_by_level(names: list[str], N: np.ndarray, levels: dict[str, str], totals: dict[str, int], *,
                       method: str, ps: list[float | None], minimum: int) -> np.ndarray:
    """Each level's fixed total allocated over its strata by the chosen method; every level of the frame needs
    a total, and no total may name a level without dossiers or exceed the level's dossiers."""
    on_frame: dict[str, int] = {}
    for h, Nh in zip(names, N.tolist()):
        on_frame[levels[h]] = on_frame.get(levels[h], 0) + int(Nh)
    problems = {}
    for level, wanted in totals.items():
        name = word("level", level, "en")
        if level not in on_frame:
            problems[name] = f"{wanted} interviews, but the list has no dossier of this level"
        elif wanted > on_frame[level]:
            problems[name] = f"{wanted} interviews, but the list has only {on_frame[level]} dossiers of this level"
    for level, count in on_frame.items():
        if level not in totals:
            problems[word("level", level, "en")] = f"{count} dossiers on the list, but no total for this level"
    if problems:
        raise ValidationFailed(problems, "totals per level do not fit the list")
    n = np.zeros(len(names), dtype=int)
    for level, wanted in totals.items():
        idx = np.array([i for i, h in enumerate(names) if levels[h] == level])
        try:
            n[idx] = sampling.allocate(wanted, N[idx], method=method, minimum=minimum,
                                       p=[ps[i] for i in idx] if method == "neyman" else None)
        except ValueError as exc:
            raise ValidationFailed({word("level", level, "en"): str(exc)}) from None
    return n
