"""Indices of a stored round: the database computes grouped sums, analysis/ does the statistics.

Nothing here walks responses one by one: the inputs are GROUP BY aggregates by (agency, stratum, PSU,
item), plus cross-moments of the composite items per agency (for the variance floor of the SIPAS).
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import numpy as np
from sqlalchemy import and_, func, literal, or_, select
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


def _score_table(plan: Plan) -> dict[str, np.ndarray]:
    """Score of each stored value (0..99) per item, following the profile's index rules."""
    table = {}
    values = np.arange(100, dtype=float)
    for code in plan.items:
        if code in plan.top2_items:
            table[code] = np.isin(values, plan.satisfied_values).astype(float)
        elif code in plan.mean_score_items:
            table[code] = (values - 1) / 4
        else:
            table[code] = values.copy()
    return table


def round_totals(session: Session, rnd: Round, plan: Plan, channel_group: str = "sampled"
                 ) -> tuple[Totals, dict[str, str]] | None:
    """Totals by agency for one channel group of a round, or None when it has no responses.

    The database groups by raw columns only (agency, stratum, PSU, item, answer value): no expression is
    evaluated per answer row, so PostgreSQL and SQLite aggregate at full speed; scores are applied to the
    value distributions here. Respondents without a PSU, or in a stratum with a single PSU (a certainty
    unit), are their own PSUs and are read one response per cell.
    """
    where = _filters(rnd, channel_group)
    cells_q = session.execute(select(Response.agency_id, Response.stratum, Response.psu, func.count())
                              .where(where, Response.psu.is_not(None))
                              .group_by(Response.agency_id, Response.stratum, Response.psu)).all()
    psus_per_stratum: dict[str | None, set] = {}
    for _, stratum, psu, _ in cells_q:
        psus_per_stratum.setdefault(stratum, set()).add(psu)
    lonely = [st for st, ps in psus_per_stratum.items() if len(ps) == 1]
    lonely_filter = Response.stratum.in_([x for x in lonely if x is not None]) if lonely else literal(False)
    if None in lonely:
        lonely_filter = or_(lonely_filter, Response.stratum.is_(None))
    certain = or_(Response.psu.is_(None), lonely_filter)
    regular = and_(Response.psu.is_not(None), ~lonely_filter) if lonely else Response.psu.is_not(None)
    # Cells: (agency, stratum, psu key) -> members. Certainty respondents are keyed "#<response id>".
    cells: dict[tuple, int] = {}
    members: list[float] = []
    for agency_id, stratum, psu, n in cells_q:
        if stratum in lonely:
            continue
        cells[(agency_id, stratum, psu)] = len(members)
        members.append(float(n))
    for agency_id, stratum, rid in session.execute(select(Response.agency_id, Response.stratum, Response.id)
                                                   .where(where, certain)):
        cells[(agency_id, stratum, f"#{rid}")] = len(members)
        members.append(1.0)
    if not cells:
        return None
    agencies = dict(session.execute(select(Agency.id, Agency.code)).all())
    levels = {a.code: a.level.value for a in session.scalars(select(Agency))}
    keys = list(cells)
    agency_ids = sorted({k[0] for k in keys}, key=lambda i: agencies[i])
    g_index = {a: i for i, a in enumerate(agency_ids)}
    strata = sorted({"_" if k[1] is None else k[1] for k in keys})
    s_index = {st: i for i, st in enumerate(strata)}
    psu_ids = {}
    for k in keys:
        psu_ids.setdefault((k[1], k[2]), len(psu_ids))
    cell_stratum = np.array([s_index["_" if k[1] is None else k[1]] for k in keys])
    cell_psu = np.array([psu_ids[(k[1], k[2])] for k in keys])
    stratum_of_psu = np.zeros(len(psu_ids), dtype=int)
    stratum_of_psu[cell_psu] = cell_stratum
    n_cells, k_items = len(keys), len(plan.items)
    k_index = {code: k for k, code in enumerate(plan.items)}
    score_of = _score_table(plan)
    arrays = {name: np.zeros((n_cells, k_items)) for name in ("wsum", "ysum", "n_answered", "n_score", "n_score2")}

    def accumulate(rows) -> None:
        if not rows:
            return
        agency_col, stratum_col, psu_col, item_col, value_col, w_col, n_col = zip(*rows)
        c = np.fromiter((cells[(a, st, p)] for a, st, p in zip(agency_col, stratum_col, psu_col)), int, len(rows))
        k = np.fromiter((k_index[i] for i in item_col), int, len(rows))
        v = np.asarray(value_col, int)
        score = np.fromiter((score_of[i][x] for i, x in zip(item_col, value_col)), float, len(rows))
        w, n = np.asarray(w_col, float), np.asarray(n_col, float)
        flat = c * k_items + k
        size = n_cells * k_items
        for name, weights in (("wsum", w), ("ysum", w * score), ("n_answered", n), ("n_score", n * score),
                              ("n_score2", n * score * score)):
            arrays[name] += np.bincount(flat, weights, minlength=size).reshape(n_cells, k_items)
        del v

    # Core execution on the session's connection: no ORM row processing for a million aggregate rows.
    conn = session.connection()
    accumulate(conn.execute(
        select(Response.agency_id, Response.stratum, Response.psu, Answer.item_code, Answer.value,
               func.sum(Response.weight), func.count())
        .join(Response, Response.id == Answer.response_id)
        .where(where, regular, Answer.item_code.in_(plan.items))
        .group_by(Response.agency_id, Response.stratum, Response.psu, Answer.item_code, Answer.value)).all())
    certain_rows = conn.execute(
        select(Response.agency_id, Response.stratum, Response.id, Answer.item_code, Answer.value, Response.weight,
               literal(1)).join(Response, Response.id == Answer.response_id)
        .where(where, certain, Answer.item_code.in_(plan.items))).all()
    accumulate([(a, st, f"#{rid}", i, v, w, n) for a, st, rid, i, v, w, n in certain_rows])
    totals = Totals(groups=[agencies[a] for a in agency_ids], items=list(plan.items),
                    cell_group=np.array([g_index[k[0]] for k in keys]), cell_stratum=cell_stratum,
                    cell_psu=cell_psu, members=np.array(members),
                    stratum_psus=np.bincount(stratum_of_psu, minlength=len(strata)), **arrays)
    if plan.pair_items:
        _pair_moments(session, where, plan, totals, g_index, score_of)
    return totals, {code: levels[code] for code in totals.groups}


