"""The database read path of the analysis: grouped sums of a round's valid responses, as `analysis.Totals`.

Nothing here walks responses one by one. The sums come from the maintained counts (`counted`, kept by `counts`)
when they are current, else from the answers (`answers_sums`, the reference path and the fallback); both give the
same `Sums`, turned into `Totals` in one place (`assemble`), with cells in one deterministic order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis import Totals
from sipas.models import Agency, CountState, Response, Round
from sipas.results import SAMPLED
from sipas.services.analysis_plan import Plan, score_table
from sipas.services.results import answer_sums
from sipas.services.results.answer_sums import Moments


@dataclass
class Sums:
    """What the analysis needs of one channel group, as plain rows.

    cells: (agency id, stratum, PSU, respondents) of the regular PSUs (not in a single-PSU stratum);
    values: (agency id, stratum, PSU, item, value, sum of weights, count) of those PSUs' answers (rows may repeat a
    key: they are added); patterns: (agency id, stratum, weight, count, ((item, value), ...)) of the respondents
    who are each their own PSU (keys may repeat); pairs: composite items' moments per agency id.
    """

    cells: list[tuple] = field(default_factory=list)
    values: list[tuple] = field(default_factory=list)
    patterns: list[tuple] = field(default_factory=list)
    pairs: dict[int, Moments] = field(default_factory=dict)


def round_totals(session: Session, rnd: Round, plan: Plan, channel_group: str = SAMPLED, *,
                 counts: CountState | None | Literal["check"] = "check") -> tuple[Totals, dict[str, str]] | None:
    """Totals by agency for one channel group of a round, or None when it has no responses: from the maintained
    counts when they are current, else from the answers (the same numbers, see tests/results/test_counts.py).
    `counts`: the caller's `counted.current` (None: not current), so that a computation checks once."""
    from sipas.services.results import counted  # counted builds on this module's Sums
    answer_sums.work_mem(session)
    state = counted.current(session, rnd, plan) if counts == "check" else counts
    sums = counted.sums(session, rnd, plan, channel_group, state) if state is not None else None
    return assemble(session, plan, sums if sums is not None else answers_sums(session, rnd, plan, channel_group))


def answers_totals(session: Session, rnd: Round, plan: Plan, channel_group: str = SAMPLED
                   ) -> tuple[Totals, dict[str, str]] | None:
    """`round_totals` read from the answers only (the reference the counts are checked against)."""
    answer_sums.work_mem(session)
    return assemble(session, plan, answers_sums(session, rnd, plan, channel_group))


def answers_sums(session: Session, rnd: Round, plan: Plan, channel_group: str) -> Sums:
    """The sums read from the answers. Respondents without a PSU (self-selected ratings), or in a stratum with a
    single PSU (a certainty unit), are each their own PSU; they are read one row per (agency, stratum, weight,
    answer pattern) with its count, so their cost grows with distinct patterns, not with responses."""
    where = answer_sums.group_filter(rnd, channel_group)
    cells = answer_sums.psu_cells(session, where)
    lonely = answer_sums.single_psu_strata(cells)
    in_lonely = answer_sums.lonely_filter(lonely)
    certain = Response.psu.is_(None) | in_lonely
    return Sums(cells=[c for c in cells if c[1] not in lonely],
                values=answer_sums.value_rows(session, (where & Response.psu.is_not(None)) & ~in_lonely, plan),
                patterns=answer_sums.answer_patterns(session, where & certain, plan),
                pairs=answer_sums.pair_moments(session, where, plan, score_table(plan)) if plan.pair_items else {})


def _order(stratum: str | None) -> tuple[bool, str]:
    return stratum is not None, stratum or ""


def _merged_patterns(patterns: list[tuple]) -> list[tuple]:
    """Patterns with equal (agency, stratum, weight, answers) added up, in a deterministic order."""
    merged: dict[tuple, int] = {}
    for agency_id, stratum, weight, count, answers in patterns:
        key = (agency_id, stratum, weight, answers)
        merged[key] = merged.get(key, 0) + count
    keys = sorted(merged, key=lambda k: (k[0], _order(k[1]), k[2], k[3]))
    return [(a, st, w, merged[(a, st, w, ans)], ans) for a, st, w, ans in keys]


