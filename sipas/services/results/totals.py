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
    cells_q, lonely, certain, regular = _psu_cells(session, where)
    cells, members, n_regular, certain_rows = _cells(cells_q, lonely,
                                                     _certain_patterns(session, where, certain, plan))
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
    for rows in (_regular_rows(session, where, regular, plan), certain_rows):
        _accumulate(arrays, rows, cells, k_index, score_of)
    totals = Totals(groups=[agencies[a] for a in agency_ids], items=list(plan.items),
                    cell_group=np.array([g_index[k[0]] for k in keys]), cell_stratum=cell_stratum,
                    cell_psu=cell_psu, members=np.array(members),
                    stratum_psus=np.bincount(stratum_of_psu, psus_of_id, minlength=len(strata)).astype(np.int64),
                    cell_count=cell_count if len(keys) > n_regular else None, **arrays)
    if plan.pair_items:
        _pair_moments(session, where, plan, totals, g_index, score_of)
    return totals, {code: levels[code] for code in totals.groups}


def _psu_cells(session: Session, where) -> tuple[list, list, ColumnElement[bool], ColumnElement[bool]]:
    """(agency, stratum, PSU, respondents) of the responses with a PSU; the strata with a single PSU; and the
    filters of the certainty respondents (no PSU, or a single-PSU stratum) and of the others."""
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
    return list(cells_q), lonely, certain, regular


def _cells(cells_q: list, lonely: list, patterns: list) -> tuple[dict[tuple, int], list[float], int, list[tuple]]:
    """Cells: (agency, stratum, psu key) -> index, their members, how many are regular PSUs, and the certainty
    cells' answer rows. Certainty respondents with the same answers and weight share one cell keyed
    "#<pattern number>", standing for as many PSUs as it has members."""
    cells: dict[tuple, int] = {}
    members: list[float] = []
    for agency_id, stratum, psu, n in cells_q:
        if stratum in lonely:
            continue
        cells[(agency_id, stratum, psu)] = len(members)
        members.append(float(n))
    n_regular = len(members)
    certain_rows = []
    for number, (agency_id, stratum, weight, count, answers) in enumerate(patterns):
        key = f"#{number}"
        cells[(agency_id, stratum, key)] = len(members)
        members.append(float(count))
        certain_rows += [(agency_id, stratum, key, item, value, weight * count, count)
                         for item, value in answers]
    return cells, members, n_regular, certain_rows


def _accumulate(arrays: dict[str, Any], rows, cells: dict[tuple, int], k_index: dict[str, int], score_of) -> None:
    """Add grouped answer rows (agency, stratum, psu key, item, value, sum of weights, count) to the sums."""
    if not rows:
        return
    n_cells, k_items = arrays["wsum"].shape
    agency_col, stratum_col, psu_col, item_col, value_col, w_col, n_col = zip(*rows)
    c = np.fromiter((cells[(a, st, p)] for a, st, p in zip(agency_col, stratum_col, psu_col)), int, len(rows))
    k = np.fromiter((k_index[i] for i in item_col), int, len(rows))
    score = np.fromiter((score_of[i][x] for i, x in zip(item_col, value_col)), float, len(rows))
    w, n = np.asarray(w_col, float), np.asarray(n_col, float)
    flat = c * k_items + k
    size = n_cells * k_items
    for name, weights in (("wsum", w), ("ysum", w * score), ("n_answered", n), ("n_score", n * score),
                          ("n_score2", n * score * score)):
        arrays[name] += np.bincount(flat, weights, minlength=size).reshape(n_cells, k_items)


def _regular_rows(session: Session, where, regular, plan: Plan) -> list[tuple]:
    """(agency, stratum, PSU, item, value, sum of weights, count) of the respondents in a regular PSU."""
    return _plain_rows(session.connection(),
                       select(Response.agency_id, Response.stratum, Response.psu, Answer.item_code, Answer.value,
                              func.sum(Response.weight), func.count())
                       .join(Response, Response.id == Answer.response_id)
                       .where(where, regular, Answer.item_code.in_(plan.items))
                       .group_by(Response.agency_id, Response.stratum, Response.psu, Answer.item_code, Answer.value))


def _plain_rows(conn, stmt) -> list[tuple]:
    """Every row of a Core statement as the driver's own tuples.

    The analysis reads hundreds of thousands of aggregate rows whose columns are plain integers, floats and
    strings (no type conversion needed): building a SQLAlchemy Row for each took about a seventh of a national
    round's analysis (profiled), so the driver's cursor is drained directly.
    """
    result = conn.execute(stmt)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


#: Response ids per read of the composite items' answers (about 14 answers each: ~1.4 million rows at most).
_PAIR_CHUNK = 100_000


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

    The answers to the composite items are read once (one row per answer) and the moments are matrix products
    per agency: sum a_k a_l = AᵀA, sum a_k a_l s_k = SᵀA, sum a_k a_l s_k s_l = SᵀS, with A the answered
    indicators and S the scores (0 where not answered). A self-join of the answers in SQL gives the same sums
    but makes items² rows per response (7 million for a national round), which dominated the analysis. The
    answers are read in ranges of response ids, so memory stays bounded however large the round.
    """
    pair_codes = [plan.items[k] for k in plan.pair_items]
    pos = {code: i for i, code in enumerate(pair_codes)}
    kc = len(pair_codes)
    shape = (len(g_index), kc, kc)
    pn: np.ndarray = np.zeros(shape)
    pd: np.ndarray = np.zeros(shape)
    pc: np.ndarray = np.zeros(shape)
    conn = session.connection()
    low, high = conn.execute(select(func.min(Response.id), func.max(Response.id)).where(where)).one()
    for start in range(low or 0, (high or -1) + 1, _PAIR_CHUNK):
        rows = _plain_rows(conn, select(Response.id, Response.agency_id, Answer.item_code, Answer.value)
                           .join(Response, Response.id == Answer.response_id)
                           .where(where, Response.id >= start, Response.id < start + _PAIR_CHUNK,
                                  Answer.item_code.in_(pair_codes)))
        if not rows:
            continue
        rid_col, a_col, i_col, v_col = zip(*rows)
        _, r_idx = np.unique(np.asarray(rid_col), return_inverse=True)
        n_resp = int(r_idx.max()) + 1
        agency = np.zeros(n_resp, dtype=np.int64)
        agency[r_idx] = np.fromiter((g_index[a] for a in a_col), np.int64, len(rows))
        i = np.fromiter((pos[x] for x in i_col), np.int64, len(rows))
        answered = np.zeros((n_resp, kc))
        score = np.zeros((n_resp, kc))
        answered[r_idx, i] = 1.0
        score[r_idx, i] = np.fromiter((score_of[c][v] for c, v in zip(i_col, v_col)), float, len(rows))
        order = np.argsort(agency, kind="stable")
        bounds = np.searchsorted(agency[order], np.arange(len(g_index) + 1))
        for g in range(len(g_index)):
            sel = order[bounds[g]:bounds[g + 1]]
            if sel.size:
                a, sc = answered[sel], score[sel]
                pn[g] += a.T @ a
                pd[g] += sc.T @ a
                pc[g] += sc.T @ sc
    totals.pair_items, totals.pair_n, totals.pair_d, totals.pair_c = list(plan.pair_items), pn, pd, pc
