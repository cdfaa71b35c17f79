"""The draw: a stored seed, SRS within strata or two stages (offices by PPS, then dossiers), one invitation
per sampled dossier, the sample plan recorded; and its audited undo."""
from __future__ import annotations

import hashlib

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from analysis import sampling
from sipas.errors import ValidationFailed
from sipas.models import FrameUnit, Invitation, Round
from sipas.services import audit
from sipas.services.invitations import create_invitations
from sipas.services.results.freshness import mark_changed
from sipas.services.sampling.allocation import StratumPlan
from sipas.services.sampling.frame import sampled_count
from sipas.services.sampling.reserve import check_reserve_percent, draw_reserve


def parse_two_stage(text: str) -> tuple[int, int] | None:
    """'3,20' -> (3, 20): offices per stratum, dossiers per office; empty -> None."""
    if not (text or "").strip():
        return None
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(p.isdigit() and int(p) >= 1 for p in parts):
        raise ValidationFailed({"two_stage": f"{text!r}: two whole numbers OFFICES,PER_OFFICE, each at least 1, "
                                             f"e.g. 3,20"})
    return int(parts[0]), int(parts[1])


def frame_fingerprint(session: Session, rnd: Round) -> str:
    """SHA-256 over the frame's (keyed dossier hash, stratum) pairs in sorted order: the same list gives the
    same fingerprint, whatever order it was loaded in."""
    digest = hashlib.sha256()
    for dossier, stratum in session.execute(select(FrameUnit.dossier_hash, FrameUnit.stratum)
                                            .where(FrameUnit.round_id == rnd.id).order_by(FrameUnit.dossier_hash)):
        digest.update(f"{dossier}\t{stratum}\n".encode())
    return digest.hexdigest()


def draw(session: Session, rnd: Round, plan: list[StratumPlan], *, seed: int,
         two_stage: tuple[int, int] | None = None, parameters: dict | None = None,
         reserve_percent: int = 0) -> list[tuple[FrameUnit, str]]:
    """Draw the plan with a stored seed; create an invitation per sampled dossier.

    Default: SRS within strata with the plan's sizes. two_stage=(offices, per_office): in every stratum,
    offices (service points) by PPS on their number of dossiers, then dossiers by SRS within each office;
    the office is then the PSU. reserve_percent: a reserve list of that share of each stratum's sample (rounded
    up), drawn after the main sample with the same generator and not invited until released (reserve.py).
    Returns (frame unit, invitation token) pairs. Refuses a second draw.
    """
    if sampled_count(session, rnd):
        raise ValidationFailed({"frame": "a sample was already drawn for this round"})
    check_reserve_percent(reserve_percent, two_stage)
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
    reserved = draw_reserve(units, strata, result.selected, reserve_percent, rng) if reserve_percent else 0
    _record_draw(session, rnd, plan, seed=seed, two_stage=two_stage, parameters=parameters, drawn=len(out),
                 reserve=(reserve_percent, reserved))
    session.flush()
    return out


def _record_draw(session: Session, rnd: Round, plan: list[StratumPlan], *, seed: int,
                 two_stage: tuple[int, int] | None, parameters: dict | None, drawn: int,
                 reserve: tuple[int, int]) -> None:
    """What the draw writes into the round's design, with the sample plan a Department signs before fieldwork
    (printable at /admin/rounds/<round>/sample/plan)."""
    design = dict(rnd.design or {})
    if two_stage is None:
        design.update({"frame": "completed dossiers", "draw": "srs within strata", "seed": seed,
                       "sizes": {s.stratum: s.n for s in plan}})
    else:
        design.update({"frame": "completed dossiers", "seed": seed, "psu": "service point",
                       "draw": "two-stage: offices by PPS on dossiers, then dossiers by SRS",
                       "offices_per_stratum": two_stage[0], "dossiers_per_office": two_stage[1]})
    if reserve[0]:
        design["reserve_percent"] = reserve[0]
    design["plan"] = {
        "frame_fingerprint": frame_fingerprint(session, rnd), "frame_size": sum(p.N for p in plan),
        "stratified_by": design.get("stratified_by") or ["agency"], "parameters": dict(parameters or {}),
        "seed": seed, "two_stage": list(two_stage) if two_stage else None, "drawn": drawn,
        "reserve_percent": reserve[0] or None, "reserve": reserve[1],
        "strata": [{"stratum": p.stratum, "N": p.N, "n": p.n, "margin": p.margin, "p": p.p, "p_from": p.p_source,
                    "level": p.level}
                   for p in plan]}
    rnd.design = design


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


def reset_draw(session: Session, rnd: Round, *, actor, reason: str, ip: str | None = None) -> int:
    """Undo a draw and unload its frame, audited: only while no invitation of the draw has been used.

    The draw's invitations (their links and serials) are deleted, so nothing printed from the earlier list can
    be answered; the seed and sizes leave the design and are kept in its reset history. Returns the dossiers
    the draw had selected. The caller commits.
    """
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
DRAW_KEYS = ("frame", "draw", "seed", "sizes", "psu", "offices_per_stratum", "dossiers_per_office", "plan",
             "reserve_percent", "reserve_releases")