def _cells(sums: Sums) -> tuple[dict[tuple, int], list[float], int, list[tuple]]:
    """Cells: (agency, stratum, psu key) -> index, their members, how many are regular PSUs, and the certainty
    cells' answer rows. Certainty respondents with the same answers and weight share one cell keyed
    "#<pattern number>", standing for as many PSUs as it has members."""
    cells: dict[tuple, int] = {}
    members: list[float] = []
    merged: dict[tuple, float] = {}
    for agency_id, stratum, psu, n in sums.cells:
        merged[(agency_id, stratum, psu)] = merged.get((agency_id, stratum, psu), 0.0) + n
    for cell in sorted(merged, key=lambda k: (k[0], _order(k[1]), k[2])):
        cells[cell] = len(members)
        members.append(float(merged[cell]))
    n_regular = len(members)
    certain_rows = []
    for number, (agency_id, stratum, weight, count, answers) in enumerate(_merged_patterns(sums.patterns)):
        key = f"#{number}"
        cells[(agency_id, stratum, key)] = len(members)
        members.append(float(count))
        certain_rows += [(agency_id, stratum, key, item, value, weight * count, count)
                         for item, value in answers]
    return cells, members, n_regular, certain_rows


def assemble(session: Session, plan: Plan, sums: Sums) -> tuple[Totals, dict[str, str]] | None:
    """`Totals` of the sums (None without any respondent) and each agency's tier by code; a cell standing for m
    PSUs: `Totals.cell_count`."""
    cells, members, n_regular, certain_rows = _cells(sums)
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
    for rows in (sums.values, certain_rows):
        _accumulate(arrays, rows, cells, k_index, score_of)
    totals = Totals(groups=[agencies[a] for a in agency_ids], items=list(plan.items),
                    cell_group=np.array([g_index[k[0]] for k in keys]), cell_stratum=cell_stratum,
                    cell_psu=cell_psu, members=np.array(members),
                    stratum_psus=np.bincount(stratum_of_psu, psus_of_id, minlength=len(strata)).astype(np.int64),
                    cell_count=cell_count if len(keys) > n_regular else None, **arrays)
    if plan.pair_items:
        kc = len(plan.pair_items)
        moments = [np.zeros((len(g_index), kc, kc)) for _ in range(3)]
        for agency_id, found in sums.pairs.items():
            for total, part in zip(moments, found):
                total[g_index[agency_id]] += part
        totals.pair_items = list(plan.pair_items)
        totals.pair_n, totals.pair_d, totals.pair_c = moments
    return totals, {code: levels[code] for code in totals.groups}


def _accumulate(arrays: dict[str, Any], rows, cells: dict[tuple, int], k_index: dict[str, int], score_of) -> None:
    """Add grouped answer rows (agency, stratum, psu key, item, value, sum of weights, count) to the sums.

    Millions of rows at national scale: keys are looked up with `map` over the dicts' own __getitem__ (no Python
    frame per row; a generator expression took 4 times as long, profiled) and scores from a [K, 100] table."""
    if not rows:
        return
    n_cells, k_items = arrays["wsum"].shape
    agency_col, stratum_col, psu_col, item_col, value_col, w_col, n_col = zip(*rows)
    c = np.fromiter(map(cells.__getitem__, zip(agency_col, stratum_col, psu_col)), np.int64, len(rows))
    k = np.fromiter(map(k_index.__getitem__, item_col), np.int64, len(rows))
    table = np.stack([score_of[code] for code in k_index])
    score = table[k, np.asarray(value_col, dtype=np.int64)]
    w, n = np.asarray(w_col, float), np.asarray(n_col, float)
    flat = c * k_items + k
    size = n_cells * k_items
    for name, weights in (("wsum", w), ("ysum", w * score), ("n_answered", n), ("n_score", n * score),
                          ("n_score2", n * score * score)):
        arrays[name] += np.bincount(flat, weights, minlength=size).reshape(n_cells, k_items)