def _pair_moments(session: Session, where, plan: Plan, totals: Totals, g_index: dict, score_of: dict) -> None:
    """Unweighted cross-moments of the composite items per agency (the SIPAS variance floor)."""
    pair_codes = [plan.items[k] for k in plan.pair_items]
    pos = {code: i for i, code in enumerate(pair_codes)}
    other = aliased(Answer)
    rows = session.connection().execute(
        select(Response.agency_id, Answer.item_code, Answer.value, other.item_code, other.value, func.count())
        .select_from(Answer).join(other, other.response_id == Answer.response_id)
        .join(Response, Response.id == Answer.response_id)
        .where(where, Answer.item_code.in_(pair_codes), other.item_code.in_(pair_codes))
        .group_by(Response.agency_id, Answer.item_code, Answer.value, other.item_code, other.value)).all()
    kc = len(pair_codes)
    shape = (len(g_index), kc, kc)
    pn, pd, pc = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    if rows:
        a_col, i_col, vi_col, j_col, vj_col, n_col = zip(*rows)
        g = np.fromiter((g_index[a] for a in a_col), int, len(rows))
        i = np.fromiter((pos[x] for x in i_col), int, len(rows))
        j = np.fromiter((pos[x] for x in j_col), int, len(rows))
        si = np.fromiter((score_of[c][v] for c, v in zip(i_col, vi_col)), float, len(rows))
        sj = np.fromiter((score_of[c][v] for c, v in zip(j_col, vj_col)), float, len(rows))
        n = np.asarray(n_col, float)
        flat = (g * kc + i) * kc + j
        size = len(g_index) * kc * kc
        pn = np.bincount(flat, n, minlength=size).reshape(shape)
        pd = np.bincount(flat, n * si, minlength=size).reshape(shape)
        pc = np.bincount(flat, n * si * sj, minlength=size).reshape(shape)
    totals.pair_items, totals.pair_n, totals.pair_d, totals.pair_c = list(plan.pair_items), pn, pd, pc


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
                   settings=settings, snapshot_id=result["snapshot"], seed=result["seed"], payload=result,
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
