"""National demo: two SIPAS_1001 rounds of the whole country, VN-2024 on the 63-province map and VN-2026 on the
34-province map, of the real survey's size (about 36,500 respondents each at scale 1).

The design follows the national survey: in each province (a stratum) communes are sampled, in each sampled
commune two villages (the PSUs, labelled "commune code/village"), and respondents in the villages; weights are
the province's adult population share over its sample, so they differ between provinces. Each response is
given to one agency per province (the province's administration, "Chính quyền tỉnh ..."), on the round's map.
Province differences are drawn once from a seeded normal on the logit scale (sd 0.35): the provinces at the
extremes have certain ranks, most in the middle do not. A 2026 province's level is the mean of its
predecessors' plus a common rise and its own change, so 2024 -> 2026 changes are real for some provinces.
The answers are synthetic; nothing here is a published figure.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import surveys
from sipas.models import (
    AdminMap,
    AdminUnit,
    Agency,
    AgencyKind,
    Channel,
    Level,
    Round,
    RoundStatus,
    UnitSuccession,
)
from sipas.services.demo import insert_responses
from sipas.services.responses import content_hash
from sipas.services.units import import_admin_maps

ROUNDS = (("VN-2024", 2024, AdminMap.HISTORICAL_63, 36_500), ("VN-2026", 2026, AdminMap.NEW_34, 36_500))
VILLAGES_PER_COMMUNE = 2
RESPONDENTS_PER_VILLAGE = 15
PROFILE = "SIPAS_1001"


def national_loaded(session: Session) -> bool:
    """True when the national demo rounds exist."""
    codes = [r[0] for r in ROUNDS]
    return (session.scalar(select(func.count()).select_from(Round).where(Round.code.in_(codes))) or 0) > 0


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def load_national(session: Session, *, scale: float = 1.0, seed: int = 20261202) -> dict[str, int]:
    """Load the two national rounds with synthetic responses; returns responses per round. Flushes only."""
    if session.scalar(select(func.count()).select_from(AdminUnit)) == 0:
        import_admin_maps(session)
    rng = np.random.default_rng(seed)
    old = session.scalars(select(AdminUnit).where(AdminUnit.admin_map == AdminMap.HISTORICAL_63,
                                                  AdminUnit.level == Level.PROVINCE).order_by(AdminUnit.code)).all()
    new = session.scalars(select(AdminUnit).where(AdminUnit.admin_map == AdminMap.NEW_34,
                                                  AdminUnit.level == Level.PROVINCE).order_by(AdminUnit.code)).all()
    effect_old = {p.id: rng.normal(0, 0.35) for p in old}
    predecessors: dict[int, list[int]] = {}
    for pred, succ in session.execute(select(UnitSuccession.predecessor_id, UnitSuccession.successor_id)
                                      .where(UnitSuccession.predecessor_id.in_(list(effect_old)))):
        predecessors.setdefault(succ, []).append(pred)
    effect_new = {p.id: float(np.mean([effect_old[q] for q in predecessors.get(p.id, [])] or [0.0]))
                  + 0.15 + rng.normal(0, 0.15) for p in new}
    counts = {}
    for code, year, admin_map, size in ROUNDS:
        provinces, effects = (old, effect_old) if admin_map is AdminMap.HISTORICAL_63 else (new, effect_new)
        prefix = "VN63" if admin_map is AdminMap.HISTORICAL_63 else "VN34"
        agencies = {}
        for p in provinces:
            name = p.name.removeprefix("Tỉnh ").removeprefix("Thành phố ")
            agencies[p.id] = Agency(code=f"{prefix}.{p.code}", name=f"Chính quyền {p.name}",
                                    name_en=f"Administration of {name}", kind=AgencyKind.PEOPLES_COMMITTEE,
                                    level=Level.PROVINCE, unit=p)
        session.add_all(agencies.values())
        rnd = Round(code=code, name=f"SIPAS {year} toàn quốc", year=year, method_version=PROFILE, profile_key=PROFILE,
                    admin_map=admin_map, jurisdiction=None, opens_on=date(year, 8, 1), closes_on=date(year, 11, 30),
                    status=RoundStatus.CLOSED, channels=[Channel.INTERVIEW.value],
                    design={"stratum": "province", "psu": "village within a sampled commune",
                            "weights": "adults of the province / respondents there"},
                    agencies=list(agencies.values()))
        session.add(rnd)
        session.flush()
        per_province = max(2 * VILLAGES_PER_COMMUNE * 3, int(round(size * scale / len(provinces))))
        counts[code] = _generate(session, rng, rnd, provinces, agencies, effects, per_province)
    return counts


def _answer(rng: np.random.Generator, satisfied: bool, very: float) -> int:
    """A 1-5 answer: 4 or 5 when satisfied (5 with probability `very`), else mostly 3."""
    if satisfied:
        return 5 if rng.random() < very else 4
    return int(rng.choice([3, 2, 1], p=[0.7, 0.2, 0.1]))


def _communes(session: Session, province: AdminUnit) -> list[str]:
    """Commune codes of a province (through its districts on the old map)."""
    if province.admin_map is AdminMap.NEW_34:
        return list(session.scalars(select(AdminUnit.code).where(AdminUnit.parent_id == province.id)))
    district = select(AdminUnit.id).where(AdminUnit.parent_id == province.id)
    return list(session.scalars(select(AdminUnit.code).where(AdminUnit.parent_id.in_(district))))


def _generate(session: Session, rng: np.random.Generator, rnd: Round, provinces, agencies, effects,
              per_province: int) -> int:
    profile = surveys.load(rnd.profile_key)
    policy = [i.code for i in profile.items if i.kind == "policy_satisfaction"]
    policy_assessment = [i.code for i in profile.items if i.kind == "policy_assessment"]
    service = [f"S{k}" for k in range(1, 6)]
    assessment = {f: [i.code for i in profile.factor_items(f)] for f in ("F1", "F2", "F3", "F4", "F5")}
    start = datetime.combine(rnd.opens_on or date(rnd.year, 1, 1), time(8), tzinfo=timezone.utc)
    response_rows, answer_rows = [], []
    for p in provinces:
        agency = agencies[p.id]
        communes = _communes(session, p)
        n_communes = max(3, per_province // (VILLAGES_PER_COMMUNE * RESPONDENTS_PER_VILLAGE))
        sampled = rng.choice(communes, size=min(n_communes, len(communes)), replace=False)
        villages = [f"{c}/T{v + 1}" for c in sampled for v in range(VILLAGES_PER_COMMUNE)]
        village_effect = rng.normal(0, 0.3, len(villages))
        adults = float(rng.lognormal(np.log(1.0e6), 0.5))
        weight = adults / per_province
        policy_gap = rng.normal(-0.25, 0.2)  # policy is usually rated below services
        for r in range(per_province):
            v = r % len(villages)
            person = rng.normal(0, 0.8) + village_effect[v] + effects[p.id]
            answers: dict[str, int] = {}
            for code in policy:
                if rng.random() < 0.06:
                    continue
                sat = rng.random() < _expit(1.3 + policy_gap + person)
                answers[code] = _answer(rng, sat, 0.3)
            for code in policy_assessment:
                if rng.random() > 0.05:
                    answers[code] = int(rng.random() < _expit(1.0 + person))
            for k, code in enumerate(service):
                if rng.random() < 0.03:
                    continue
                sat = rng.random() < _expit(1.7 + 0.1 * k + person)
                answers[code] = _answer(rng, sat, 0.35)
                for item in assessment[f"F{k + 1}"]:
                    if rng.random() > 0.05:
                        answers[item] = int(rng.random() < _expit(1.9 + person))
            rid = str(uuid.UUID(bytes=rng.bytes(16), version=4))
            submitted = start + timedelta(minutes=int(rng.integers(0, 60 * 24 * 90)))
            response_rows.append({
                "uuid": rid, "round_id": rnd.id, "agency_id": agency.id, "channel": Channel.INTERVIEW,
                "profile_key": rnd.profile_key, "submitted_at": submitted, "received_at": submitted,
                "stratum": p.code, "psu": villages[v], "weight": weight,
                "content_hash": content_hash({"round": rnd.code, "agency": agency.code, "answers": answers})})
            answer_rows.append(answers)
    return insert_responses(session, rnd, response_rows, answer_rows)
