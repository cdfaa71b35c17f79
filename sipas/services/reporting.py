"""Indices of a stored round: the database computes grouped sums, analysis/ does the statistics.

Nothing here walks responses one by one: the inputs are GROUP BY aggregates by (agency, stratum, PSU,
item), plus cross-moments of the composite items per agency (for the variance floor of the SIPAS).
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import numpy as np
from sqlalchemy import Float, String, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

import surveys
from analysis import Totals
from sipas.models import (SELF_SELECTED, Agency, Answer, IndexValue, Response, ResponseStatus, ResultSet, Round)
from sipas.services.indexing import GROUPINGS, Plan, analyse_totals, plan_for

CHANNEL_GROUPS = ("sampled", "self_selected")


def _filters(rnd: Round, channel_group: str):
    self_selected = [c.value for c in SELF_SELECTED]
    channel_filter = Response.channel.in_(self_selected) if channel_group == "self_selected" \
        else Response.channel.notin_(self_selected)
    return and_(Response.round_id == rnd.id, Response.status == ResponseStatus.VALID, channel_filter)


def _score_expr(plan: Plan):
    value = Answer.value
    return case(
        (and_(Answer.item_code.in_(plan.top2_items), value.in_(plan.satisfied_values)), literal(1.0)),
        (Answer.item_code.in_(plan.top2_items), literal(0.0)),
        (Answer.item_code.in_(plan.mean_score_items), (cast(value, Float) - 1.0) / 4.0),
        else_=cast(value, Float))


def round_totals(session: Session, rnd: Round, plan: Plan, channel_group: str = "sampled"
                 ) -> tuple[Totals, dict[str, str]] | None:
    """Totals by agency for one channel group of a round, or None when it has no responses."""
    where = _filters(rnd, channel_group)
    stratum_key = func.coalesce(Response.stratum, literal("_"))
    lonely = [s for (s,) in session.execute(
        select(stratum_key).where(where, Response.psu.is_not(None)).group_by(stratum_key)
        .having(func.count(func.distinct(Response.psu)) == 1))]
    # A respondent without a PSU, or in a one-PSU stratum (a certainty unit), is its own PSU.
    psu_key = case((or_(Response.psu.is_(None), stratum_key.in_(lonely) if lonely else literal(False)),
                    literal("#").concat(cast(Response.id, String))),
                   else_=stratum_key.concat(literal("|")).concat(Response.psu))
    cells = session.execute(select(Response.agency_id, stratum_key, psu_key, func.count())
                            .where(where).group_by(Response.agency_id, stratum_key, psu_key)).all()
    if not cells:
        return None
    agencies = dict(session.execute(select(Agency.id, Agency.code)).all())
    levels = {a.code: a.level.value for a in session.scalars(select(Agency))}
    agency_ids = sorted({c[0] for c in cells}, key=lambda i: agencies[i])
    g_index = {a: i for i, a in enumerate(agency_ids)}
    strata = sorted({c[1] for c in cells})
    s_index = {s: i for i, s in enumerate(strata)}
    psus = sorted({(c[1], c[2]) for c in cells})
    p_index = {p[1]: i for i, p in enumerate(psus)}
    stratum_psus = np.bincount([s_index[s] for s, _ in psus], minlength=len(strata))
    c_index = {(c[0], c[2]): i for i, c in enumerate(cells)}
    n_cells, k_items = len(cells), len(plan.items)
    k_index = {code: k for k, code in enumerate(plan.items)}
    arrays = {name: np.zeros((n_cells, k_items)) for name in ("wsum", "ysum", "n_answered", "n_score", "n_score2")}
    s = _score_expr(plan)
    item_rows = session.execute(
        select(Response.agency_id, psu_key, Answer.item_code, func.sum(Response.weight),
               func.sum(Response.weight * s), func.count(), func.sum(s), func.sum(s * s))
        .join(Response, Response.id == Answer.response_id)
        .where(where, Answer.item_code.in_(plan.items))
        .group_by(Response.agency_id, psu_key, Answer.item_code))
    for agency_id, psu, code, w, y, n, ns, ns2 in item_rows:
        c, k = c_index[(agency_id, psu)], k_index[code]
        arrays["wsum"][c, k], arrays["ysum"][c, k], arrays["n_answered"][c, k] = w, y, n
        arrays["n_score"][c, k], arrays["n_score2"][c, k] = ns, ns2
    totals = Totals(groups=[agencies[a] for a in agency_ids], items=list(plan.items),
                    cell_group=np.array([g_index[c[0]] for c in cells]),
                    cell_stratum=np.array([s_index[c[1]] for c in cells]),
                    cell_psu=np.array([p_index[c[2]] for c in cells]),
                    members=np.array([float(c[3]) for c in cells]), stratum_psus=stratum_psus, **arrays)
    if plan.pair_items:
        pair_codes = [plan.items[k] for k in plan.pair_items]
        pair_pos = {code: i for i, code in enumerate(pair_codes)}
        shape = (len(agency_ids), len(pair_codes), len(pair_codes))
        pn, pd, pc = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        other = aliased(Answer)
        s_other = case(
            (and_(other.item_code.in_(plan.top2_items), other.value.in_(plan.satisfied_values)), literal(1.0)),
            (other.item_code.in_(plan.top2_items), literal(0.0)),
            (other.item_code.in_(plan.mean_score_items), (cast(other.value, Float) - 1.0) / 4.0),
            else_=cast(other.value, Float))
        pair_rows = session.execute(
            select(Response.agency_id, Answer.item_code, other.item_code, func.count(), func.sum(s),
                   func.sum(s * s_other))
            .select_from(Answer).join(other, other.response_id == Answer.response_id)
            .join(Response, Response.id == Answer.response_id)
            .where(where, Answer.item_code.in_(pair_codes), other.item_code.in_(pair_codes))
            .group_by(Response.agency_id, Answer.item_code, other.item_code))
        for agency_id, k_code, l_code, n, d, c in pair_rows:
            g, i, j = g_index[agency_id], pair_pos[k_code], pair_pos[l_code]
            pn[g, i, j], pd[g, i, j], pc[g, i, j] = n, d, c
        totals.pair_items, totals.pair_n, totals.pair_d, totals.pair_c = list(plan.pair_items), pn, pd, pc
    return totals, {code: levels[code] for code in totals.groups}


def snapshot_id(session: Session, rnd: Round) -> str:
    """Identifier and checksum of the responses a computation saw (ids are never reused)."""
    n, id_sum, id_max, w_sum, last = session.execute(
        select(func.count(), func.coalesce(func.sum(Response.id), 0), func.coalesce(func.max(Response.id), 0),
               func.coalesce(func.sum(Response.weight), 0.0), func.max(Response.received_at))
        .where(Response.round_id == rnd.id, Response.status == ResponseStatus.VALID)).one()
    digest = hashlib.sha256(f"{rnd.id}:{n}:{id_sum}:{id_max}:{float(w_sum):.6f}:{last}".encode()).hexdigest()
    return f"n{n}-{digest[:16]}"


def analyse_round(session: Session, rnd: Round, *, confidence_level: float = 0.95,
                  by: tuple[str, ...] = GROUPINGS, seed: int | None = None) -> dict:
    """The analysis JSON of a stored round (sampled and self-selected responses kept apart)."""
    plan = plan_for(surveys.load(rnd.profile_key), confidence_level=confidence_level)
    seed = rnd.id * 1000 + rnd.year if seed is None else seed  # stored with the results: reproducible ranks
    groups = []
    for channel_group in CHANNEL_GROUPS:
        found = round_totals(session, rnd, plan, channel_group)
        if found is None:
            continue
        for g in analyse_totals(plan, *found, by=by, seed=seed):
            groups.append({**g, "channel_group": channel_group})
    return {"profile": plan.profile_key, "round": rnd.code, "method_version": rnd.method_version,
            "admin_map": rnd.admin_map.value, "confidence_level": confidence_level, "seed": seed,
            "snapshot": snapshot_id(session, rnd), "groups": groups}


def store_results(session: Session, rnd: Round, result: dict) -> ResultSet:
    """Store a computation as a new version of the round's results (unrounded). Flushes."""
    version = (session.scalar(select(func.max(ResultSet.version)).where(ResultSet.round_id == rnd.id)) or 0) + 1
    settings = {"confidence_level": result["confidence_level"], "profile": result["profile"]}
    rs = ResultSet(round_id=rnd.id, version=version, method_version=rnd.method_version, admin_map=rnd.admin_map,
                   settings=settings, snapshot_id=result["snapshot"], seed=result["seed"],
                   computed_at=datetime.now(timezone.utc))
    for g in result["groups"]:
        for code, ix in g["indices"].items():
            rs.values.append(IndexValue(group_by=g["by"], group_key=g["key"], channel_group=g["channel_group"],
                                        index_code=code, estimate=ix["estimate"], ci_low=ix["ci_low"],
                                        ci_high=ix["ci_high"], n=ix["n"], se=ix["se"], df=ix["df"], deff=ix["deff"],
                                        n_eff=ix["n_eff"], method=ix["method"], low_base=ix["low_base"]))
    session.add(rs)
    session.flush()
    return rs


def dumps(result: dict) -> str:
    """JSON text of an analysis result (NaN never appears: missing values are null)."""
    return json.dumps(result, ensure_ascii=False, indent=1, allow_nan=False)
