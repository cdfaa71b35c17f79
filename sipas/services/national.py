"""The national publication of a round: what the Ministry publishes about the provinces, from one place.

It reads a round's stored results through the results service (`results.view`) and the typed tree
(`sipas.results.model`); it never runs the analysis. Content: the national SIPAS, its parts and factors with
their intervals and change; the provinces in rank order with their rank sets ("7/34 (5–10)"); the range across
provinces; the top and bottom five; how many provinces went up or down (significantly or not) and their rank
movements; the policy part against the service part; and the three-year trend classification (`trend_class`).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from analysis import IndexResult
from sipas.models import Round
from sipas.results import Change, RankResult, RoundResults, Verdict
from sipas.services.results import comparability, store, view

HEADLINE = ("SIPAS", "PART_A", "PART_B")
FACTORS = ("F1", "F2", "F3", "F4", "F5")
#: Trend classes over three yearly values (the Ministry's 2017-2019 wording).
SUSTAINABLE_INCREASE = "sustainable_increase"
UNSUSTAINABLE_INCREASE = "unsustainable_increase"
DECREASING = "decreasing"
#: The rule of `trend_class`, as published with the classification.
TREND_RULE = ("over three consecutive comparable measurements: sustainable increase when the SIPAS rose at each "
              "step; decreasing when the last is below the first; otherwise unsustainable increase")


def rank_text(rank: RankResult | None) -> str:
    """A rank as published with its marginal set: "7/34 (5–10)"; the set alone when it is one rank: "1/34"."""
    if rank is None or rank.rank is None:
        return ""
    if rank.rank_low == rank.rank_high:
        return f"{rank.rank}/{rank.of}"
    return f"{rank.rank}/{rank.of} ({rank.rank_low}–{rank.rank_high})"


def trend_class(values: Sequence[float | None]) -> str | None:
    """The trend of one unit over three consecutive comparable measurements (oldest first).

    The rule: a *sustainable increase* when the value rose at each step (v1 < v2 < v3); *decreasing* when the
    last is below the first (v3 < v1); otherwise an *unsustainable increase* (no lower than at the start, but
    not rising at each step). None without three values. Point estimates are compared, as the Ministry's
    published classification does; the intervals of each change are published beside it.
    """
    if len(values) != 3:
        return None
    v1, v2, v3 = values
    if v1 is None or v2 is None or v3 is None:
        return None
    if v1 < v2 < v3:
        return SUSTAINABLE_INCREASE
    if v3 < v1:
        return DECREASING
    return UNSUSTAINABLE_INCREASE


@dataclass(frozen=True)
class ProvinceLine:
    """One province in the league table."""

    code: str
    name: str
    n: int
    indices: dict[str, IndexResult]
    rank: RankResult | None
    change: Change | None

    @property
    def sipas(self) -> float | None:
        """The province's SIPAS."""
        ix = self.indices.get("SIPAS")
        return ix.estimate if ix is not None else None

    @property
    def rank_text(self) -> str:
        """"7/34 (5–10)"."""
        return rank_text(self.rank)


@dataclass(frozen=True)
class Movements:
    """How many provinces went up or down since the previous round, and how far in rank."""

    up_significant: int = 0
    up_not_significant: int = 0
    down_significant: int = 0
    down_not_significant: int = 0
    not_compared: int = 0
    rank_movements: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class NationalPublication:
    """What is published about a national round."""

    round_code: str
    admin_map: str
    national: dict[str, IndexResult]
    national_change: dict[str, Change]
    factors: dict[str, IndexResult]
    provinces: list[ProvinceLine]
    movements: Movements
    #: Provinces whose policy part (PART_A) is below their service part (PART_B).
    policy_below_service: int
    #: The three-year trend classification (needs the stored earlier rounds: set by `for_round`).
    trends: Trends | None = None

    @property
    def top_five(self) -> list[ProvinceLine]:
        """The five best provinces by SIPAS."""
        return self.provinces[:5]

    @property
    def bottom_five(self) -> list[ProvinceLine]:
        """The five lowest provinces by SIPAS, lowest last."""
        return self.provinces[-5:]

    @property
    def range(self) -> tuple[float, float] | None:
        """Lowest and highest province SIPAS."""
        values = [p.sipas for p in self.provinces if p.sipas is not None]
        return (min(values), max(values)) if values else None


