"""Weights after fieldwork: non-response adjustment, post-stratification, raking with trimming, diagnostics.

Raking is written here rather than taken from a library: samplics (which has it) is archived
(docs/statistics.md §11), ipfn fits contingency tables rather than unit weights, and svy (samplics' maintained
successor) brings polars and a Rust extension into a layer that keeps to numpy and scipy. The algorithm is a
dozen lines of iterative proportional fitting; tests pin it to post-stratification, to its totals, and to
svy's adjust/poststratify/rake on the same samples (tests/analysis/test_weighting_vs_svy.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WeightsReport:
    """What an analyst looks at before trusting weights."""

    n: int
    total: float
    minimum: float
    maximum: float
    cv: float
    kish_deff: float

    def lines(self) -> list[str]:
        """Readable summary."""
        return [f"n = {self.n}, sum of weights = {self.total:,.1f}", f"range {self.minimum:.3g} – {self.maximum:.3g} "
                f"(ratio {self.maximum / self.minimum:.1f})", f"CV = {self.cv:.3f}, Kish design effect "
                f"1 + CV² = {self.kish_deff:.3f}"]


def report(weights) -> WeightsReport:
    """Range, coefficient of variation and Kish's design effect due to weighting (1 + CV^2)."""
    w = np.asarray(weights, float)
    cv = float(w.std() / w.mean()) if len(w) else float("nan")
    return WeightsReport(len(w), float(w.sum()), float(w.min()), float(w.max()), cv, 1 + cv * cv)


def nonresponse_adjust(base, responded, classes) -> np.ndarray:
    """Within each weighting class, respondents carry the weight of the non-respondents:
    w_i = base_i x sum(base of the class) / sum(base of the class's respondents). Non-respondents get 0."""
    base = np.asarray(base, float)
    responded = np.asarray(responded, bool)
    classes = np.asarray(classes)
    out = np.zeros_like(base)
    empty = []
    for c in np.unique(classes):
        members = classes == c
        got = members & responded
        if not got.any():
            empty.append(str(c))
            continue
        out[got] = base[got] * base[members].sum() / base[got].sum()
    if empty:
        raise ValueError(f"weighting classes without any respondent (merge them first): {', '.join(empty)}")
    return out


def poststratify(weights, cells, totals: dict) -> np.ndarray:
    """Scale each cell's weights to its known total."""
    w = np.asarray(weights, float).copy()
    cells = np.asarray(cells)
    for c, total in totals.items():
        members = cells == c
        if not members.any() or w[members].sum() <= 0:
            raise ValueError(f"no weight in cell {c!r} to scale to {total}")
        w[members] *= total / w[members].sum()
    return w


@dataclass(frozen=True)
class RakeResult:
    """Raked weights and how the iteration went."""

    weights: np.ndarray
    iterations: int
    converged: bool
    max_gap: float  # largest relative gap between a weighted margin and its control total


def rake(weights, margins: list[tuple[np.ndarray, dict]], *, max_iter: int = 100, tol: float = 1e-8,
         trim: tuple[float, float] | None = None) -> RakeResult:
    """Iterative proportional fitting of unit weights to several margins (e.g. agency and field).

    margins: (category of each unit, {category: control total}). trim=(low, high) bounds each adjusted weight
    to [low, high] x its starting weight inside the loop (trimming). Raises when a control total has no unit
    to carry it or the margins disagree on the grand total.
    """
    w0 = np.asarray(weights, float)
    w = w0.copy()
    grand = [sum(t.values()) for _, t in margins]
    if max(grand) - min(grand) > 1e-6 * max(grand):
        raise ValueError(f"the margins disagree on the total: {', '.join(f'{g:,.1f}' for g in grand)}")
    for cats, totals in margins:
        cats = np.asarray(cats)
        for c, t in totals.items():
            if t > 0 and not (cats == c).any():
                raise ValueError(f"control total {t} for {c!r} but no unit in that category")
    gap = float("inf")
    for iteration in range(1, max_iter + 1):
        for cats, totals in margins:
            cats = np.asarray(cats)
            for c, t in totals.items():
                members = cats == c
                current = w[members].sum()
                if current > 0:
                    w[members] *= t / current
            if trim is not None:
                w = np.clip(w, trim[0] * w0, trim[1] * w0)
        gap = max(abs(w[np.asarray(cats) == c].sum() - t) / t for cats, totals in margins
                  for c, t in totals.items() if t > 0)
        if gap < tol:
            return RakeResult(w, iteration, True, gap)
    return RakeResult(w, max_iter, False, gap)
