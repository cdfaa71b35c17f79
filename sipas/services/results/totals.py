"""The database read path of the analysis: grouped sums of a round's valid responses, as `analysis.Totals`.

Nothing here walks responses one by one: the inputs are GROUP BY aggregates by (agency, stratum, PSU,
item), plus cross-moments of the composite items per agency (for the variance floor of the SIPAS).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, text
from sqlalchemy.orm import Session, aliased

from analysis import Totals
from sipas.models import SELF_SELECTED, Agency, Answer, Response, ResponseStatus, Round
from sipas.results import SAMPLED, SELF_SELECTED_GROUP
from sipas.services.analysis_plan import Plan, score_table

#: PostgreSQL's sort memory for the analysis queries (SET LOCAL: this transaction only).
ANALYSIS_WORK_MEM = "256MB"


def _filters(rnd: Round, channel_group: str):
    self_selected = [c.value for c in SELF_SELECTED]
    channel_filter = Response.channel.in_(self_selected) if channel_group == SELF_SELECTED_GROUP \
        else Response.channel.notin_(self_selected)
    return and_(Response.round_id == rnd.id, Response.status == ResponseStatus.VALID, channel_filter)


def round_totals(session: Session, rnd: Round, plan: Plan, channel_group: str = SAMPLED
                 ) -> tuple[Totals, dict[str, str]] | None:
    """Totals by agency for one channel group of a round, or None when it has no responses.

    The database groups by raw columns only (agency, stratum, PSU, item, answer value): no expression is
    evaluated per answer row, so PostgreSQL and SQLite aggregate at full speed; scores are applied to the
    value distributions here. Respondents without a PSU (self-selected ratings), or in a stratum with a single
    PSU (a certainty unit), are each their own PSU; they are read one row per (agency, stratum, weight, answer
    pattern) with its count, so their cost grows with distinct patterns, not with responses (a cell standing
    for m PSUs: `Totals.cell_count`).
    """
    where = _filters(rnd, channel_group)
    if session.get_bind().dialect.name == "postgresql":
        # The value-level GROUP BY and the pair self-join sort millions of rows: at the default 4 MB the sort
        # spills to disk (1.5 GB at a million questionnaires). For this transaction only.
        session.execute(text(f"SET LOCAL work_mem = '{ANALYSIS_WORK_MEM}'"))
    cells_q = session.execute(select(Response.agency_id, Response.stratum, Response.psu, func.count())
                              .where(where, Response.psu.is_not(None))
                              .group_by(Response.agency_id, Response.stratum, Response.psu)).all()
    psus_per_stratum: dict[str | None, set] = {}
    for _, stratum, psu, _ in cells_q:
        psus_per_stratum.setdefault(stratum, set()).add(psu)
    lonely = [st for st, ps in psus_per_stratum.items() if len(ps) == 1]
    lonely_filter: ColumnElement[bool] = Response.stratum.in_([x for x in lonely if x is not None]) if lonely \
        else literal(False)
    if None in lonely:
        lonely_filter = or_(lonely_filter, Response.stratum.is_(None))
    certain = or_(Response.psu.is_(None), lonely_filter)
    regular = and_(Response.psu.is_not(None), ~lonely_filter) if lonely else Response.psu.is_not(None)
    # Cells: (agency, stratum, psu key) -> members. Certainty respondents with the same answers and weight
    # share one cell keyed "#<pattern number>", standing for as many PSUs as it has members.
    cells: dict[tuple, int] = {}
    members: list[float] = []
    for agency_id, stratum, psu, n in cells_q:
        if stratum in lonely:
            continue
        cells[(agency_id, stratum, psu)] = len(members)
        members.append(float(n))
    n_regular = len(members)
    patterns = _certain_patterns(session, where, certain, plan)
    certain_rows = []
    for number, (agency_id, stratum, weight, count, answers) in enumerate(patterns):
        key = f"#{number}"
        cells[(agency_id, stratum, key)] = len(members)
        members.append(float(count))
        certain_rows += [(agency_id, stratum, key, item, value, weight * count, count)
                         for item, value in answers]
    if not cells:
        return None
    agencies = dict(session.execute(select(Agency.id, Agency.code)).all())
    levels = {a.code: a.level.value for a in session.scalars(select(Agency))}
    keys = list(cells)
    agency_ids = sorted({k[0] for k in keys}, key=lambda i: agencies[i])
    g_index = {a: i for i, a in enumerate(agency_ids)}
    strata = sorted({"_" if k[1] is None else k[1] for k in keys})
    s_index = {st: i for i, st in enumerate(strata)}
    psu_ids: dict[tuple, int] = {}
    for k in keys:
        psu_ids.setdefault((k[1], k[2]), len(psu_ids))
    cell_stratum = np.array([s_index["_" if k[1] is None else k[1]] for k in keys])
    cell_psu = np.array([psu_ids[(k[1], k[2])] for k in keys])
    stratum_of_psu = np.zeros(len(psu_ids), dtype=np.int64)
    stratum_of_psu[cell_psu] = cell_stratum
    cell_count = np.ones(len(keys))
    cell_count[n_regular:] = members[n_regular:]
    psus_of_id = np.ones(len(psu_ids))
    psus_of_id[cell_psu] = cell_count
    n_cells, k_items = len(keys), len(plan.items)
    k_index = {code: k for k, code in enumerate(plan.items)}
    score_of = score_table(plan)
    arrays: dict[str, Any] = {name: np.zeros((n_cells, k_items))
                              for name in ("wsum", "ysum", "n_answered", "n_score", "n_score2")}

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
    accumulate(certain_rows)
    totals = Totals(groups=[agencies[a] for a in agency_ids], items=list(plan.items),
                    cell_group=np.array([g_index[k[0]] for k in keys]), cell_stratum=cell_stratum,
                    cell_psu=cell_psu, members=np.array(members),
                    stratum_psus=np.bincount(stratum_of_psu, psus_of_id, minlength=len(strata)).astype(np.int64),
                    cell_count=cell_count if len(keys) > n_regular else None, **arrays)
    if plan.pair_items:
        _pair_moments(session, where, plan, totals, g_index, score_of)
    return totals, {code: levels[code] for code in totals.groups}


def _certain_patterns(session: Session, where, certain, plan: Plan) -> list[tuple]:
    """(agency id, stratum, weight, count, ((item, value), ...)) per distinct answer pattern of the
    respondents who are their own PSU: one column per item pivoted per response, then counted per pattern."""
    answer = aliased(Answer)
    pivot = [func.max(case((answer.item_code == code, answer.value))).label(f"v{k}")
             for k, code in enumerate(plan.items)]
    per_response = (select(Response.agency_id, Response.stratum, Response.weight, *pivot)
                    .select_from(Response)
                    .outerjoin(answer, and_(answer.response_id == Response.id, answer.item_code.in_(plan.items)))
                    .where(where, certain).group_by(Response.id, Response.agency_id, Response.stratum,
                                                    Response.weight).subquery())
    value_cols = [per_response.c[f"v{k}"] for k in range(len(plan.items))]
    rows = session.connection().execute(
        select(per_response.c.agency_id, per_response.c.stratum, per_response.c.weight, func.count(), *value_cols)
        .group_by(per_response.c.agency_id, per_response.c.stratum, per_response.c.weight, *value_cols)).all()
    return [(a, st, float(w), int(n), tuple((code, int(v)) for code, v in zip(plan.items, values) if v is not None))
            for a, st, w, n, *values in rows]


def _pair_moments(session: Session, where, plan: Plan, totals: Totals, g_index: dict, score_of: dict) -> None:
    """Unweighted cross-moments of the composite items per agency (the SIPAS variance floor).

    The moments are symmetric but for pair_d (the sum of item i's score over respondents answering both): the
    self-join reads each unordered pair once (item i <= item j), and both orders are filled from it.
    """
    pair_codes = [plan.items[k] for k in plan.pair_items]
    pos = {code: i for i, code in enumerate(pair_codes)}
    other = aliased(Answer)
    rows = session.connection().execute(
        select(Response.agency_id, Answer.item_code, Answer.value, other.item_code, other.value, func.count())
        .select_from(Answer).join(other, and_(other.response_id == Answer.response_id,
                                              other.item_code >= Answer.item_code))
        .join(Response, Response.id == Answer.response_id)
        .where(where, Answer.item_code.in_(pair_codes), other.item_code.in_(pair_codes))
        .group_by(Response.agency_id, Answer.item_code, Answer.value, other.item_code, other.value)).all()
    kc = len(pair_codes)
    shape = (len(g_index), kc, kc)
    pn: np.ndarray = np.zeros(shape)
    pd: np.ndarray = np.zeros(shape)
    pc: np.ndarray = np.zeros(shape)
    if rows:
        a_col, i_col, vi_col, j_col, vj_col, n_col = zip(*rows)
        g = np.fromiter((g_index[a] for a in a_col), int, len(rows))
        i = np.fromiter((pos[x] for x in i_col), int, len(rows))
        j = np.fromiter((pos[x] for x in j_col), int, len(rows))
        si = np.fromiter((score_of[c][v] for c, v in zip(i_col, vi_col)), float, len(rows))
        sj = np.fromiter((score_of[c][v] for c, v in zip(j_col, vj_col)), float, len(rows))
        n = np.asarray(n_col, float)
        size = len(g_index) * kc * kc
        upper = (g * kc + i) * kc + j
        off = i != j  # the mirrored order (j, i) of the off-diagonal pairs
        flat = np.concatenate([upper, ((g * kc + j) * kc + i)[off]])
        both_n = np.concatenate([n, n[off]])
        pn = np.bincount(flat, both_n, minlength=size).reshape(shape)
        pd = np.bincount(flat, np.concatenate([n * si, (n * sj)[off]]), minlength=size).reshape(shape)
        pc = np.bincount(flat, np.concatenate([n * si * sj, (n * si * sj)[off]]), minlength=size).reshape(shape)
    totals.pair_items, totals.pair_n, totals.pair_d, totals.pair_c = list(plan.pair_items), pn, pd, pc
