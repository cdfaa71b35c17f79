"""From totals to the results tree, in named steps: indices per grouping (`group_indices`), each group against
the whole round (`compare_with_whole`), ranks within tiers (`rank_tiers`), changes since an earlier round
(`compare_with_previous`). No database here: what the steps need about units comes in as arguments, so the
same steps serve a stored round and a file.
"""
from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from analysis import IndexResult, Totals, compute_indices
from analysis.compare import Difference, independent_difference, paired_differences, verdicts
from analysis.design import child_parent_covariance, composite_estimates, ratio_estimates, regroup
from analysis.ranks import rank_sets, ranking_se
from sipas.results import Change, Contrast, GroupResult, RankResult, RoundResults, Verdict
from sipas.services.analysis_plan import Plan, coefficients, headline_codes

#: Groupings, in the order they are listed: the whole round, its provinces, its levels, its agencies.
GROUPINGS = ("all", "province", "level", "agency")
#: What a round is grouped by when nobody says: provinces only when a round covers several.
DEFAULT_GROUPINGS = ("all", "level", "agency")
LEVEL_ORDER = ("province", "district", "commune")
#: The index agencies are ranked on, and how rank sets are made (stored with each rank).
RANKED_INDEX = "SIPAS"
RANK_METHOD = "mrsw_confidence_sets"


@dataclass(frozen=True)
class Unit:
    """A base group as the groupings need it: its tier (level) and the province it lies in (the official
    two-digit code on the round's map, or None when not known).

    A base group is an agency; in a file whose respondents carry their own province (`unit_code`), it is an
    agency within one province, and `agency` names the agency it belongs to.
    """

    tier: str
    parent: str | None = None
    agency: str | None = None


def contrast(d: Difference, verdict: str) -> Contrast:
    """An analysis difference with its verdict, as a node of the tree."""
    return Contrast(d.estimate, d.ci, d.se, d.df, d.p_value, d.method, Verdict(verdict))


def group_totals(by_agency: Totals, units: Mapping[str, Unit], grouping: str) -> Totals:
    """The totals of one grouping, merged from the totals by agency."""
    if grouping == "agency":
        agency_of = [units[g].agency or g for g in by_agency.groups]
        return by_agency if agency_of == list(by_agency.groups) else regroup(by_agency, agency_of)
    if grouping == "province":
        missing = sorted({g for g in by_agency.groups if not units[g].parent})
        if missing:
            raise ValueError(f"no province known for {', '.join(missing[:5])}")
        return regroup(by_agency, [units[g].parent or "" for g in by_agency.groups])
    if grouping == "level":
        return regroup(by_agency, [units[g].tier for g in by_agency.groups])
    if grouping == "all":
        return regroup(by_agency, ["all"] * by_agency.n_groups)
    raise ValueError(f"unknown grouping {grouping!r}")


def group_indices(plan: Plan, totals: Totals) -> dict[str, dict[str, IndexResult]]:
    """Every index of every group of one grouping."""
    return compute_indices(totals, plan.settings, binary_items=plan.binary_items)


def compare_with_whole(plan: Plan, child: Totals, whole: Totals) -> dict[str, dict[str, Contrast]]:
    """Each group minus the whole (same design, joint linearisation) per headline index, with Holm-adjusted
    verdicts across the groups at the plan's confidence level. Variances are floored as for the intervals (an
    index that is one item is floored as that item), and no verdict is read off a zero variance."""
    codes = headline_codes(plan)
    coef = coefficients(plan, codes)
    ce, pe = ratio_estimates(child), ratio_estimates(whole)
    cc = composite_estimates(child, ce, coef, require_all=np.ones(len(codes), bool))
    pc = composite_estimates(whole, pe, coef, require_all=np.ones(len(codes), bool))
    cov = child_parent_covariance(child, whole, np.zeros(child.n_groups, int), ce.estimate, pe.estimate, coef)
    level = plan.settings.confidence_level
    item_index = {c: k for k, c in enumerate(plan.items)}
    out: dict[str, dict[str, Contrast]] = {g: {} for g in child.groups}
    for m, code in enumerate(codes):
        alias = plan.settings.aliases.get(code)
        fc, fp = (ce.variance_iid[:, item_index[alias]], pe.variance_iid[0, item_index[alias]]) if alias \
            else (cc.variance_iid[:, m], pc.variance_iid[0, m])
        ok = ~np.isnan(cc.estimate[:, m]) & ~np.isnan(pc.estimate[0, m])
        n_ok = int(ok.sum())
        diffs = paired_differences(cc.estimate[ok, m], cc.variance[ok, m], np.full(n_ok, pc.estimate[0, m]),
                                   np.full(n_ok, pc.variance[0, m]), cov[ok, m], ce.df[ok], level,
                                   floor_child=fc[ok], floor_parent=np.full(n_ok, fp))
        for g, d, verdict in zip(np.flatnonzero(ok), diffs, verdicts(diffs, level)):
            out[child.groups[g]][code] = contrast(d, verdict)
    return out


