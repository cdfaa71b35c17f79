"""The reserve list: replacements drawn after the main sample with the same seed, not invited until a
Department releases them (audited) for a stratum where people refused or could not be reached.

Why the weights stay right: the reserve is the start of a random ordering of the stratum's dossiers that were
not drawn, so the main sample plus its first k reserves is itself a simple random sample of n_h + k dossiers.
Releasing k reserves therefore sets every sampled dossier of the stratum to probability (n_h + k) / N_h; those
who refused are the non-respondents the weights step adjusts for. (Two-stage draws have no reserve list.)
"""
from __future__ import annotations

import math

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sipas.errors import ValidationFailed
from sipas.models import FrameUnit, Invitation, Response, Round
from sipas.services import audit
from sipas.services.invitations import create_invitations
from sipas.services.results.freshness import mark_reweighted


def check_reserve_percent(percent: int, two_stage: tuple[int, int] | None) -> None:
    if not 0 <= percent <= 100:
        raise ValidationFailed({"reserve": f"{percent}: a percentage of each stratum's sample, 0 to 100"})
    if percent and two_stage is not None:
        raise ValidationFailed({"reserve": "a two-stage draw has no reserve list (its offices are drawn first)"})


def parse_reserve_percent(text: str | None) -> int:
    """'20' or '20%' -> 20; empty -> 0; anything else refused with what is expected."""
    raw = (text or "").strip().removesuffix("%").strip()
    if not raw:
        return 0
    if not raw.isdigit() or int(raw) > 100:
        raise ValidationFailed({"reserve": f"{text!r}: a whole percentage from 0 to 100, e.g. 20"})
    return int(raw)


def draw_reserve(units, strata: np.ndarray, selected: np.ndarray, percent: int, rng: np.random.Generator) -> int:
    """Rank ceil(percent % of n_h) dossiers of each stratum that were not drawn, in random order (the generator
    continues after the main draw, so the main sample is the same with or without a reserve). Returns how many."""
    chosen = np.zeros(len(units), dtype=bool)
    chosen[selected] = True
    total = 0
    for h in sorted(set(strata.tolist())):
        in_stratum = strata == h
        rest = np.flatnonzero(in_stratum & ~chosen)
        k = min(len(rest), math.ceil(int((in_stratum & chosen).sum()) * percent / 100))
        for rank, index in enumerate(rng.permutation(rest)[:k].tolist(), start=1):
            units[index].reserve_rank = rank
        total += k
    return total


def held_reserve(session: Session, rnd: Round) -> list[FrameUnit]:
    """Reserve dossiers not yet released, by stratum and rank."""
    return list(session.scalars(select(FrameUnit).where(FrameUnit.round_id == rnd.id, FrameUnit.sampled.is_(False),
                                                        FrameUnit.reserve_rank.is_not(None))
                                .order_by(FrameUnit.stratum, FrameUnit.reserve_rank)))


def release_reserve(session: Session, rnd: Round, *, stratum: str, count: int, reason: str, actor,
                    ip: str | None = None) -> list[tuple[FrameUnit, str]]:
    """Invite the next `count` reserve dossiers of a stratum (in their drawn order), audited; every sampled
    dossier of the stratum gets the probability (n_h + k) / N_h (see the module's note). Returns (unit, token)
    pairs of the released dossiers for their invitation list. The caller commits."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationFailed({"reason": "say why reserves are released (e.g. 4 refusals), at least 5 characters; "
                                          "it is audited"})
    if count < 1:
        raise ValidationFailed({"count": f"{count}: at least 1 reserve dossier"})
    held = [u for u in held_reserve(session, rnd) if u.stratum == stratum]
    if len(held) < count:
        raise ValidationFailed({"stratum": f"{stratum}: {len(held)} reserve dossier(s) left, {count} asked for"})
    agencies = {a.id: a for a in rnd.agencies}
    out = []
    for unit in held[:count]:
        [(invitation, token)] = create_invitations(session, rnd, agencies[unit.agency_id], 1, stratum=unit.stratum,
                                                   psu=unit.psu, weight=1.0)
        unit.sampled, unit.invitation_id = True, invitation.id
        out.append((unit, token))
    sampled = _reweight_stratum(session, rnd, stratum)
    design = dict(rnd.design or {})
    design["reserve_releases"] = [*design.get("reserve_releases", []),
                                  {"stratum": stratum, "released": count, "reason": reason, "sampled": sampled}]
    design.pop("weights_report", None)  # the base weights changed: the final weights must be computed again
    rnd.design = design
    audit.record(session, "reserve_released", actor=actor, object_type="round", object_id=rnd.id, ip=ip,
                 detail={"stratum": stratum, "released": count, "reason": reason})
    mark_reweighted(session, rnd.id)  # base weights of returned responses changed
    session.flush()
    return out


def _reweight_stratum(session: Session, rnd: Round, stratum: str) -> int:
    """Probability n/N and base weight N/n for every sampled dossier of the stratum, its invitation and any
    response already returned through it. Returns n."""
    session.flush()
    in_stratum = (FrameUnit.round_id == rnd.id) & (FrameUnit.stratum == stratum)
    size = session.scalar(select(func.count()).select_from(FrameUnit).where(in_stratum)) or 0
    n = session.scalar(select(func.count()).select_from(FrameUnit).where(in_stratum, FrameUnit.sampled.is_(True)))
    n = int(n or 0)
    weight = size / n
    session.execute(update(FrameUnit).where(in_stratum, FrameUnit.sampled.is_(True))
                    .values(probability=n / size, weight=weight))
    invitations = select(FrameUnit.invitation_id).where(in_stratum, FrameUnit.sampled.is_(True))
    session.execute(update(Invitation).where(Invitation.id.in_(invitations)).values(weight=weight))
    answered = select(Invitation.response_id).where(Invitation.id.in_(invitations), Invitation.response_id.is_not(None))
    session.execute(update(Response).where(Response.id.in_(answered)).values(weight=weight))
    session.expire_all()
    return n
