"""The results tree: RoundResults -> GroupResult -> IndexResult, with contrasts, ranks and changes.

Every object is frozen: a stored result set is read, never edited; a recomputation is a new object.
Estimates stay unrounded (0-100 scale); display rounding belongs to the reports.
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from analysis import ConfidenceInterval, IndexResult
from sipas.models.surveys import SELF_SELECTED

#: Sampled responses (a probability sample) and self-selected ones (kiosk, open link, API) are never pooled.
SAMPLED = "sampled"
SELF_SELECTED_GROUP = "self_selected"
CHANNEL_GROUPS = (SAMPLED, SELF_SELECTED_GROUP)
_SELF_SELECTED_VALUES = frozenset(c.value for c in SELF_SELECTED)


def channel_group(channel: object) -> str:
    """The channel group of a channel (a Channel or its value): the one place this is decided."""
    return SELF_SELECTED_GROUP if str(getattr(channel, "value", channel)) in _SELF_SELECTED_VALUES else SAMPLED

#: Groupings, from the widest to the narrowest; `key` is "all", an official unit code, a level or an agency code.
GROUPINGS = ("all", "province", "level", "agency", "commune")


class Verdict(str, enum.Enum):
    """The outcome of a test of a difference at the round's confidence level."""

    ABOVE = "above"
    BELOW = "below"
    NOT_DIFFERENT = "not_different"
    #: No verdict is possible (no interval: zero variance, df <= 0, or no estimate on one side).
    UNDETERMINED = "undetermined"


@dataclass(frozen=True)
class Contrast:
    """A difference A - B in points with its interval, test and verdict (vs the whole, or year on year)."""

    estimate: float | None
    ci: ConfidenceInterval | None
    se: float | None
    df: float | None
    p_value: float | None
    method: str
    verdict: Verdict


@dataclass(frozen=True)
class RankResult:
    """A unit's rank among the units of its tier, with confidence sets for the rank.

    rank_low/rank_high: the marginal set (this unit alone); sim_low/sim_high: the simultaneous set (all units of
    the tier at once, for a league table). 1 is the best; ties share the smaller rank (1, 2, 2, 4).
    """

    rank: int | None
    of: int
    rank_low: int | None
    rank_high: int | None
    sim_low: int | None = None
    sim_high: int | None = None
    #: The tier ranked together: "province", "department", "district", "commune", ...
    among: str = ""
    method: str = ""
    note: str | None = None


@dataclass(frozen=True)
class Change:
    """One index of one unit against an earlier round."""

    previous_round: str
    previous_year: int | None
    previous_estimate: float | None
    contrast: Contrast | None
    #: How the earlier figure was obtained: "direct", "predecessors_pooled" (merged agencies/provinces) or
    #: "re_estimated" (an old-map round re-estimated on the new map).
    basis: str = "direct"
    #: Why there is no contrast: "METHOD_BREAK", "GEO_BREAK", "NO_PREVIOUS", "NOT_IN_PREVIOUS",
    #: "SPLIT_PREDECESSOR" (an agency fed by part of a split one); None when there is.
    reason: str | None = None
    #: Rank movement (positive = moved up), when both ranks exist on the same tier.
    rank_movement: int | None = None


@dataclass(frozen=True)
class GroupResult:
    """All indices of one reporting unit for one channel group."""

    by: str
    key: str
    channel_group: str
    #: Respondents in the group.
    n: int
    indices: Mapping[str, IndexResult]
    #: Difference from the whole round per headline index (same design, joint linearisation).
    vs_all: Mapping[str, Contrast] = field(default_factory=dict)
    #: Rank on the SIPAS among the units of the same tier.
    rank: RankResult | None = None
    #: Year-on-year change per headline index.
    change: Mapping[str, Change] = field(default_factory=dict)
    #: The unit's tier (an agency's level: "province", "commune", ...) and parent (an agency's province code).
    tier: str | None = None
    parent: str | None = None

    def estimate(self, code: str) -> float | None:
        """The unrounded estimate of one index, or None."""
        ix = self.indices.get(code)
        return ix.estimate if ix is not None else None


@dataclass(frozen=True)
class UnitLabel:
    """Names of a reporting unit as they were when the results were computed (frozen with them)."""

    name: str
    name_en: str | None = None


@dataclass(frozen=True)
class RoundInfo:
    """What a report says about the round, as it was when the results were computed (frozen with them)."""

    name: str
    year: int
    opens_on: str | None = None  # ISO dates
    closes_on: str | None = None
    #: The province the round covers (official code and name), or None for the whole country.
    jurisdiction_code: str | None = None
    jurisdiction_name: str | None = None


@dataclass(frozen=True)
class Revision:
    """What a published version changed against the version before it."""

    previous_version: int
    previous_published_at: datetime | None
    previous_responses: int
    responses: int
    #: Headline index of the whole round (sampled) -> (previous estimate, this estimate).
    changes: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    #: Why the version was made (e.g. a correction import), as the person who made it wrote it.
    note: str | None = None


@dataclass(frozen=True)
class RoundResults:
    """A round's results: one computation over one snapshot of responses and weights."""

    round_code: str
    profile: str
    method_version: str
    #: The map the estimates are on ("new_34" or "historical_63"); differs from the round's when re-estimated.
    admin_map: str
    confidence_level: float
    seed: int
    #: Identifier of the responses and weights the computation saw.
    snapshot: str
    computed_at: datetime | None
    groups: tuple[GroupResult, ...]
    #: Stored version number and publication time (None: provisional / not stored).
    version: int | None = None
    published_at: datetime | None = None
    #: by -> key -> label, e.g. labels["agency"]["LCU.STP"].
    labels: Mapping[str, Mapping[str, UnitLabel]] = field(default_factory=dict)
    #: Valid responses per channel in the snapshot, e.g. {"paper_post": 1200, "kiosk": 600}.
    channel_counts: Mapping[str, int] = field(default_factory=dict)
    info: RoundInfo | None = None
    #: Answers to the behaviour and respondent questions of the sampled responses:
    #: item -> value -> (responses, sum of weights).
    distributions: Mapping[str, Mapping[int, tuple[int, float]]] = field(default_factory=dict)
    #: For a published version after the first: what changed.
    revision: Revision | None = None

    @property
    def provisional(self) -> bool:
        """Not published: the figures may still change."""
        return self.published_at is None

    @property
    def responses(self) -> int:
        """Valid responses the computation saw (every channel)."""
        return sum(self.channel_counts.values())

    def group(self, by: str, key: str, channel_group: str = SAMPLED) -> GroupResult | None:
        """One group, or None."""
        return next((g for g in self.groups if g.by == by and g.key == key and g.channel_group == channel_group),
                    None)

    def groups_by(self, by: str, channel_group: str = SAMPLED) -> list[GroupResult]:
        """The groups of one grouping and channel group, in stored order."""
        return [g for g in self.groups if g.by == by and g.channel_group == channel_group]

    def channel_groups(self) -> list[str]:
        """The channel groups present, sampled first."""
        present = {g.channel_group for g in self.groups}
        return [c for c in CHANNEL_GROUPS if c in present]

    def label(self, by: str, key: str) -> UnitLabel | None:
        """The stored label of a unit, or None."""
        return self.labels.get(by, {}).get(key)
