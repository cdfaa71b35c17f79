"""Maintained counts: a round's answers folded into the additive sums the analysis reads (`counted`).

Fold-in (`fold`) is incremental, by a watermark on response ids, in bounded steps the job runner and the CLI
commit one by one (so SQLite's write lock is never held long). A plain max-id watermark could skip a response
whose transaction committed after a larger id was folded; two rules prevent that or catch it:
- only ids up to the largest one received more than `SETTLE` ago are folded: a smaller id still uncommitted
  would belong to a transaction open for longer than that (a submission takes milliseconds; a long import
  that does so is caught by the next rule);
- the folded responses' signature (count, sums of ids, weights, weight x id) is kept and compared with the
  current valid responses up to the watermark before the counts are used or extended; a mismatch (a late
  commit, a response flagged, voided or deleted, a weight changed) means rebuild, and until then the
  analysis reads the answers.
Writers that change weights, statuses, strata or PSUs of existing responses call `invalidate` (through
`freshness.mark_reweighted`), which also covers changes the signature cannot see (a stratum re-assigned).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import and_, delete, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sipas.models import (
    Answer,
    CountCell,
    CountPair,
    CountPattern,
    CountState,
    CountValue,
    Response,
    ResponseStatus,
    Round,
)
from sipas.results import CHANNEL_GROUPS, SAMPLED
from sipas.services.analysis_plan import Plan, score_table
from sipas.services.results import answer_sums
from sipas.services.results.answer_sums import (
    Moments,
    answer_patterns,
    distribution_codes,
    distribution_rows,
    group_filter,
    pair_moments,
)

#: Responses folded per step (one transaction). A step costs its responses' answers plus an upsert of every
#: (agency, stratum, PSU, item, value) they touch, which at national scale is most of them whatever the step's
#: size (2.9 million rows at 24,000 PSUs): steps of 200,000 made a rebuild of a million questionnaires five
#: such upserts (measured, docs/performance.md), so a step is large; SQLite's write lock is held for one step.
FOLD_CHUNK = 1_000_000
#: Responses received more recently than this are left for the next fold-in (see the module's docstring).
SETTLE = timedelta(seconds=60)
_COUNT_TABLES = (CountCell, CountValue, CountPattern, CountPair)
#: The `count_values` rows of the behaviour and respondent answers of the sampled responses (their
#: distributions, `facts.distributions`): this group, agency 0, no stratum, no PSU.
DISTRIBUTIONS = "distributions"


def _insert(session: Session, model):
    """INSERT with ON CONFLICT for the session's database (both dialects spell it the same way)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def invalidate(session: Session, round_id: int) -> None:
    """The folded responses of a round changed (weight, status, stratum, PSU, or deleted): the counts are rebuilt
    at the next fold-in and not read before. An upsert, so that a fold-in running concurrently either waits for
    this transaction or is seen as stale after it (its state row is locked, see `_locked_state`)."""
    stmt = _insert(session, CountState).values(round_id=round_id, stale=True)
    session.execute(stmt.on_conflict_do_update(index_elements=["round_id"], set_={"stale": True}))


def items_key(plan: Plan) -> str:
    """What the counts are folded for: the plan's items and the profile's distribution items (counts folded
    without the latter, or for another plan, are rebuilt)."""
    return ",".join(plan.items) + "|" + ",".join(distribution_codes(plan.profile_key))


def signature(session: Session, rnd: Round, through: int) -> tuple[int, int, float, float]:
    """(count, sum of ids, sum of weights, sum of weight x id) of the round's valid responses with id <= through."""
    return _signature(session, and_(Response.round_id == rnd.id, Response.id <= through))


def _signature(session: Session, where) -> tuple[int, int, float, float]:
    n, id_sum, w_sum, wid_sum = session.execute(
        select(func.count(), func.coalesce(func.sum(Response.id), 0), func.coalesce(func.sum(Response.weight), 0.0),
               func.coalesce(func.sum(Response.weight * Response.id), 0.0))
        .where(where, Response.status == ResponseStatus.VALID)).one()
    return int(n), int(id_sum), float(w_sum), float(wid_sum)