def publication(results: RoundResults) -> NationalPublication:
    """The national publication from a round's results tree (sampled responses only)."""
    whole = results.group("all", "all")
    if whole is None:
        raise ValueError(f"round {results.round_code} has no results for the whole round")
    lines = []
    for g in results.groups_by("province"):
        label = results.label("province", g.key)
        lines.append(ProvinceLine(g.key, label.name if label else g.key, g.n, dict(g.indices), g.rank,
                                  g.change.get("SIPAS")))
    lines.sort(key=lambda p: (p.rank.rank if p.rank and p.rank.rank is not None else 10 ** 6, p.code))
    counts = {"up_significant": 0, "up_not_significant": 0, "down_significant": 0, "down_not_significant": 0,
              "not_compared": 0}
    moves = {}
    for p in lines:
        c = p.change
        if c is None or c.contrast is None:
            counts["not_compared"] += 1
            continue
        direction = "up" if (c.contrast.estimate or 0.0) > 0 else "down"
        significant = c.contrast.verdict in (Verdict.ABOVE, Verdict.BELOW)
        counts[f"{direction}_{'significant' if significant else 'not_significant'}"] += 1
        if c.rank_movement is not None:
            moves[p.code] = c.rank_movement
    below = sum(1 for p in lines if p.indices.get("PART_A") and p.indices.get("PART_B")
                and p.indices["PART_A"].estimate is not None and p.indices["PART_B"].estimate is not None
                and p.indices["PART_A"].estimate < p.indices["PART_B"].estimate)
    return NationalPublication(results.round_code, results.admin_map,
                               {c: whole.indices[c] for c in HEADLINE if c in whole.indices},
                               {c: whole.change[c] for c in HEADLINE if c in whole.change},
                               {c: whole.indices[c] for c in FACTORS if c in whole.indices}, lines,
                               Movements(**counts, rank_movements=moves), below)


def for_round(session: Session, rnd: Round, *, prefer: str = view.PUBLISHED) -> NationalPublication | None:
    """The publication of a round from its stored results (published first), or None when not computed yet."""
    shown = view.shown(session, rnd, prefer=prefer)
    if shown.results is None:
        return None
    return of_results(session, rnd, shown.results)


def to_dict(pub: NationalPublication) -> dict:
    """The publication as JSON (estimates on the 0-100 scale at full precision)."""
    def index(ix: IndexResult) -> dict:
        return {"estimate": ix.estimate, "ci_low": ix.ci.low if ix.ci else None,
                "ci_high": ix.ci.high if ix.ci else None}

    def change(c: Change | None) -> dict | None:
        if c is None:
            return None
        return {"previous_round": c.previous_round, "previous_estimate": c.previous_estimate, "basis": c.basis,
                "reason": c.reason, "rank_movement": c.rank_movement,
                **({"difference": c.contrast.estimate, "ci_low": c.contrast.ci.low if c.contrast.ci else None,
                    "ci_high": c.contrast.ci.high if c.contrast.ci else None,
                    "verdict": c.contrast.verdict.value} if c.contrast else {})}

    def line(p: ProvinceLine) -> dict:
        r = p.rank
        return {"code": p.code, "name": p.name, "n": p.n, "rank_text": p.rank_text,
                "rank": {"rank": r.rank, "of": r.of, "rank_low": r.rank_low, "rank_high": r.rank_high,
                         "sim_low": r.sim_low, "sim_high": r.sim_high} if r else None,
                "indices": {c: index(p.indices[c]) for c in HEADLINE + FACTORS if c in p.indices},
                "change": change(p.change),
                "trend_class": pub.trends.classes.get(p.code) if pub.trends is not None else None}

    low_high = pub.range
    m = pub.movements
    return {"round": pub.round_code, "admin_map": pub.admin_map,
            "national": {c: index(ix) for c, ix in pub.national.items()},
            "national_change": {c: change(ch) for c, ch in pub.national_change.items()},
            "factors": {c: index(ix) for c, ix in pub.factors.items()},
            "range": {"low": low_high[0], "high": low_high[1], "spread": low_high[1] - low_high[0]}
            if low_high else None,
            "top_five": [p.code for p in pub.top_five], "bottom_five": [p.code for p in pub.bottom_five],
            "movements": {"up_significant": m.up_significant, "up_not_significant": m.up_not_significant,
                          "down_significant": m.down_significant, "down_not_significant": m.down_not_significant,
                          "not_compared": m.not_compared, "rank_movements": m.rank_movements},
            "policy_vs_service": {"national_part_a": pub.national["PART_A"].estimate if "PART_A" in pub.national
                                  else None,
                                  "national_part_b": pub.national["PART_B"].estimate if "PART_B" in pub.national
                                  else None,
                                  "provinces_policy_below_service": pub.policy_below_service},
            "trend_rule": TREND_RULE, "trend": trends_dict(pub.trends),
            "provinces": [line(p) for p in pub.provinces]}


