"""The maintained counts give the same Totals as the answers (to 1e-9, same cells in the same order), on both
databases: a SIPAS_2640 round with PSUs and a single-PSU stratum, kiosk ratings without PSU, a SIPAS_1001 round
with composite pair items; and again after new responses arrive (before and after the fold-in), after weights
change (through `freshness.mark_reweighted`, or behind its back), after responses are flagged, unflagged or
deleted, and after a stratum is re-assigned. The reference is `answers_totals` (the answers path); the
behaviour/respondent distributions read from the counts equal those read from the answers too."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from sqlalchemy import delete, func, select, text, update

import surveys
from sipas.models import Answer, CountState, Response, ResponseStatus, Round
from sipas.results import CHANNEL_GROUPS
from sipas.services.analysis_plan import plan_for
from sipas.services.results import answer_sums, counted, counts, facts
from sipas.services.results.freshness import mark_reweighted
from sipas.services.results.totals import answers_totals, round_totals

_INT_FIELDS = ("cell_group", "cell_stratum", "cell_psu", "stratum_psus")
_FLOAT_FIELDS = ("members", "wsum", "ysum", "n_answered", "n_score", "n_score2", "cell_count", "pair_n", "pair_d",
                 "pair_c")


@pytest.fixture
def demo(session):
    from sipas.services.demo import load_demo
    load_demo(session, scale=0.2)
    session.commit()
    return session


def _round(session, code: str) -> Round:
    return session.scalars(select(Round).where(Round.code == code)).one()


def _fold(session, rnd: Round) -> None:
    plan = plan_for(surveys.load(rnd.profile_key))
    verify = True
    # Small steps, so that a rebuild takes several (the job's loop), settled at once (the responses are older).
    while counts.fold(session, rnd, plan, verify=verify, limit=300, settle=timedelta(0)):
        session.commit()
        verify = False
    session.commit()


def _same(session, rnd: Round, *, from_counts: bool) -> None:
    """round_totals equals the answers path for every channel group; `from_counts`: it read the counts."""
    plan = plan_for(surveys.load(rnd.profile_key))
    seen = 0
    for group in CHANNEL_GROUPS:
        assert (counted.sums(session, rnd, plan, group) is not None) is from_counts
        ref, got = answers_totals(session, rnd, plan, group), round_totals(session, rnd, plan, group)
        assert (ref is None) == (got is None)
        if ref is None or got is None:
            continue
        seen += 1
        (a, a_levels), (b, b_levels) = ref, got
        assert (a.groups, a.items, a.pair_items, a_levels) == (b.groups, b.items, b.pair_items, b_levels)
        for name in _INT_FIELDS:
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        for name in _FLOAT_FIELDS:
            x, y = getattr(a, name), getattr(b, name)
            assert (x is None) == (y is None), name
            if x is not None:
                np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-9, err_msg=name)
    state = counted.current(session, rnd, plan)
    assert (state is not None) is from_counts
    ref_dist, got_dist = facts.distributions(session, rnd), facts.distributions(session, rnd, state)
    assert bool(ref_dist) is bool(answer_sums.distribution_codes(rnd.profile_key))  # the demo answers them
    assert list(ref_dist) == list(got_dist) and all(list(ref_dist[c]) == list(got_dist[c]) for c in ref_dist)
    for code, found in ref_dist.items():
        for value, (n, w) in found.items():
            assert got_dist[code][value][0] == n and got_dist[code][value][1] == pytest.approx(w, rel=1e-9)
    session.rollback()
    assert seen


def _copy_responses(session, rnd: Round, k: int, **overrides) -> list[int]:
    """k new responses copying the first k valid ones of the round (answers included): new arrivals."""
    olds = session.scalars(select(Response).where(Response.round_id == rnd.id,
                                                  Response.status == ResponseStatus.VALID)
                           .order_by(Response.id).limit(k)).all()
    made = []
    for old in olds:
        new = Response(uuid=str(uuid.uuid4()), round_id=rnd.id, agency_id=old.agency_id, channel=old.channel,
                       profile_key=old.profile_key, stratum=old.stratum, psu=old.psu, weight=old.weight,
                       entered_by_id=old.entered_by_id, service_point_id=old.service_point_id,
                       device_id=old.device_id, batch_id=old.batch_id,
                       received_at=datetime.now(timezone.utc) - timedelta(hours=1), content_hash="copy")
        for name, value in overrides.items():
            setattr(new, name, value)
        session.add(new)
        session.flush()
        for code, value in session.execute(select(Answer.item_code, Answer.value)
                                           .where(Answer.response_id == old.id)).all():
            session.add(Answer(response_id=new.id, item_code=code, value=value))
        made.append(new.id)
    session.commit()
    return made


def _valid_ids(session, rnd: Round, k: int, offset: int = 0) -> list[int]:
    return list(session.scalars(select(Response.id).where(Response.round_id == rnd.id,
                                                          Response.status == ResponseStatus.VALID)
                                .order_by(Response.id).offset(offset).limit(k)))


def test_sipas_2640_round_with_a_single_psu_stratum(demo):
    rnd = _round(demo, "LCU-2021")
    # A certainty unit: one PSU alone in its stratum (its respondents are each their own PSU).
    demo.execute(update(Response).where(Response.id.in_(_valid_ids(demo, rnd, 7)))
                 .values(stratum="solo", psu="P-solo"))
    demo.commit()
    _same(demo, rnd, from_counts=False)
    _fold(demo, rnd)
    _same(demo, rnd, from_counts=True)
    # New responses, one of them a second PSU in the lonely stratum (it is lonely no more): before the fold-in
    # (counts + the newer answers), then after it.
    _copy_responses(demo, rnd, 25)
    _copy_responses(demo, rnd, 1, stratum="solo", psu="P-solo-2")
    _same(demo, rnd, from_counts=True)
    _fold(demo, rnd)
    _same(demo, rnd, from_counts=True)
    state = demo.get(CountState, rnd.id)
    assert state.watermark == demo.scalar(select(func.max(Response.id)).where(Response.round_id == rnd.id))
    # A stratum re-assigned (the signature cannot see it): the writer invalidates.
    demo.execute(update(Response).where(Response.id.in_(_valid_ids(demo, rnd, 30, offset=40)))
                 .values(stratum="moved"))
    mark_reweighted(demo, rnd.id)
    demo.commit()
    _same(demo, rnd, from_counts=False)
    _fold(demo, rnd)
    _same(demo, rnd, from_counts=True)


def test_weights_flags_and_deletions(demo):
    rnd = _round(demo, "LCU-2024")
    assert plan_for(surveys.load(rnd.profile_key)).pair_items
    _fold(demo, rnd)
    _same(demo, rnd, from_counts=True)
    # Weights recalibrated through the one service function: not read until rebuilt.
    demo.execute(update(Response).where(Response.round_id == rnd.id).values(weight=Response.weight * 1.5 + 1))
    mark_reweighted(demo, rnd.id)
    demo.commit()
    _same(demo, rnd, from_counts=False)
    _fold(demo, rnd)
    _same(demo, rnd, from_counts=True)
    # A writer that forgot the invalidation: the signature check still keeps the counts out.
    demo.execute(update(Response).where(Response.id.in_(_valid_ids(demo, rnd, 10))).values(weight=2.5))
    demo.commit()
    _same(demo, rnd, from_counts=False)
    _fold(demo, rnd)
    _same(demo, rnd, from_counts=True)
    # Flagged, then unflagged, then deleted (retention): each leaves or rejoins the counts.
    flagged = _valid_ids(demo, rnd, 15, offset=5)
    demo.execute(update(Response).where(Response.id.in_(flagged)).values(status=ResponseStatus.FLAGGED))
    demo.commit()
    _same(demo, rnd, from_counts=False)
    _fold(demo, rnd)
    _same(demo, rnd, from_counts=True)
    demo.execute(update(Response).where(Response.id.in_(flagged[:8])).values(status=ResponseStatus.VALID))
    demo.commit()
    _same(demo, rnd, from_counts=False)
    _fold(demo, rnd)
    _same(demo, rnd, from_counts=True)
    gone = _valid_ids(demo, rnd, 12, offset=30)
    demo.execute(delete(Answer).where(Answer.response_id.in_(gone)))
    demo.execute(delete(Response).where(Response.id.in_(gone)))
    demo.commit()
    _same(demo, rnd, from_counts=False)
    _fold(demo, rnd)
    _same(demo, rnd, from_counts=True)


def test_kiosk_ratings_without_psu(demo):
    rnd = _round(demo, "LCU-KIOSK-2026")
    _fold(demo, rnd)
    _same(demo, rnd, from_counts=True)
    assert demo.scalar(select(func.count()).select_from(Response).where(Response.round_id == rnd.id,
                                                                        Response.psu.is_not(None))) == 0
    _copy_responses(demo, rnd, 40)
    _same(demo, rnd, from_counts=True)
    _fold(demo, rnd)
    _same(demo, rnd, from_counts=True)


def test_recent_responses_wait_for_the_next_fold(demo):
    """A response received within SETTLE is not folded (a smaller id could still be uncommitted): it is read
    from the answers until a later fold-in."""
    rnd = _round(demo, "LCU-KIOSK-2026")
    plan = plan_for(surveys.load(rnd.profile_key))
    _fold(demo, rnd)
    [new] = _copy_responses(demo, rnd, 1, received_at=datetime.now(timezone.utc))
    assert not counts.fold(demo, rnd, plan)
    demo.commit()
    assert demo.get(CountState, rnd.id).watermark < new
    _same(demo, rnd, from_counts=True)
    counts.fold(demo, rnd, plan, now=datetime.now(timezone.utc) + counts.SETTLE + timedelta(seconds=1))
    demo.commit()
    demo.expire_all()
    assert demo.get(CountState, rnd.id).watermark == new


def test_fold_in_groups_with_the_analysis_work_mem_for_its_transaction_only(demo):
    """On PostgreSQL a fold-in step sorts and groups millions of answers: at the server's default work_mem (4 MB)
    its GROUP BY spilled to disk; with the analysis's setting a million-questionnaire rebuild took 110 s
    (docs/performance.md). SET LOCAL: pooled connections keep the default."""
    if demo.get_bind().dialect.name != "postgresql":
        pytest.skip("work_mem is a PostgreSQL setting; SQLite has no equivalent")
    default = demo.scalar(text("SHOW work_mem"))
    demo.commit()
    rnd = _round(demo, "LCU-2026")
    counts.fold(demo, rnd, plan_for(surveys.load(rnd.profile_key)), limit=300, settle=timedelta(0))
    assert demo.scalar(text("SHOW work_mem")) == answer_sums.WORK_MEM == "256MB"
    demo.commit()
    assert demo.scalar(text("SHOW work_mem")) == default != "256MB"
