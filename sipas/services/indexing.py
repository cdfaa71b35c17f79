"""From a questionnaire profile to an analysis plan, and from responses to the JSON of indices.

This is the only place that knows both `surveys` (what the index rules are) and `analysis` (how to
estimate): analysis/ itself takes plain settings.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from analysis import Composite, Settings, Totals, certainty_psus, compute_indices
from analysis.compare import paired_differences, verdicts
from analysis.design import (
    build_totals,
    child_parent_covariance,
    composite_estimates,
    ratio_estimates,
    regroup,
)
from analysis.ranks import rank_sets, ranking_se
from sipas.models import SELF_SELECTED
from surveys import Profile

ANALYSED_KINDS = ("assessment", "satisfaction", "overall", "expectation", "policy_satisfaction",
                  "policy_assessment")
SATISFACTION_KINDS = ("satisfaction", "overall", "policy_satisfaction")
LEVEL_ORDER = ("province", "district", "commune")
GROUPINGS = ("all", "level", "agency")
#: How rank sets are made (stored with each rank).
RANK_METHOD = "mrsw_confidence_sets"


@dataclass(frozen=True)
class Plan:
    """What to compute for a profile: items, how each is scored, composites and interval settings."""

    profile_key: str
    items: tuple[str, ...]
    top2_items: frozenset[str]
    mean_score_items: frozenset[str]
    satisfied_values: tuple[int, ...]
    settings: Settings
    pair_items: tuple[int, ...]

    @property
    def binary_items(self) -> set[str]:
        """Items scored 0/1 (everything except mean-score satisfaction items)."""
        return set(self.items) - set(self.mean_score_items)


def plan_for(profile: Profile, *, confidence_level: float = 0.95, item_interval: str = "korn_graubard_floor",
             min_base: int | None = None) -> Plan:
    """Turn the profile's index rules (sipas-methodology.md, Formulas 1-4) into an analysis plan."""
    rules = profile.rules
    items = tuple(i.code for i in profile.items if i.kind in ANALYSED_KINDS)
    sat = [i.code for i in profile.items if i.kind in SATISFACTION_KINDS]
    mean_score = frozenset(sat) if rules.item_index == "MEAN_SCORE" else frozenset()
    top2 = frozenset(sat) - mean_score
    aliases: dict[str, str] = {}
    factor_weights: dict[str, dict[str, float]] = {}
    composites: list[Composite] = []
    for f in profile.factors:
        if rules.factor_index == "GENERAL_QUESTION":
            aliases[f.code] = f.general_item
            factor_weights[f.code] = {f.general_item: 1.0}
        else:
            members = [i.code for i in profile.factor_items(f.code)]
            factor_weights[f.code] = {c: 1 / len(members) for c in members}
            composites.append(Composite(f.code, factor_weights[f.code], require_all=False))

    def mean_of(parts: list[dict[str, float]]) -> dict[str, float]:
        out: dict[str, float] = {}
        for weights in parts:
            for code, w in weights.items():
                out[code] = out.get(code, 0.0) + w / len(parts)
        return out

    if rules.sipas == "OVERALL_QUESTION":
        aliases["SIPAS"] = rules.overall_item
    elif rules.sipas == "MEAN_OF_FACTORS":
        composites.append(Composite("SIPAS", mean_of(list(factor_weights.values()))))
    else:  # MEAN_OF_PARTS
        part_weights = []
        for part in profile.parts:
            if part.index == "MEAN_OF_FACTORS":
                weights = mean_of([factor_weights[f] for f in part.factors])
            else:
                weights = mean_of([{c: 1.0} for c in part.items])
            part_weights.append(weights)
            composites.append(Composite(f"PART_{part.code}", weights))
        composites.append(Composite("SIPAS", mean_of(part_weights)))
    used = sorted({items.index(c) for comp in composites for c in comp.weights})
    settings = Settings(confidence_level=confidence_level, item_interval=item_interval,
                        min_base=rules.min_base if min_base is None else min_base, aliases=aliases,
                        composites=tuple(composites))
    return Plan(profile.key, items, top2, mean_score, tuple(rules.satisfied_values), settings, tuple(used))


