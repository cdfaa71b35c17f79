"""SIPAS indices for every group: estimate, interval, n, SE, df, design effect, effective n, low-base flag.

Formulas: docs/methodology.md "Index rules" (what an index is) and docs/statistics.md (how it is estimated).
This module takes plain settings; the questionnaire profile is turned into them by the caller.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from analysis import intervals
from analysis.design import Estimates, Totals, composite_estimates, ratio_estimates

ITEM_INTERVALS = ("korn_graubard_floor", "korn_graubard", "taylor_logit", "taylor_logit_floor", "wilson",
                  "clopper_pearson")
COMPOSITE_INTERVALS = ("taylor_logit_floor", "taylor_logit", "taylor_linear")


class ConfidenceInterval(NamedTuple):
    """An interval on the 0-100 scale."""

    low: float
    high: float


@dataclass(frozen=True)
class IndexResult:
    """One index of one group, at full precision, on the 0-100 scale (scipy-style small frozen result)."""

    estimate: float | None
    ci: ConfidenceInterval | None
    n: int  # answers (for a composite: the largest component base)
    n_rows: int  # respondents in the group
    se: float | None
    df: float | None
    deff: float | None
    n_eff: float | None
    method: str
    low_base: bool
    components: int | None = None
    note: str | None = None
    #: The SE with the variance floored at the simple-random-sample one (what differences and ranks use);
    #: 0 at 0 % / 100 %, where no difference is tested.
    se_floored: float | None = None

    def as_dict(self) -> dict:
        """The JSON shape of the analysis output."""
        return {"estimate": self.estimate, "ci_low": self.ci.low if self.ci else None,
                "ci_high": self.ci.high if self.ci else None, "n": self.n, "se": self.se,
                "se_floored": self.se_floored, "df": self.df,
                "deff": self.deff, "n_eff": self.n_eff, "method": self.method, "low_base": self.low_base,
                **({"components": self.components} if self.components is not None else {}),
                **({"note": self.note} if self.note else {})}


@dataclass(frozen=True)
class Composite:
    """A linear combination of item indices: a factor's mean of items, the overall SIPAS, a part."""

    code: str
    weights: dict[str, float]
    #: True: the composite is None when any component has no answer (the SIPAS, docs/statistics.md §6).
    #: False: a mean that skips empty components and says how many it used (a factor's mean of items).
    require_all: bool = True


@dataclass(frozen=True)
class Settings:
    """How to estimate and flag. Thresholds are settings (docs/methodology.md rule 9, docs/statistics.md §9)."""

    confidence_level: float = 0.95
    item_interval: str = "korn_graubard_floor"
    composite_interval: str = "taylor_logit_floor"
    min_base: int = 30
    min_df: float = 8
    min_n_eff: float = 30
    #: index code -> item code, for indices that are one item (a factor's general question).
    aliases: dict[str, str] = field(default_factory=dict)
    composites: tuple[Composite, ...] = ()

    def __post_init__(self) -> None:
        if not 0 < self.confidence_level < 1:
            raise ValueError("confidence_level must be between 0 and 1")
        if self.item_interval not in ITEM_INTERVALS:
            raise ValueError(f"item_interval must be one of {ITEM_INTERVALS}")
        if self.composite_interval not in COMPOSITE_INTERVALS:
            raise ValueError(f"composite_interval must be one of {COMPOSITE_INTERVALS}")