def tier_seed(seed: int, tier: str) -> np.random.SeedSequence:
    """The bootstrap seed of one tier: the round's seed and the tier's name (stable across runs and machines)."""
    return np.random.SeedSequence([seed, zlib.crc32(tier.encode())])


def rank_tiers(results: Mapping[str, Mapping[str, IndexResult]], tier_of: Mapping[str, str], *, seed: int,
               level: float) -> dict[str, RankResult]:
    """Ranks on the SIPAS with marginal and simultaneous confidence sets, each unit among those of its tier.

    Every unit with an estimate is ranked, low base included (its set is wide: the flag stays a warning, the
    rank's note); units without an estimate are listed with no rank. `tier_of` names each unit's tier.
    """
    out: dict[str, RankResult] = {}
    for tier in sorted(set(tier_of.values())):
        members = [g for g in results if tier_of.get(g) == tier]
        ranked = [g for g in members if results[g].get(RANKED_INDEX) is not None
                  and results[g][RANKED_INDEX].estimate is not None]
        ix = [results[g][RANKED_INDEX] for g in ranked]
        ses = ranking_se([i.se if i.se is not None else np.nan for i in ix],
                         [i.deff if i.deff is not None else np.nan for i in ix],
                         [i.ci.low if i.ci else np.nan for i in ix], [i.ci.high if i.ci else np.nan for i in ix],
                         level)
        # The df of each published interval: the bootstrap draws each unit from its t, as the interval does.
        sets = rank_sets([i.estimate for i in ix], ses, seed=tier_seed(seed, tier), level=level,
                         df=[i.df if i.df is not None else np.nan for i in ix])
        for k, g in enumerate(ranked):
            out[g] = RankResult(int(sets.rank[k]), len(ranked), int(sets.low[k]), int(sets.high[k]),
                                int(sets.sim_low[k]), int(sets.sim_high[k]), tier, RANK_METHOD,
                                "low_base" if results[g][RANKED_INDEX].low_base else None)
        for g in members:
            out.setdefault(g, RankResult(None, len(ranked), None, None, None, None, tier, RANK_METHOD,
                                         "no_estimate"))
    return out


def agency_units(units: Mapping[str, Unit]) -> dict[str, Unit]:
    """The units by agency code: an agency whose respondents lie in several provinces has no single province."""
    out: dict[str, Unit] = {}
    for key, unit in units.items():
        code = unit.agency or key
        seen = out.get(code)
        parent = unit.parent if seen is None or seen.parent == unit.parent else None
        out[code] = Unit(unit.tier, parent)
    return out


def _ordered(grouping: str, keys: Sequence[str]) -> list[str]:
    if grouping == "level":
        return sorted(keys, key=lambda k: LEVEL_ORDER.index(k) if k in LEVEL_ORDER else len(LEVEL_ORDER))
    return list(keys)


def channel_group_results(plan: Plan, by_agency: Totals, units: Mapping[str, Unit], channel_group: str,
                          by: Sequence[str] = GROUPINGS, *, seed: int) -> list[GroupResult]:
    """The groups of one channel group, in the order all, levels, agencies."""
    out: list[GroupResult] = []
    agencies = agency_units(units)
    whole = group_totals(by_agency, units, "all")
    level = plan.settings.confidence_level
    for grouping in GROUPINGS:
        if grouping not in by:
            continue
        totals = whole if grouping == "all" else group_totals(by_agency, units, grouping)
        results = group_indices(plan, totals)
        vs_all = compare_with_whole(plan, totals, whole) if grouping != "all" else {}
        if grouping == "agency":
            ranks = rank_tiers(results, {g: agencies[g].tier for g in results}, seed=seed, level=level)
        elif grouping == "province":
            # Provinces are ranked among provinces (the national league table).
            ranks = rank_tiers(results, {g: "province" for g in results}, seed=seed, level=level)
        else:
            ranks = {}
        for key in _ordered(grouping, list(results)):
            indices = results[key]
            n_rows = next(iter(indices.values())).n_rows if indices else 0
            unit = agencies.get(key) if grouping == "agency" else None
            out.append(GroupResult(grouping, key, channel_group, n_rows, indices, vs_all.get(key, {}),
                                   ranks.get(key), {}, unit.tier if unit else None, unit.parent if unit else None))
    return out