# --- The three-year trend over stored rounds ------------------------------------------------------------------
# Which rounds count: the rounds of the same place (the whole country) and the same method as the round, up to
# it, after the last method change; the last three of them. A province's value in a round on the round's map is
# its stored estimate by code; in a round on the old map (before the 2025 merger) it is that round re-estimated
# on the new map, as stored with the following round's change (`basis` "re_estimated"). A province with fewer
# than three values is not classified.

TREND_CLASSES = (SUSTAINABLE_INCREASE, UNSUSTAINABLE_INCREASE, DECREASING)
NOT_CLASSIFIED = "not_classified"
TREND_ROUNDS = 3


@dataclass(frozen=True)
class Trends:
    """The trend class of each province over the last three comparable rounds."""

    #: The comparable rounds used, oldest first (fewer than three: nothing is classified).
    rounds: tuple[str, ...]
    #: Province code -> its SIPAS in each of `rounds` (None where not known).
    values: dict[str, tuple[float | None, ...]]
    #: Province code -> trend class, or None when it has fewer than three values.
    classes: dict[str, str | None]

    @property
    def counts(self) -> dict[str, int]:
        """Provinces per class, and those not classified."""
        out = {c: 0 for c in (*TREND_CLASSES, NOT_CLASSIFIED)}
        for c in self.classes.values():
            out[c or NOT_CLASSIFIED] += 1
        return out


def comparable_rounds(session: Session, rnd: Round) -> list[Round]:
    """The last three rounds of the same place and method as `rnd`, up to it, with no method change between."""
    chain: list[Round] = []
    for r in comparability.measurements(session, rnd):
        chain = chain + [r] if r.method_version == rnd.method_version else []
        if r.id == rnd.id:
            break
    return chain[-TREND_ROUNDS:]


def _stored(session: Session, rnd: Round, as_at: datetime | None = None) -> RoundResults | None:
    """An earlier round's figures for the trend. For shown figures that are provisional: the same choice as the
    change since a previous round (its published figures, else its provisional ones). For a published version
    (`as_at` its publication time): only what that round had published by then, so a published workbook and
    page keep their trend whatever is published later."""
    if as_at is None:
        info = store.published_info(session, rnd) or store.provisional_info(session, rnd)
    else:
        info = next((v for v in store.versions(session, rnd) if _utc(v.published_at) <= _utc(as_at)), None)
    return store.load(session, info.id) if info is not None else None


def _utc(moment: datetime | None) -> datetime:
    # SQLite gives back naive UTC datetimes, PostgreSQL aware ones: compare both as aware UTC.
    if moment is None:
        return datetime.max.replace(tzinfo=timezone.utc)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _province_values(tree: RoundResults) -> dict[str, float | None]:
    return {g.key: g.estimate("SIPAS") for g in tree.groups_by("province")}


def _re_estimated(trees: Sequence[RoundResults | None], of_round: str, admin_map: str) -> dict[str, float | None]:
    """An old-map round's province values on the new map: the previous estimates a later new-map round stored."""
    for tree in trees:
        if tree is None or tree.admin_map != admin_map:
            continue
        found = {g.key: c.previous_estimate for g in tree.groups_by("province")
                 if (c := g.change.get("SIPAS")) is not None and c.previous_round == of_round}
        if found:
            return found
    return {}


def trends(session: Session, rnd: Round, results: RoundResults) -> Trends:
    """Each province of `results` (the round's shown set) classified over its last three comparable rounds."""
    chain = comparable_rounds(session, rnd)
    trees = [_stored(session, r, results.published_at) if r.id != rnd.id else results for r in chain]
    per_round = []
    for i, tree in enumerate(trees):
        on_map = tree is not None and tree.admin_map == results.admin_map
        per_round.append(_province_values(tree) if on_map and tree is not None
                         else _re_estimated(trees[i + 1:], chain[i].code, results.admin_map))
    codes = [g.key for g in results.groups_by("province")]
    values = {code: tuple(v.get(code) for v in per_round) for code in codes}
    classes = {code: trend_class(vs) if len(vs) == TREND_ROUNDS else None for code, vs in values.items()}
    return Trends(tuple(r.code for r in chain), values, classes)


def of_results(session: Session, rnd: Round, results: RoundResults) -> NationalPublication:
    """The publication of a round's shown results, with its three-year trend classification."""
    return dataclasses.replace(publication(results), trends=trends(session, rnd, results))


def trends_dict(t: Trends | None) -> dict | None:
    """The classification as JSON: the rule, the rounds, counts per class and each province's class."""
    if t is None:
        return None
    return {"rule": TREND_RULE, "rounds": list(t.rounds), "counts": t.counts,
            "provinces": {code: {"class": c, "values": list(t.values[code])} for code, c in t.classes.items()}}