def _nan_to_none(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _item_intervals(est: Estimates, settings: Settings, binary: np.ndarray):
    """Arrays (low, high, n_eff, method) for each group x item, 0-1 scale."""
    level = settings.confidence_level
    p, var, n_ans, df = est.estimate, est.variance, est.n_answered, est.df[:, None]
    n_rows = np.broadcast_to(est.n_rows[:, None], p.shape)
    method = settings.item_interval
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = np.where(var > 0, p * (1 - p) / var, np.nan)
    if method in ("korn_graubard_floor", "korn_graubard"):
        low, high, _ = intervals.korn_graubard(p, var, n_rows, n_ans, np.broadcast_to(df, p.shape), level,
                                               floor=method == "korn_graubard_floor")
    elif method == "wilson":
        low, high = intervals.wilson(est.n_score, n_ans, level)
    elif method == "clopper_pearson":
        low, high = intervals.clopper_pearson(est.n_score, n_ans, level)
    else:
        se = np.sqrt(np.fmax(var, est.variance_iid) if method == "taylor_logit_floor" else var)
        low, high = intervals.logit(p, se, df, level)
    # Scores that are not 0/1 (mean-score rule): logit interval with the floor, Korn-Graubard does not apply.
    if not binary.all():
        se = np.sqrt(np.fmax(var, est.variance_iid))
        l2, h2 = _never_zero_width(p, se, n_ans, *intervals.logit(p, se, df, level), level)
        low, high = np.where(binary[None, :], low, l2), np.where(binary[None, :], high, h2)
    return low, high, n_eff


def _never_zero_width(p, se, n_answered, low, high, level: float):
    """Clopper-Pearson on the answers (x = p * n) where the interval would have zero width: at 0 % or 100 %,
    or where every respondent answered alike so that even the floored variance is zero."""
    with np.errstate(invalid="ignore"):
        degenerate = np.isfinite(p) & ((p <= 0) | (p >= 1) | ~(se > 0))
    if not degenerate.any():
        return low, high
    cl, ch = intervals.clopper_pearson(p * n_answered, n_answered, level)
    return np.where(degenerate, cl, low), np.where(degenerate, ch, high)


def _composite_intervals(est: Estimates, settings: Settings):
    level = settings.confidence_level
    p, var = est.estimate, est.variance
    df = np.broadcast_to(est.df[:, None], p.shape)
    se = np.sqrt(np.fmax(var, est.variance_iid)) if settings.composite_interval == "taylor_logit_floor" \
        else np.sqrt(var)
    if settings.composite_interval == "taylor_linear":
        low, high = intervals.linear(p, se, df, level)
    else:
        low, high = intervals.logit(p, se, df, level)
    low, high = _never_zero_width(p, se, est.n_answered, low, high, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = np.where(var > 0, p * (1 - p) / var, np.nan)
    return low, high, n_eff


def compute_indices(totals: Totals, settings: Settings = Settings(), *,
                    binary_items: set[str] | None = None) -> dict[str, dict[str, IndexResult]]:
    """All indices of all groups: {group: {index code: IndexResult}}.

    binary_items: items whose scores are 0/1 (all, by default); others are mean scores in [0, 1].
    """
    items = totals.items
    binary = np.array([binary_items is None or code in binary_items for code in items])
    est = ratio_estimates(totals)
    low, high, n_eff = _item_intervals(est, settings, binary)
    results: dict[str, dict[str, IndexResult]] = {g: {} for g in totals.groups}
    item_method = settings.item_interval
    with np.errstate(invalid="ignore", divide="ignore"):
        deff = est.variance / (est.estimate * (1 - est.estimate) / (est.n_answered - 1))
    methods = [item_method if b else "taylor_logit_floor" for b in binary]
    rows = _rows(est.estimate, low, high, est.n_answered, est.variance, deff, n_eff,
                 np.fmax(est.variance, est.variance_iid))
    for gi, group in enumerate(totals.groups):
        df, n_rows = float(est.df[gi]), int(est.n_rows[gi])
        target = results[group]
        for ki, code in enumerate(items):
            target[code] = _result(*rows[gi][ki], n_rows, df, methods[ki], settings)
    for alias, item in settings.aliases.items():
        for group in totals.groups:
            results[group][alias] = results[group][item]
    if settings.composites:
        index = {code: k for k, code in enumerate(items)}
        coef = np.zeros((len(settings.composites), len(items)))
        for m, comp in enumerate(settings.composites):
            for code, w in comp.weights.items():
                coef[m, index[code]] = w
        comp_est = composite_estimates(totals, est, coef,
                                       require_all=np.array([c.require_all for c in settings.composites]))
        c_low, c_high, c_neff = _composite_intervals(comp_est, settings)
        with np.errstate(invalid="ignore", divide="ignore"):
            c_deff = comp_est.variance / comp_est.variance_iid
        rows = _rows(comp_est.estimate, c_low, c_high, comp_est.n_answered, comp_est.variance, c_deff, c_neff,
                     np.fmax(comp_est.variance, comp_est.variance_iid))
        assert comp_est.components is not None  # composite estimates always count their components
        components = comp_est.components.tolist()
        for gi, group in enumerate(totals.groups):
            df, n_rows = float(est.df[gi]), int(est.n_rows[gi])
            for m, comp in enumerate(settings.composites):
                results[group][comp.code] = _result(*rows[gi][m], n_rows, df, settings.composite_interval, settings,
                                                    components=int(components[gi][m]))
    return results


#: One index as Python floats: (p, low, high, n, var, deff, n_eff, floored var).
_Row = tuple[float, float, float, float, float, float, float, float]


def _rows(p, low, high, n, var, deff, n_eff, var_floored) -> list[list[_Row]]:
    """Per group, per index: (p, low, high, n, var, deff, n_eff, floored var) as Python floats (one conversion)."""
    stacked = np.stack([p, low, high, n, var, deff, n_eff, var_floored], axis=-1)
    return stacked.tolist()


def _result(p, low, high, n, var, deff, n_eff, var_floored, n_rows, df, method, settings: Settings,
            components: int | None = None) -> IndexResult:
    n = int(n)
    if not math.isfinite(p):
        return IndexResult(None, None, n, n_rows, None, _nan_to_none(df), None, None, method, True, components,
                           "no answer (n = 0)")
    note = None
    ci = None
    if df <= 0:
        note = "df <= 0: no design-based interval"
    elif math.isfinite(low) and math.isfinite(high):
        ci = ConfidenceInterval(100 * low, 100 * high)
    n_eff_v = _nan_to_none(n_eff)
    low_base = (n < settings.min_base or df < settings.min_df
                or (n_eff_v is not None and n_eff_v < settings.min_n_eff))
    se = 100 * math.sqrt(var) if math.isfinite(var) and var >= 0 else None
    se_floored = 100 * math.sqrt(var_floored) if math.isfinite(var_floored) and var_floored >= 0 else None
    return IndexResult(100 * p, ci, n, n_rows, se, _nan_to_none(df), _nan_to_none(deff), n_eff_v, method,
                       low_base, components, note, se_floored)
