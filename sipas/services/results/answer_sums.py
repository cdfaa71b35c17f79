"""Grouped sums of a round's answers, read from the `answers` table: the reference path of the analysis, and what
the maintained counts are folded from (`counts`) and completed with (`counted`: responses newer than the counts).

Each function takes a SQL filter of the responses (`group_filter`, narrowed by the caller) and returns plain rows.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, text
from sqlalchemy.orm import Session, aliased

import surveys
from sipas.models import SELF_SELECTED, Answer, Response, ResponseStatus, Round
from sipas.results import SELF_SELECTED_GROUP
from sipas.services.analysis_plan import Plan

#: Pair moments of one agency: sum a_k a_l, sum s_k a_l, sum s_k s_l over its respondents ([Kc, Kc] each).
Moments = tuple[np.ndarray, np.ndarray, np.ndarray]

#: Items reported as distributions (counts and weighted shares) rather than indices.
DISTRIBUTION_KINDS = ("behaviour", "respondent")

#: PostgreSQL's work_mem for the transactions that group answers (`work_mem`).
WORK_MEM = "256MB"

#: Response ids per read of the composite items' answers (about 14 answers each: ~1.4 million rows at most).
PAIR_CHUNK = 100_000


def work_mem(session: Session) -> None:
    """On PostgreSQL, give this transaction's grouped reads and fold-ins room to aggregate in memory."""
    if session.get_bind().dialect.name == "postgresql":
        # The value-level GROUP BY sorts millions of rows: at the default 4 MB the sort spills to disk (1.5 GB at
        # a million questionnaires), in the analysis's read and in the fold-in's INSERT ... SELECT alike.
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))


def group_filter(rnd: Round, channel_group: str) -> ColumnElement[bool]:
    """The valid responses of one channel group of a round."""
    self_selected = [c.value for c in SELF_SELECTED]
    channel_filter = Response.channel.in_(self_selected) if channel_group == SELF_SELECTED_GROUP \
        else Response.channel.notin_(self_selected)
    return and_(Response.round_id == rnd.id, Response.status == ResponseStatus.VALID, channel_filter)


def lonely_filter(lonely: Sequence[str | None]) -> ColumnElement[bool]:
    """Responses with a PSU in one of the strata that have a single PSU (None: the responses without stratum)."""
    named = [x for x in lonely if x is not None]
    # Never NULL (a NULL stratum is FALSE here, not unknown), so that its negation keeps the other responses.
    in_lonely: ColumnElement[bool] = and_(Response.stratum.is_not(None), Response.stratum.in_(named)) if named \
        else literal(False)
    if None in lonely:
        in_lonely = or_(in_lonely, Response.stratum.is_(None))
    return and_(Response.psu.is_not(None), in_lonely)


def single_psu_strata(cells: Sequence[tuple]) -> list[str | None]:
    """The strata with a single PSU among cells (agency, stratum, PSU, respondents): their respondents are each
    their own PSU (certainty units). Depends on the whole group, so it is decided at read time."""
    psus_per_stratum: dict[str | None, set] = {}
    for _, stratum, psu, _ in cells:
        psus_per_stratum.setdefault(stratum, set()).add(psu)
    return [st for st, ps in psus_per_stratum.items() if len(ps) == 1]


def psu_cells(session: Session, where) -> list[tuple]:
    """(agency, stratum, PSU, respondents) of the responses with a PSU."""
    return plain_rows(session.connection(),
                      select(Response.agency_id, Response.stratum, Response.psu, func.count())
                      .where(where, Response.psu.is_not(None))
                      .group_by(Response.agency_id, Response.stratum, Response.psu))


def value_rows(session: Session, where, plan: Plan) -> list[tuple]:
    """(agency, stratum, PSU, item, value, sum of weights, count) of the answers of the responses in `where`."""
    return plain_rows(session.connection(),
                      select(Response.agency_id, Response.stratum, Response.psu, Answer.item_code, Answer.value,
                             func.sum(Response.weight), func.count())
                      .join(Response, Response.id == Answer.response_id)
                      .where(where, Answer.item_code.in_(plan.items))
                      .group_by(Response.agency_id, Response.stratum, Response.psu, Answer.item_code, Answer.value))


def distribution_codes(profile_key: str) -> list[str]:
    """The profile's items reported as distributions (behaviour and respondent questions)."""
    return [i.code for i in surveys.load(profile_key).items if i.kind in DISTRIBUTION_KINDS]