def compare_with_previous(current: RoundResults, previous: RoundResults | None, codes: Sequence[str], *,
                          reason: str | None = None, previous_round: str | None = None,
                          previous_year: int | None = None, basis: str = "direct",
                          pooled: Collection[str] = (), split: Collection[str] = ()) -> RoundResults:
    """Each group's headline indices against the same group of an earlier comparable round (independent
    samples, Welch-Satterthwaite, floored SEs; Holm across the units of a grouping), or, when there is none,
    why: the reason is given on the whole round.

    `pooled` names the agencies whose earlier figure pools their predecessors (the earlier round was computed
    with them as one domain, `succession.lineage`): their basis says so. `split` names agencies fed by part of
    a split predecessor: they are not compared (SPLIT_PREDECESSOR)."""
    if previous is None or reason is not None:
        why = reason or "NO_PREVIOUS"
        change = {code: Change(previous_round or "", previous_year, None, None, reason=why) for code in codes}
        groups = tuple(dataclasses.replace(g, change=change) if g.by == "all" else g for g in current.groups)
        return dataclasses.replace(current, groups=groups)
    year = previous.info.year if previous.info is not None else previous_year
    level = current.confidence_level
    pending: dict[tuple[str, str, str], list[tuple[int, Difference | None, IndexResult | None]]] = {}
    for gi, g in enumerate(current.groups):
        before = previous.group(g.by, g.key, g.channel_group)
        if g.by == "agency" and g.key in split:
            before = None
        for code in codes:
            now, then = g.indices.get(code), before.indices.get(code) if before else None
            diff = _yearly_difference(now, then, level)
            pending.setdefault((g.by, g.channel_group, code), []).append((gi, diff, then))
    changes: list[dict[str, Change]] = [{} for _ in current.groups]
    for (by, _, code), entries in pending.items():
        tested = [d for _, d, _ in entries if d is not None]
        decided = iter(verdicts(tested, level))
        for gi, diff, then in entries:
            key = current.groups[gi].key
            if then is None:
                why = "SPLIT_PREDECESSOR" if by == "agency" and key in split else "NOT_IN_PREVIOUS"
                changes[gi][code] = Change(previous.round_code, year, None, None, reason=why)
            else:
                cst = contrast(diff, next(decided)) if diff is not None else None
                how = "predecessors_pooled" if by == "agency" and key in pooled else basis
                changes[gi][code] = Change(previous.round_code, year, then.estimate, cst, how,
                                           rank_movement=_rank_movement(current.groups[gi], previous, code))
    groups = tuple(dataclasses.replace(g, change=c) for g, c in zip(current.groups, changes))
    return dataclasses.replace(current, groups=groups)


def _rank_movement(now: GroupResult, previous: RoundResults, code: str) -> int | None:
    """Places moved up (positive) or down since the previous round, on the ranked index, among the same tier."""
    before = previous.group(now.by, now.key, now.channel_group)
    if code != RANKED_INDEX or before is None or now.rank is None or before.rank is None:
        return None
    if now.rank.rank is None or before.rank.rank is None or now.rank.among != before.rank.among:
        return None
    return before.rank.rank - now.rank.rank


def _yearly_difference(now: IndexResult | None, then: IndexResult | None, level: float) -> Difference | None:
    if now is None or then is None or now.estimate is None or then.estimate is None:
        return None
    se_now = now.se_floored if now.se_floored is not None else now.se
    se_then = then.se_floored if then.se_floored is not None else then.se
    if se_now is None or se_then is None:
        return None
    return independent_difference(now.estimate, se_now, now.df or 0.0, then.estimate, se_then, then.df or 0.0,
                                  level)
