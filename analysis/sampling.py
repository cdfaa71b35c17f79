"""Sample design: sizes, allocation, seeded draws and inclusion probabilities (numpy only).

Sizing: n = N / (1 + N e^2) per stratum, the 2013 SIPAS guidance (docs/methodology.md, "Sampling in
practice"). Allocation of a total: proportional, equal, or Neyman (n_h proportional to N_h S_h, with
S_h = sqrt(p_h (1 - p_h)) from last round). Draws: simple random sampling without replacement within strata;
two-stage with offices drawn by systematic probability-proportional-to-size sampling (randomised order),
then dossiers by SRS within the drawn offices. Every draw takes an explicit numpy Generator.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


def size_2013(N, e: float = 0.05) -> np.ndarray:
    """n = N / (1 + N e^2), rounded up, never more than N."""
    N = np.asarray(N, float)
    return np.minimum(N, np.ceil(N / (1 + N * e * e))).astype(int)


def allocate(total: int, N, *, method: str = "proportional", p=None, minimum: int = 0) -> np.ndarray:
    """Split `total` interviews over strata of sizes N (largest-remainder rounding; n_h <= N_h).

    method: "proportional" (n_h ~ N_h), "equal", or "neyman" (n_h ~ N_h S_h with S_h = sqrt(p_h(1-p_h))).
    minimum: at least this many per stratum (capped by N_h), taken before the rest is shared.
    """
    N = np.asarray(N, float)
    if total < 0 or total > N.sum():
        raise ValueError(f"total must be between 0 and the frame size {int(N.sum())}")
    if method == "proportional":
        share = N
    elif method == "equal":
        share = (N > 0).astype(float)
    elif method == "neyman":
        if p is None:
            raise ValueError("neyman allocation needs last round's proportions p")
        p = np.clip(np.asarray(p, float), 0.01, 0.99)
        share = N * np.sqrt(p * (1 - p))
    else:
        raise ValueError("method must be proportional, equal or neyman")
    n = np.minimum(np.full(N.shape, minimum, float), N)
    rest = total - n.sum()
    if rest < 0:
        raise ValueError("the minimum per stratum exceeds the total")
    # Share the rest, re-sharing what a full stratum cannot take.
    for _ in range(len(N) + 1):
        room = N - n
        weights = np.where(room > 0, share, 0.0)
        if rest <= 1e-9 or weights.sum() == 0:
            break
        ideal = np.minimum(rest * weights / weights.sum(), room)
        n = n + ideal
        rest = total - n.sum()
    floor = np.floor(n + 1e-9)
    left = int(round(total - floor.sum()))
    order = np.argsort(-(n - floor), kind="stable")
    for i in order:
        if left <= 0:
            break
        if floor[i] < N[i]:
            floor[i] += 1
            left -= 1
    return floor.astype(int)


def margin_of_error(n, N=None, *, p: float = 0.8, deff: float = 1.0, level: float = 0.95) -> np.ndarray:
    """Expected half-width (percentage points) of an interval for p with n interviews and a design effect,
    with the finite-population correction when N is given."""
    n = np.asarray(n, float)
    z = stats.norm.ppf(0.5 + level / 2)
    var = deff * p * (1 - p) / np.where(n > 0, n, np.nan)
    if N is not None:
        N = np.asarray(N, float)
        var = var * np.where(N > 1, (N - n) / (N - 1), 1.0)
    return 100 * z * np.sqrt(var)


@dataclass(frozen=True)
class Draw:
    """Selected unit indices with their inclusion probabilities and base weights (1 / probability)."""

    selected: np.ndarray
    probability: np.ndarray

    @property
    def weight(self) -> np.ndarray:
        """Base (design) weights."""
        return 1.0 / self.probability


def srs(strata, n_per_stratum: dict, *, rng: np.random.Generator) -> Draw:
    """Simple random sampling without replacement within each stratum; pi = n_h / N_h."""
    strata = np.asarray(strata)
    chosen, probs = [], []
    for h, n in n_per_stratum.items():
        members = np.flatnonzero(strata == h)
        if n > len(members):
            raise ValueError(f"stratum {h!r}: {n} asked, {len(members)} in the frame")
        if n == 0:
            continue
        picked = rng.choice(members, size=n, replace=False)
        chosen.append(picked)
        probs.append(np.full(n, n / len(members)))
    if not chosen:
        return Draw(np.array([], int), np.array([], float))
    selected = np.concatenate(chosen)
    order = np.argsort(selected)
    return Draw(selected[order], np.concatenate(probs)[order])


def pps_probabilities(sizes, m: int) -> np.ndarray:
    """First-order inclusion probabilities of a PPS draw of m units: pi_i = m x_i / sum x, with units whose
    pi would exceed 1 taken with certainty and the rest recomputed (the usual iterative rule)."""
    x = np.asarray(sizes, float)
    if m > np.count_nonzero(x > 0):
        raise ValueError("more units asked than units with a positive size")
    pi = np.zeros_like(x)
    certain = np.zeros(x.shape, bool)
    for _ in range(len(x) + 1):
        rest = m - certain.sum()
        free = ~certain & (x > 0)
        pi[free] = rest * x[free] / x[free].sum() if rest > 0 else 0.0
        pi[certain] = 1.0
        over = free & (pi >= 1.0)
        if not over.any():
            break
        certain |= over
    return pi


def pps_systematic(sizes, m: int, *, rng: np.random.Generator) -> Draw:
    """Systematic PPS in a random order (Hartley-Rao style): exact first-order probabilities pps_probabilities."""
    pi = pps_probabilities(sizes, m)
    order = rng.permutation(len(pi))
    cumulative = np.cumsum(pi[order])
    start = rng.random()
    points = start + np.arange(int(round(pi.sum())))
    hits = np.searchsorted(cumulative, points, side="right")
    selected = np.sort(order[np.unique(hits[hits < len(order)])])
    return Draw(selected, pi[selected])


def two_stage(psu_of_unit, psu_sizes, m_psu: int, n_per_psu: int, *, rng: np.random.Generator) -> Draw:
    """Offices by PPS (size = their dossiers), then n_per_psu dossiers by SRS in each drawn office.

    pi_unit = pi_office x min(n, N_office) / N_office.
    """
    psu_of_unit = np.asarray(psu_of_unit)
    offices = pps_systematic(psu_sizes, m_psu, rng=rng)
    chosen, probs = [], []
    for office, p_office in zip(offices.selected, offices.probability):
        members = np.flatnonzero(psu_of_unit == office)
        k = min(n_per_psu, len(members))
        if k == 0:
            continue
        chosen.append(rng.choice(members, size=k, replace=False))
        probs.append(np.full(k, p_office * k / len(members)))
    selected = np.concatenate(chosen) if chosen else np.array([], int)
    probability = np.concatenate(probs) if probs else np.array([], float)
    order = np.argsort(selected)
    return Draw(selected[order], probability[order])