def distribution_rows(session: Session, where, codes: list[str]) -> list[tuple]:
    """(item, value, responses, sum of weights) of the answers to `codes` of the responses in `where`."""
    if not codes:
        return []
    return plain_rows(session.connection(),
                      select(Answer.item_code, Answer.value, func.count(), func.sum(Response.weight))
                      .join(Response, Response.id == Answer.response_id)
                      .where(where, Answer.item_code.in_(codes)).group_by(Answer.item_code, Answer.value))


def plain_rows(conn, stmt) -> list[tuple]:
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


def answer_patterns(session: Session, where, plan: Plan) -> list[tuple]:
    """(agency id, stratum, weight, count, ((item, value), ...)) per distinct answer pattern of the responses in
    `where`: one column per item pivoted per response, then counted per pattern."""
    answer = aliased(Answer)
    pivot = [func.max(case((answer.item_code == code, answer.value))).label(f"v{k}")
             for k, code in enumerate(plan.items)]
    per_response = (select(Response.agency_id, Response.stratum, Response.weight, *pivot)
                    .select_from(Response)
                    .outerjoin(answer, and_(answer.response_id == Response.id, answer.item_code.in_(plan.items)))
                    .where(where).group_by(Response.id, Response.agency_id, Response.stratum,
                                           Response.weight).subquery())
    value_cols = [per_response.c[f"v{k}"] for k in range(len(plan.items))]
    rows = session.connection().execute(
        select(per_response.c.agency_id, per_response.c.stratum, per_response.c.weight, func.count(), *value_cols)
        .group_by(per_response.c.agency_id, per_response.c.stratum, per_response.c.weight, *value_cols)).all()
    return [(a, st, float(w), int(n), tuple((code, int(v)) for code, v in zip(plan.items, values) if v is not None))
            for a, st, w, n, *values in rows]


def pair_moments(session: Session, where, plan: Plan, score_of: dict) -> dict[int, Moments]:
    """Unweighted cross-moments of the composite items per agency id (the SIPAS variance floor).

    The answers to the composite items are read once (one row per answer) and the moments are matrix products
    per agency: sum a_k a_l = AᵀA, sum a_k a_l s_k = SᵀA, sum a_k a_l s_k s_l = SᵀS, with A the answered
    indicators and S the scores (0 where not answered). A self-join of the answers in SQL gives the same sums
    but makes items² rows per response (7 million for a national round), which dominated the analysis. The
    answers are read in ranges of response ids, so memory stays bounded however large the round.
    """
    pair_codes = [plan.items[k] for k in plan.pair_items]
    pos = {code: i for i, code in enumerate(pair_codes)}
    kc = len(pair_codes)
    out: dict[int, Moments] = {}
    conn = session.connection()
    low, high = conn.execute(select(func.min(Response.id), func.max(Response.id)).where(where)).one()
    for start in range(low or 0, (high or -1) + 1, PAIR_CHUNK):
        rows = plain_rows(conn, select(Response.id, Response.agency_id, Answer.item_code, Answer.value)
                          .join(Response, Response.id == Answer.response_id)
                          .where(where, Response.id >= start, Response.id < start + PAIR_CHUNK,
                                 Answer.item_code.in_(pair_codes)))
        if not rows:
            continue
        rid_col, a_col, i_col, v_col = zip(*rows)
        _, r_idx = np.unique(np.asarray(rid_col), return_inverse=True)
        n_resp = int(r_idx.max()) + 1
        agency = np.zeros(n_resp, dtype=np.int64)
        agency[r_idx] = np.asarray(a_col, dtype=np.int64)
        i = np.fromiter((pos[x] for x in i_col), np.int64, len(rows))
        answered = np.zeros((n_resp, kc))
        score = np.zeros((n_resp, kc))
        answered[r_idx, i] = 1.0
        score[r_idx, i] = np.fromiter((score_of[c][v] for c, v in zip(i_col, v_col)), float, len(rows))
        order = np.argsort(agency, kind="stable")
        ids, starts = np.unique(agency[order], return_index=True)
        for g, lo, hi in zip(ids.tolist(), starts.tolist(), [*starts[1:].tolist(), n_resp]):
            sel = order[lo:hi]
            a, sc = answered[sel], score[sel]
            n, d, c = out.setdefault(g, (np.zeros((kc, kc)), np.zeros((kc, kc)), np.zeros((kc, kc))))
            n += a.T @ a
            d += sc.T @ a
            c += sc.T @ sc
    return out
