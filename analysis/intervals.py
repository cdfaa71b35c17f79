"""Confidence intervals for proportions, vectorised over arrays (never a Python loop per group).

Formulas: docs/statistics.md §5-6. Proportions here are on the 0-1 scale; callers multiply by 100.
"""
from __future__ import annotations

import numpy as np
from scipy import special, stats


def _z(level: float) -> float:
    return float(special.ndtri(0.5 + level / 2))


def wilson(k, n, level: float = 0.95):
    """Wilson score interval for k successes in n trials (simple random sample).

    Brown, Cai & DasGupta (2001); statsmodels `proportion_confint(method="wilson")`.
    Returns (low, high) arrays; NaN where n == 0.
    """
    k, n = np.asarray(k, float), np.asarray(n, float)
    z = _z(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def clopper_pearson(k, n, level: float = 0.95):
    """Clopper-Pearson ("exact") interval: beta quantiles, 0 / 1 at k = 0 / k = n."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    alpha = 1 - level
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k > 0, stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
        high = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    bad = ~(n > 0)
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def t_quantile(df, level: float = 0.95):
    """Two-sided t critical value for each df; NaN where df <= 0."""
    df = np.asarray(df, float)
    with np.errstate(invalid="ignore"):
        return np.where(df > 0, stats.t.ppf(0.5 + level / 2, np.where(df > 0, df, 1)), np.nan)


def korn_graubard(p, var, n_rows, n_answered, df, level: float = 0.95, *, floor: bool = True):
    """Korn-Graubard interval: Clopper-Pearson on the effective sample size with a df correction.

    n* = p(1-p)/V * (t_{n_rows-1} / t_df)^2 (R `svyciprop(method="beta")`; Korn & Graubard 1998).
    With `floor`, the design effect is floored at 1 first (n* capped at the number of answers), so the
    interval is never narrower than the simple-random-sample one for the same answers (docs/statistics.md §5).
    Where V = 0 (p = 0 or 1, where R returns NaN) the effective size is the number of answers, still scaled
    by the df correction: at 100 % with few PSUs the interval is wider than Clopper-Pearson's, as it is just
    below 100 %, never narrower. Returns (low, high, n_star); NaN where df <= 0 or nothing was answered.
    """
    p, var = np.asarray(p, float), np.asarray(var, float)
    n_rows, n_answered, df = (np.asarray(x, float) for x in (n_rows, n_answered, df))
    alpha = 1 - level
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = np.where(var > 0, p * (1 - p) / var, n_answered)
        if floor:
            n_eff = np.minimum(n_eff, n_answered)
        t_rows = stats.t.ppf(alpha / 2, np.maximum(n_rows - 1, 1))
        ratio = (t_rows / stats.t.ppf(alpha / 2, np.where(df > 0, df, 1))) ** 2
        n_star = n_eff * ratio
        x = n_star * p
        low = np.where(p > 0, stats.beta.ppf(alpha / 2, x, n_star - x + 1), 0.0)
        high = np.where(p < 1, stats.beta.ppf(1 - alpha / 2, x + 1, n_star - x), 1.0)
    bad = ~(df > 0) | ~(n_answered > 0)
    return (np.where(bad, np.nan, low), np.where(bad, np.nan, high), np.where(bad, np.nan, n_star))


def logit(p, se, df, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Logit-transformed interval: expit(logit p +- t_df * SE / (p(1-p))) (R `svyciprop` default).

    At p = 0 or 1 this interval has zero width; callers use Korn-Graubard there.
    """
    p, se = np.asarray(p, float), np.asarray(se, float)
    t = t_quantile(df, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = special.logit(p)
        half = t * se / (p * (1 - p))
        return special.expit(centre - half), special.expit(centre + half)


def linear(estimate, se, df, level: float = 0.95):
    """Wald-type interval estimate +- t_df * SE, clipped to [0, 1]."""
    t = t_quantile(df, level)
    estimate, se = np.asarray(estimate, float), np.asarray(se, float)
    return np.clip(estimate - t * se, 0, 1), np.clip(estimate + t * se, 0, 1)