def scores(plan: Plan, item_codes: list[str], values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(answered, score) matrices in the plan's item order from raw values (NaN = missing)."""
    col = {c: k for k, c in enumerate(item_codes)}
    n = values.shape[0]
    answered = np.zeros((n, len(plan.items)), bool)
    score = np.zeros((n, len(plan.items)))
    for k, code in enumerate(plan.items):
        if code not in col:
            continue
        v = values[:, col[code]]
        answered[:, k] = ~np.isnan(v)
        if code in plan.top2_items:
            score[:, k] = np.isin(v, plan.satisfied_values)
        elif code in plan.mean_score_items:
            score[:, k] = np.nan_to_num((v - 1) / 4)
        else:
            score[:, k] = np.nan_to_num(v)
    return answered, score


def totals_from_table(plan: Plan, table) -> tuple[Totals, dict[str, str]]:
    """Totals by agency from a ResponseTable, and each agency's level."""
    n = len(table)
    rows = np.arange(n).astype(str)
    stratum = np.where(table.stratum == "", "_", table.stratum).astype(str)
    psu = np.where(table.psu == "", np.char.add("#", rows), table.psu).astype(str)
    psu = certainty_psus(stratum, psu, rows)
    answered, score = scores(plan, table.items, table.values)
    totals = build_totals(table.agency_code.astype(str), stratum, psu, table.weight, answered, score,
                          list(plan.items), pair_items=list(plan.pair_items))
    level_of = {str(a): str(lv) for a, lv in zip(table.agency_code, table.level)}
    return totals, level_of


def headline_codes(plan: Plan) -> list[str]:
    """The indices compared against the whole and ranked: SIPAS, parts, factors."""
    codes = ["SIPAS"] + [c.code for c in plan.settings.composites if c.code.startswith("PART_")]
    return codes + sorted(a for a in plan.settings.aliases if a.startswith("F")) + sorted(
        c.code for c in plan.settings.composites if c.code.startswith("F"))


def _coefficients(plan: Plan, codes: list[str]) -> np.ndarray:
    index = {c: k for k, c in enumerate(plan.items)}
    composites = {c.code: c for c in plan.settings.composites}
    rows = np.zeros((len(codes), len(plan.items)))
    for m, code in enumerate(codes):
        alias = plan.settings.aliases.get(code)
        weights = {alias: 1.0} if alias else composites[code].weights
        for item, w in weights.items():
            rows[m, index[item]] = w
    return rows


def compare_with_whole(plan: Plan, child: Totals, parent: Totals) -> dict[str, dict]:
    """Each group minus the whole (same design, joint linearisation), with Holm-adjusted verdicts per index at
    the plan's confidence level; variances floored as for the intervals (an alias is floored as its item)."""
    codes = headline_codes(plan)
    coef = _coefficients(plan, codes)
    ce, pe = ratio_estimates(child), ratio_estimates(parent)
    cc = composite_estimates(child, ce, coef, require_all=np.ones(len(codes), bool))
    pc = composite_estimates(parent, pe, coef, require_all=np.ones(len(codes), bool))
    cov = child_parent_covariance(child, parent, np.zeros(child.n_groups, int), ce.estimate, pe.estimate, coef)
    level = plan.settings.confidence_level
    item_index = {c: k for k, c in enumerate(plan.items)}
    out: dict[str, dict] = {g: {} for g in child.groups}
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
            out[child.groups[g]][code] = {"difference": d.estimate, "ci_low": d.ci.low if d.ci else None,
                                          "ci_high": d.ci.high if d.ci else None, "se": d.se, "df": d.df,
                                          "p_value": d.p_value, "verdict": verdict, "method": d.method}
    return out


def rank_groups(results: dict[str, dict], code: str, tier_of: dict[str, str], *, seed: int,
                level: float = 0.95) -> dict[str, dict]:
    """Ranks on `code` with marginal and simultaneous confidence sets, each unit among those of its tier.

    Every unit with an estimate is ranked, low base included (its set is wide: the flag stays a warning);
    units without an estimate are listed with no rank. `tier_of` names each unit's tier (e.g. its level).
    """
    out: dict[str, dict] = {}
    for tier in sorted(set(tier_of.values())):
        members = [g for g in results if tier_of.get(g) == tier]
        ranked = [g for g in members if code in results[g] and results[g][code].estimate is not None]
        ix = [results[g][code] for g in ranked]
        ses = ranking_se([i.se if i.se is not None else np.nan for i in ix],
                         [i.deff if i.deff is not None else np.nan for i in ix],
                         [i.ci.low if i.ci else np.nan for i in ix], [i.ci.high if i.ci else np.nan for i in ix],
                         level)
        sets = rank_sets([i.estimate for i in ix], ses, seed=tier_seed(seed, tier), level=level)
        for k, g in enumerate(ranked):
            out[g] = {"rank": int(sets.rank[k]), "of": len(ranked), "rank_low": int(sets.low[k]),
                      "rank_high": int(sets.high[k]), "sim_low": int(sets.sim_low[k]),
                      "sim_high": int(sets.sim_high[k]), "among": tier, "method": RANK_METHOD,
                      "note": "low_base" if results[g][code].low_base else None}
        for g in members:
            out.setdefault(g, {"rank": None, "of": len(ranked), "rank_low": None, "rank_high": None,
                               "sim_low": None, "sim_high": None, "among": tier, "method": RANK_METHOD,
                               "note": "no_estimate"})
    return out


def tier_seed(seed: int, tier: str) -> np.random.SeedSequence:
    """The bootstrap seed of one tier: the round's seed and the tier's name (stable across runs and machines)."""
    return np.random.SeedSequence([seed, zlib.crc32(tier.encode())])


def analyse_totals(plan: Plan, by_agency: Totals, level_of: dict[str, str],
                   by: tuple[str, ...] = GROUPINGS, *, seed: int = 0) -> list[dict]:
    """Indices for the requested groupings, in the order all, levels, agencies.

    Levels and agencies also carry their difference from the whole (`vs_all`) and agencies a rank on
    the SIPAS among the agencies of their level, with confidence sets (`rank`); the seed makes them reproducible.
    """
    out = []
    whole = regroup(by_agency, ["all"] * by_agency.n_groups)
    for grouping in GROUPINGS:
        if grouping not in by:
            continue
        if grouping == "agency":
            totals = by_agency
        elif grouping == "level":
            totals = regroup(by_agency, [level_of[g] for g in by_agency.groups])
        else:
            totals = whole
        results = compute_indices(totals, plan.settings, binary_items=plan.binary_items)
        vs_all = compare_with_whole(plan, totals, whole) if grouping != "all" else {}
        ranks = rank_groups(results, "SIPAS", level_of, seed=seed, level=plan.settings.confidence_level) \
            if grouping == "agency" else {}
        keys = list(results)
        if grouping == "level":
            keys.sort(key=lambda k: LEVEL_ORDER.index(k) if k in LEVEL_ORDER else 99)
        for key in keys:
            indices = results[key]
            n_rows = next(iter(indices.values())).n_rows if indices else 0
            group = {"by": grouping, "key": key, "n": n_rows,
                     "indices": {code: r.as_dict() for code, r in indices.items()}}
            if grouping != "all":
                group["vs_all"] = vs_all.get(key, {})
            if grouping == "agency":
                group["rank"] = ranks[key]
            out.append(group)
    return out


def channel_groups(channels: np.ndarray) -> dict[str, np.ndarray]:
    """Masks of sampled and self-selected rows: the two are analysed separately, never pooled."""
    self_selected = np.isin(channels.astype(str), [c.value for c in SELF_SELECTED])
    out = {}
    if (~self_selected).any():
        out["sampled"] = ~self_selected
    if self_selected.any():
        out["self_selected"] = self_selected
    return out


def analyse_table(plan: Plan, table, by: tuple[str, ...] = GROUPINGS, *, seed: int = 0) -> dict:
    """The analysis JSON for a file (see the analysis issue for the shape)."""
    groups = []
    for channel_group, mask in channel_groups(table.channel).items():
        sub = _subset(table, mask)
        totals, level_of = totals_from_table(plan, sub)
        for g in analyse_totals(plan, totals, level_of, by, seed=seed):
            groups.append({**g, "channel_group": channel_group})
    return {"profile": plan.profile_key, "confidence_level": plan.settings.confidence_level, "seed": seed,
            "groups": groups}


def _subset(table, mask: np.ndarray):
    from sipas.services.interchange import ResponseTable
    return ResponseTable(table.response_id[mask], table.agency_code[mask], table.level[mask], table.channel[mask],
                         table.stratum[mask], table.psu[mask], table.weight[mask], table.items, table.values[mask])
