"""What a computation reads about a round besides the totals, so that the stored results carry it: the
fingerprint of the responses and weights, the agencies (tier, names), valid responses per channel, the
behaviour and respondent answers, and the round's description.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sipas.errors import SipasError
from sipas.models import AdminMap, Agency, CountState, Response, ResponseStatus, Round
from sipas.results import SAMPLED, RoundInfo, UnitLabel
from sipas.services.results import counted
from sipas.services.results.answer_sums import distribution_codes, distribution_rows, group_filter
from sipas.services.results.tree import Unit
from sipas.services.units import new_map_province_of, province_of


def fingerprint(session: Session, rnd: Round) -> str:
    """Identifier of the valid responses and their weights: it changes when a response is added, changes status
    or changes weight (ids are never reused). Stored with each result set as its snapshot."""
    n, id_sum, id_max, w_sum, wid_sum, last = session.execute(
        select(func.count(), func.coalesce(func.sum(Response.id), 0), func.coalesce(func.max(Response.id), 0),
               func.coalesce(func.sum(Response.weight), 0.0),
               func.coalesce(func.sum(Response.weight * Response.id), 0.0), func.max(Response.received_at))
        .where(Response.round_id == rnd.id, Response.status == ResponseStatus.VALID)).one()
    # Sums of floats may differ in the last bits between query plans: 9 significant digits are compared.
    text = f"{rnd.id}:{n}:{id_sum}:{id_max}:{float(w_sum):.9g}:{float(wid_sum):.9g}:{last}"
    return f"n{n}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def _provinces(session: Session, rnd: Round, unit_ids, admin_map: AdminMap | None) -> dict:
    if admin_map is None or admin_map == rnd.admin_map:
        return province_of(session, unit_ids)
    if admin_map is AdminMap.NEW_34:
        return new_map_province_of(session, unit_ids)
    raise SipasError(f"round {rnd.code} is on the map {rnd.admin_map.value}: it can be re-estimated on new_34 "
                     "only (the 2025 crosswalk goes from the old map to the new one)")


def round_units(session: Session, rnd: Round, admin_map: AdminMap | None = None) -> dict[str, Unit]:
    """The tier (level) of every agency and its province (the province of its administrative unit), by code;
    with `admin_map` (new_34 for an old-map round), the province on that map through the crosswalk."""
    rows = session.execute(select(Agency.code, Agency.level, Agency.unit_id)).all()
    provinces = _provinces(session, rnd, [unit_id for _, _, unit_id in rows], admin_map)
    return {code: Unit(level.value, provinces[unit_id].code if unit_id in provinces else None)
            for code, level, unit_id in rows}


def unit_labels(session: Session, rnd: Round, admin_map: AdminMap | None = None) -> dict[str, dict[str, UnitLabel]]:
    """Names of the round's agencies and provinces (on `admin_map` when given), frozen with the results."""
    provinces = _provinces(session, rnd, [a.unit_id for a in rnd.agencies], admin_map)
    return {"agency": {a.code: UnitLabel(a.name, a.name_en) for a in rnd.agencies},
            "province": {p.code: UnitLabel(p.name, None) for p in provinces.values()}}


def channel_counts(session: Session, rnd: Round) -> dict[str, int]:
    """Valid responses per channel."""
    return {c.value: n for c, n in session.execute(
        select(Response.channel, func.count()).where(Response.round_id == rnd.id,
                                                     Response.status == ResponseStatus.VALID)
        .group_by(Response.channel)).all()}


def distributions(session: Session, rnd: Round, counts: CountState | None = None
                  ) -> dict[str, dict[int, tuple[int, float]]]:
    """Answers of the sampled valid responses to the behaviour and respondent questions:
    item -> value -> (responses, sum of weights); from the maintained counts when `counts` is their current
    state (`counted.current`), else from the answers."""
    codes = distribution_codes(rnd.profile_key)
    if counts is not None:
        rows = counted.distribution_rows(session, rnd, counts, codes)
    else:
        rows = distribution_rows(session, group_filter(rnd, SAMPLED), codes)
    out: dict[str, dict[int, tuple[int, float]]] = {}
    for code, value, n, w in rows:
        n0, w0 = out.setdefault(code, {}).get(int(value), (0, 0.0))
        out[code][int(value)] = (n0 + int(n), w0 + float(w))
    return {code: dict(sorted(found.items())) for code, found in sorted(out.items())}  # whichever path read them


def round_info(rnd: Round) -> RoundInfo:
    """The round's description as a report gives it."""
    unit = rnd.jurisdiction
    return RoundInfo(rnd.name, rnd.year, rnd.opens_on.isoformat() if rnd.opens_on else None,
                     rnd.closes_on.isoformat() if rnd.closes_on else None, unit.code if unit else None,
                     unit.name if unit else None)


def default_seed(rnd: Round) -> int:
    """The seed of a round's random draws (rank intervals): stored with its results, so they reproduce."""
    return rnd.id * 1000 + rnd.year
