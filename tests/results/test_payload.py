"""The results tree has one serialiser: what is stored comes back as the same frozen tree."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from analysis import ConfidenceInterval, IndexResult
from sipas.results import (SAMPLED, Change, Contrast, GroupResult, RankResult, RoundResults, UnitLabel, Verdict,
                           from_payload, to_payload)


def _tree() -> RoundResults:
    ix = IndexResult(70.0, ConfidenceInterval(60.0, 80.0), 10, 12, 3.2, 5.0, 1.1, 9.0, "korn_graubard_floor", True,
                     se_floored=3.5)
    empty = IndexResult(None, None, 0, 12, None, 5.0, None, None, "korn_graubard_floor", True, None,
                        "no answer (n = 0)")
    vs = Contrast(1.0, ConfidenceInterval(0.1, 2.0), 0.5, 5.0, 0.03, "joint_linearisation", Verdict.ABOVE)
    change = Change("X-2024", 2024, 66.0, Contrast(4.0, None, 0.0, 3.0, None, "welch", Verdict.UNDETERMINED),
                    "re_estimated", None, 2)
    agency = GroupResult("agency", "A", SAMPLED, 12, {"SIPAS": ix, "F1": empty}, {"SIPAS": vs},
                         RankResult(1, 5, 1, 2, 1, 3, "department", "csranks"), {"SIPAS": change}, "province", "12")
    whole = GroupResult("all", "all", SAMPLED, 12, {"SIPAS": ix})
    return RoundResults("R-2026", "SIPAS_1001", "SIPAS_1001", "new_34", 0.95, 7, "n12-abc",
                        datetime(2026, 12, 2, 7, 5, tzinfo=timezone.utc), (whole, agency), 3,
                        datetime(2026, 12, 3, tzinfo=timezone.utc), {"agency": {"A": UnitLabel("Sở A", "Dept A")}},
                        {"paper_post": 12})


def test_round_trip_through_json_gives_the_same_tree():
    tree = _tree()
    text = json.dumps(to_payload(tree), allow_nan=False)
    assert from_payload(json.loads(text)) == tree


def test_tree_is_frozen_and_lookups_follow_channel_groups():
    tree = _tree()
    with pytest.raises(AttributeError):
        tree.seed = 8  # type: ignore[misc]
    assert tree.group("agency", "A").rank.sim_high == 3
    assert tree.group("agency", "A", "self_selected") is None
    assert [g.key for g in tree.groups_by("agency")] == ["A"]
    assert tree.channel_groups() == [SAMPLED]
    assert tree.label("agency", "A").name_en == "Dept A" and not tree.provisional