def matches(state: CountState, found: tuple[int, int, float, float]) -> bool:
    """True when the state's signature is the one found (float sums to 1e-9 relative: summation order varies)."""
    n, id_sum, w_sum, wid_sum = found
    return (state.n, state.id_sum) == (n, id_sum) and bool(
        np.isclose(state.w_sum, w_sum, rtol=1e-9, atol=0) and np.isclose(state.wid_sum, wid_sum, rtol=1e-9, atol=0))


def _locked_state(session: Session, rnd: Round) -> CountState:
    """The round's state row, created if missing, locked until the transaction ends (PostgreSQL: FOR UPDATE;
    SQLite: the insert takes the database's write lock)."""
    session.execute(_insert(session, CountState).values(round_id=rnd.id, stale=False, watermark=0)
                    .on_conflict_do_nothing(index_elements=["round_id"]))
    return session.execute(select(CountState).where(CountState.round_id == rnd.id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()


def _clear(session: Session, rnd: Round, state: CountState, plan: Plan) -> None:
    for model in _COUNT_TABLES:
        session.execute(delete(model).where(model.round_id == rnd.id))
    state.stale, state.watermark, state.n, state.id_sum, state.w_sum, state.wid_sum = False, 0, 0, 0, 0.0, 0.0
    state.items = items_key(plan)


def fold(session: Session, rnd: Round, plan: Plan, *, verify: bool = True, limit: int = FOLD_CHUNK,
         settle: timedelta = SETTLE, now: datetime | None = None) -> bool:
    """Fold one step of the round's new valid responses into its counts (rebuilding them first when stale, of
    another plan, or - with `verify` - when the folded responses changed). True when more may remain: the
    caller commits and calls again (without `verify`: nothing it folded can have changed unseen)."""
    answer_sums.work_mem(session)
    state = _locked_state(session, rnd)
    if state.stale or state.items != items_key(plan) or (
            verify and state.watermark and not matches(state, signature(session, rnd, state.watermark))):
        _clear(session, rnd, state, plan)
    upper, more = _upper(session, rnd, state.watermark, limit, (now or datetime.now(timezone.utc)) - settle)
    if upper is None:
        return False
    span = and_(Response.id > state.watermark, Response.id <= upper)
    for grp in CHANNEL_GROUPS:
        where = and_(group_filter(rnd, grp), span)
        _fold_cells(session, rnd, grp, where)
        _fold_values(session, rnd, grp, where, plan)
        _fold_patterns(session, rnd, grp, where, plan)
        if plan.pair_items:
            _fold_pairs(session, rnd, grp, pair_moments(session, where, plan, score_table(plan)))
    _fold_distributions(session, rnd, and_(group_filter(rnd, SAMPLED), span), plan)
    n, id_sum, w_sum, wid_sum = _signature(session, and_(Response.round_id == rnd.id, span))
    state.n, state.id_sum, state.w_sum, state.wid_sum = (state.n + n, state.id_sum + id_sum, state.w_sum + w_sum,
                                                         state.wid_sum + wid_sum)
    state.watermark, state.updated_at = upper, datetime.now(timezone.utc)
    session.flush()
    return more


def _upper(session: Session, rnd: Round, watermark: int, limit: int, cutoff: datetime) -> tuple[int | None, bool]:
    """The last id of the next step (None: nothing to fold) and whether more may remain after it."""
    in_round = and_(Response.round_id == rnd.id, Response.id > watermark)
    nth = session.scalar(select(Response.id).where(in_round).order_by(Response.id).offset(limit - 1).limit(1))
    bound = in_round if nth is None else and_(in_round, Response.id <= nth)
    settled = session.scalar(select(func.max(Response.id)).where(bound, Response.received_at < cutoff))
    return settled, nth is not None and settled == nth


def _stratum():
    # literal_column, not a bound parameter: PostgreSQL matches the GROUP BY expression with the selected one.
    return func.coalesce(Response.stratum, literal_column("''"))


def _add(stmt, table, columns: tuple[str, ...]):
    return stmt.on_conflict_do_update(index_elements=[c.name for c in table.__table__.primary_key.columns],
                                      set_={c: getattr(table, c) + getattr(stmt.excluded, c) for c in columns})


def _fold_cells(session: Session, rnd: Round, grp: str, where) -> None:
    query = (select(literal_column(str(int(rnd.id))), literal_column(f"'{grp}'"), Response.agency_id, _stratum(),
                    Response.psu, func.count())
             .where(where, Response.psu.is_not(None)).group_by(Response.agency_id, _stratum(), Response.psu))
    stmt = _insert(session, CountCell).from_select(["round_id", "grp", "agency_id", "stratum", "psu", "n"], query)
    session.execute(_add(stmt, CountCell, ("n",)))


def _fold_values(session: Session, rnd: Round, grp: str, where, plan: Plan) -> None:
    query = (select(literal_column(str(int(rnd.id))), literal_column(f"'{grp}'"), Response.agency_id, _stratum(),
                    Response.psu, Answer.item_code, Answer.value, func.sum(Response.weight), func.count())
             .join(Response, Response.id == Answer.response_id)
             .where(where, Response.psu.is_not(None), Answer.item_code.in_(plan.items))
             .group_by(Response.agency_id, _stratum(), Response.psu, Answer.item_code, Answer.value))
    stmt = _insert(session, CountValue).from_select(
        ["round_id", "grp", "agency_id", "stratum", "psu", "item_code", "value", "w", "n"], query)
    session.execute(_add(stmt, CountValue, ("w", "n")))


def _fold_distributions(session: Session, rnd: Round, where, plan: Plan) -> None:
    rows = [{"round_id": rnd.id, "grp": DISTRIBUTIONS, "agency_id": 0, "stratum": "", "psu": "", "item_code": code,
             "value": value, "w": w, "n": n}
            for code, value, n, w in distribution_rows(session, where, distribution_codes(plan.profile_key))]
    if rows:  # a few hundred rows (items x values)
        session.connection().execute(_add(_insert(session, CountValue), CountValue, ("w", "n")), rows)


def encode_pattern(answers: tuple[tuple[str, int], ...]) -> str:
    return ";".join(f"{code}={value}" for code, value in answers)


def decode_pattern(pattern: str) -> tuple[tuple[str, int], ...]:
    return tuple((code, int(value)) for code, value in (part.split("=") for part in pattern.split(";") if part))


def _fold_patterns(session: Session, rnd: Round, grp: str, where, plan: Plan) -> None:
    rows = [{"round_id": rnd.id, "grp": grp, "agency_id": a, "stratum": st or "", "weight": w, "n": n,
             "pattern": encode_pattern(answers)}
            for a, st, w, n, answers in answer_patterns(session, and_(where, Response.psu.is_(None)), plan)]
    if rows:
        # executemany: a multi-row VALUES took SQLAlchemy seconds to compile per thousand rows (profiled).
        session.connection().execute(_add(_insert(session, CountPattern), CountPattern, ("n",)), rows)


def moments_bytes(moments: Moments) -> bytes:
    return np.stack(moments).astype("<f8").tobytes()


def moments_of(data: bytes, kc: int) -> Moments:
    n, d, c = np.frombuffer(data, dtype="<f8").reshape(3, kc, kc).copy()
    return n, d, c


def _fold_pairs(session: Session, rnd: Round, grp: str, found: dict[int, Moments]) -> None:
    if not found:
        return
    kc = found[next(iter(found))][0].shape[0]
    stored = dict(session.execute(select(CountPair.agency_id, CountPair.moments).where(
        CountPair.round_id == rnd.id, CountPair.grp == grp, CountPair.agency_id.in_(list(found)))).all())
    rows = []
    for agency_id, moments in found.items():
        if agency_id in stored:
            moments = tuple(a + b for a, b in zip(moments, moments_of(stored[agency_id], kc)))  # type: ignore[assignment]
        rows.append({"round_id": rnd.id, "grp": grp, "agency_id": agency_id, "moments": moments_bytes(moments)})
    stmt = _insert(session, CountPair)
    session.connection().execute(stmt.on_conflict_do_update(index_elements=["round_id", "grp", "agency_id"],
                                                            set_={"moments": stmt.excluded.moments}), rows)
