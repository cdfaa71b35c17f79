"""The analysis's sums read from the maintained counts (`counts`), completed by the responses newer than them.

Used only when the counts are current: not invalidated, of the same plan, and the valid responses up to the
watermark are exactly the ones folded (their signature). Then the read costs the count rows (groups x PSUs x items
x values, not responses) plus the answers of the responses received since the last fold-in.

The single-PSU-stratum rule depends on the whole round (a stratum with one PSU today may have two tomorrow), so
it is decided here at read time from the stored PSU counts; the respondents of such strata (few: certainty
units) are read from the answers as patterns, and their stored value rows are left out.
"""
from __future__ import annotations

from sqlalchemy import and_, func, literal_column, select
from sqlalchemy.orm import Session

from sipas.models import CountCell, CountPair, CountPattern, CountState, CountValue, Response, Round
from sipas.results import SAMPLED
from sipas.services.analysis_plan import Plan, score_table
from sipas.services.results import answer_sums, counts
from sipas.services.results.totals import Sums


def current(session: Session, rnd: Round, plan: Plan) -> CountState | None:
    """The round's counts state when the counts can be read (not invalidated, of the same plan, and the valid
    responses up to the watermark exactly the ones folded: their signature), else None (read the answers).
    One scan of the round's responses: a computation checks once and passes the state on."""
    state = session.execute(select(CountState).where(CountState.round_id == rnd.id)
                            .execution_options(populate_existing=True)).scalar_one_or_none()
    if state is None or state.stale or not state.watermark or state.items != counts.items_key(plan):
        return None
    return state if counts.matches(state, counts.signature(session, rnd, state.watermark)) else None


def sums(session: Session, rnd: Round, plan: Plan, channel_group: str, state: CountState | None = None
         ) -> Sums | None:
    """The sums of one channel group from the counts, or None when the counts cannot be used (the caller reads
    the answers). `state`: the result of `current`, when the caller checked already."""
    state = state or current(session, rnd, plan)
    if state is None:
        return None
    where = answer_sums.group_filter(rnd, channel_group)
    newer = and_(where, Response.id > state.watermark)
    cells = _stored(session, CountCell, rnd, channel_group, (CountCell.agency_id, _stratum(CountCell),
                                                             CountCell.psu, CountCell.n))
    cells += answer_sums.psu_cells(session, newer)
    lonely = answer_sums.single_psu_strata(cells)
    in_lonely = answer_sums.lonely_filter(lonely)
    stored_lonely = [st or "" for st in lonely]
    values = _stored(session, CountValue, rnd, channel_group,
                     (CountValue.agency_id, _stratum(CountValue), CountValue.psu, CountValue.item_code,
                      CountValue.value, CountValue.w, CountValue.n), CountValue.stratum.notin_(stored_lonely))
    values += answer_sums.value_rows(session, and_(newer, Response.psu.is_not(None), ~in_lonely), plan)
    decoded: dict[str, tuple] = {}  # the same patterns recur across agencies: each is decoded once
    patterns = [(a, st, w, n, decoded[p] if p in decoded else decoded.setdefault(p, counts.decode_pattern(p)))
                for a, st, w, n, p in _stored(
        session, CountPattern, rnd, channel_group, (CountPattern.agency_id, _stratum(CountPattern),
                                                    CountPattern.weight, CountPattern.n, CountPattern.pattern))]
    # Two reads, not one with OR: the OR made both databases scan every response of the round (profiled); apart,
    # the new responses are found by id and the single-PSU strata's respondents by their agencies.
    patterns += answer_sums.answer_patterns(session, and_(newer, Response.psu.is_(None)), plan)
    if lonely:
        agencies = sorted({c[0] for c in cells if c[1] in lonely})
        patterns += answer_sums.answer_patterns(session, and_(where, Response.agency_id.in_(agencies), in_lonely),
                                                plan)
    return Sums(cells=[c for c in cells if c[1] not in lonely], values=values, patterns=patterns,
                pairs=_pairs(session, rnd, plan, channel_group, newer) if plan.pair_items else {})


def distribution_rows(session: Session, rnd: Round, state: CountState, codes: list[str]) -> list[tuple]:
    """(item, value, responses, sum of weights) of the sampled responses' answers to `codes` (rows may repeat a
    key: they are added), from the counts of a `current` state and the answers of the newer responses."""
    stored = _stored(session, CountValue, rnd, counts.DISTRIBUTIONS,
                     (CountValue.item_code, CountValue.value, CountValue.n, CountValue.w))
    return stored + answer_sums.distribution_rows(
        session, and_(answer_sums.group_filter(rnd, SAMPLED), Response.id > state.watermark), codes)


def _stratum(model):
    return func.nullif(model.stratum, literal_column("''"))


def _stored(session: Session, model, rnd: Round, channel_group: str, columns: tuple, *where) -> list[tuple]:
    return answer_sums.plain_rows(session.connection(), select(*columns).where(
        model.round_id == rnd.id, model.grp == channel_group, *where))


def _pairs(session: Session, rnd: Round, plan: Plan, channel_group: str, newer) -> dict:
    kc = len(plan.pair_items)
    found = answer_sums.pair_moments(session, newer, plan, score_table(plan))
    for agency_id, data in _stored(session, CountPair, rnd, channel_group, (CountPair.agency_id, CountPair.moments)):
        stored = counts.moments_of(bytes(data), kc)
        if agency_id in found:
            found[agency_id] = tuple(a + b for a, b in zip(found[agency_id], stored))  # type: ignore[assignment]
        else:
            found[agency_id] = stored
    return found
