"""From a questionnaire profile to an analysis plan: which items are analysed, how each is scored, which
composites (factors, parts, the SIPAS) are built and with which interval settings.

This is the only place that knows both `surveys` (what the index rules are) and `analysis` (how to estimate):
analysis/ itself takes plain settings.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis import Composite, Settings
from surveys import Profile

ANALYSED_KINDS = ("assessment", "satisfaction", "overall", "expectation", "policy_satisfaction",
                  "policy_assessment")
SATISFACTION_KINDS = ("satisfaction", "overall", "policy_satisfaction")


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
    """Turn the profile's index rules (docs/methodology.md, index rules 1-4) into an analysis plan."""
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
            general = _required(f.general_item, f"factor {f.code} has no general question")
            aliases[f.code] = general
            factor_weights[f.code] = {general: 1.0}
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
        aliases["SIPAS"] = _required(rules.overall_item, "the profile has no overall question")
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


def _required(code: str | None, problem: str) -> str:
    # The profile loader checks these; a plan never silently takes None for an item code.
    if code is None:
        raise ValueError(problem)
    return code


def score_table(plan: Plan) -> dict[str, np.ndarray]:
    """Score of each stored answer value (0..99) per item, following the profile's index rules: 1/0 for
    "satisfied" (top-two box), (value - 1) / 4 for the mean-score rule, the value itself for 0/1 items."""
    values = np.arange(100, dtype=float)
    table = {}
    for code in plan.items:
        if code in plan.top2_items:
            table[code] = np.isin(values, plan.satisfied_values).astype(float)
        elif code in plan.mean_score_items:
            table[code] = (values - 1) / 4
        else:
            table[code] = values.copy()
    return table


#: Respondents scored at a time (bounds the temporary arrays of a block).
_SCORE_ROWS = 65_536


def scores(plan: Plan, item_codes: list[str], values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(answered, score) matrices in the plan's item order from raw values (NaN = missing), a block of rows at a
    time. Scores are float32 when float32 holds every score of the plan's rules exactly (0/1, quarter steps and
    small integers do): the same numbers in half the memory."""
    col = {c: k for k, c in enumerate(item_codes)}
    present = [k for k, code in enumerate(plan.items) if code in col]
    source = [col[plan.items[k]] for k in present]
    table = score_table(plan)
    lookup = np.array([table[plan.items[k]] for k in present]).reshape(len(present), -1)
    dtype = np.float32 if np.array_equal(lookup.astype(np.float32), lookup) else np.float64
    n = values.shape[0]
    answered = np.zeros((n, len(plan.items)), bool)
    score = np.zeros((n, len(plan.items)), dtype)
    every = present == list(range(len(plan.items))) and source == present and values.shape[1] == len(present)
    item_of = np.arange(len(present))
    for lo in range(0, n, _SCORE_ROWS):
        v = values[lo:lo + _SCORE_ROWS] if every else values[lo:lo + _SCORE_ROWS][:, source]
        given = ~np.isnan(v)
        scored = np.where(given, lookup[item_of, np.where(given, v, 0).astype(np.intp)], 0.0)
        if every:
            answered[lo:lo + _SCORE_ROWS], score[lo:lo + _SCORE_ROWS] = given, scored
        else:
            answered[lo:lo + _SCORE_ROWS, present], score[lo:lo + _SCORE_ROWS, present] = given, scored
    return answered, score


def headline_codes(plan: Plan) -> list[str]:
    """The indices compared against the whole and ranked: SIPAS, parts, factors."""
    codes = ["SIPAS"] + [c.code for c in plan.settings.composites if c.code.startswith("PART_")]
    return codes + sorted(a for a in plan.settings.aliases if a.startswith("F")) + sorted(
        c.code for c in plan.settings.composites if c.code.startswith("F"))


def coefficients(plan: Plan, codes: list[str]) -> np.ndarray:
    """Rows of item weights, one per index code (an alias is its one item), for linear combinations."""
    index = {c: k for k, c in enumerate(plan.items)}
    composites = {c.code: c for c in plan.settings.composites}
    rows = np.zeros((len(codes), len(plan.items)))
    for m, code in enumerate(codes):
        alias = plan.settings.aliases.get(code)
        weights = {alias: 1.0} if alias else composites[code].weights
        for item, w in weights.items():
            rows[m, index[item]] = w
    return rows
