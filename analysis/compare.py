"""Differences between groups and multiple-comparison control (ranks: analysis/ranks.py).

docs/statistics.md §7 (differences). All functions are vectorised over groups.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from analysis.indices import ConfidenceInterval


@dataclass(frozen=True)
class Difference:
    """d = A - B on the 0-100 scale, with its interval, df and two-sided p-value."""

    estimate: float
    ci: ConfidenceInterval | None
    se: float
    df: float
    p_value: float | None
    method: str


def independent_difference(est_a: float, se_a: float, df_a: float, est_b: float, se_b: float, df_b: float,
                           level: float = 0.95) -> Difference:
    """Two groups from independent samples (other strata, other years): Welch-Satterthwaite df.

    df = (v_a + v_b)^2 / (v_a^2/df_a + v_b^2/df_b), v = SE^2 (docs/statistics.md §7). Pass the floored SEs
    (`IndexResult.se_floored`); where either is zero (an estimate at 0 % or 100 %) nothing is tested: no
    interval, no p-value, and the verdict is "undetermined".
    """
    va, vb = se_a ** 2, se_b ** 2
    se = float(np.sqrt(va + vb))
    denom = (va ** 2 / df_a if df_a > 0 else np.inf) + (vb ** 2 / df_b if df_b > 0 else np.inf)
    df = float((va + vb) ** 2 / denom) if denom > 0 and np.isfinite(denom) else float(min(df_a, df_b))
    return _difference(est_a - est_b, se, df, level, "welch_satterthwaite", testable=se_a > 0 and se_b > 0)


def _difference(d: float, se: float, df: float, level: float, method: str, *, testable: bool = True) -> Difference:
    if not (df > 0) or not (se > 0) or not testable:
        return Difference(float(d), None, float(se), float(df), None, method)
    t = stats.t.ppf(0.5 + level / 2, df)
    p = float(2 * stats.t.sf(abs(d) / se, df))
    return Difference(float(d), ConfidenceInterval(d - t * se, d + t * se), float(se), float(df), p, method)


def paired_differences(est_child: np.ndarray, var_child: np.ndarray, est_parent: np.ndarray,
                       var_parent: np.ndarray, cov: np.ndarray, df: np.ndarray, level: float = 0.95, *,
                       floor_child: np.ndarray | None = None, floor_parent: np.ndarray | None = None
                       ) -> list[Difference]:
    """Child minus parent from the same design: Var(d) = V_c + V_p - 2 Cov (joint linearisation).

    floor_child/floor_parent: the simple-random-sample variances. Each side's variance is floored at its own
    (as for the intervals), the covariance kept: Var(d) = max(V_c, F_c) + max(V_p, F_p) - 2 Cov, never below
    the unfloored Var(d). Where a side's floored variance is zero (0 % or 100 %, or one respondent), nothing
    is tested: no interval and no p-value, so the verdict is "undetermined", never one read off a zero
    variance. Inputs on the 0-1 scale; results on the 0-100 scale. The df is the child's (the conservative
    choice).
    """
    vc = np.asarray(var_child, float) if floor_child is None else np.fmax(var_child, floor_child)
    vp = np.asarray(var_parent, float) if floor_parent is None else np.fmax(var_parent, floor_parent)
    var = np.maximum(vc + vp - 2 * np.asarray(cov, float), 0.0)
    d, se, df = 100 * (est_child - est_parent), 100 * np.sqrt(var), np.asarray(df, float)
    with np.errstate(invalid="ignore"):
        ok = (df > 0) & (se > 0) & (vc > 0) & (vp > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.5 + level / 2, np.where(ok, df, 1))  # one vectorised call, not one per group
        p = 2 * stats.t.sf(np.abs(d) / np.where(ok, se, 1), np.where(ok, df, 1))
    out = []
    for di, si, fi, ti, pi, oki in zip(d.tolist(), se.tolist(), df.tolist(), t.tolist(), p.tolist(), ok.tolist()):
        ci = ConfidenceInterval(di - ti * si, di + ti * si) if oki else None
        out.append(Difference(di, ci, si, fi, pi if oki else None, "joint_linearisation"))
    return out


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error control); NaN stays NaN."""
    p = np.asarray(p_values, float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out[order] = adjusted
    return out


def verdicts(differences: list[Difference], level: float = 0.95) -> list[str]:
    """'above', 'below' or 'not_different' after Holm's correction across the list, at the confidence level
    of the intervals (alpha = 1 - level); 'undetermined' where a difference could not be tested."""
    alpha = 1 - level
    adjusted = holm([d.p_value if d.p_value is not None else np.nan for d in differences])
    return ["undetermined" if np.isnan(p) else "not_different" if p >= alpha else
            ("above" if d.estimate > 0 else "below") for d, p in zip(differences, adjusted)]
