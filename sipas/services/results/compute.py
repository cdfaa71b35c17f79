"""Computing a round's results tree: from a stored round (the database's grouped sums) or from a file.

Only the job runner and CLI commands call this; pages and downloads read stored sets (`store`, `view`).
Sampled and self-selected responses are analysed apart, never pooled.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime, timezone

import numpy as np
from sqlalchemy.orm import Session

import surveys
from sipas.errors import ProfileInUse, ValidationFailed
from sipas.models import AdminMap, Round
from sipas.results import CHANNEL_GROUPS, RoundResults, UnitLabel, channel_group
from sipas.services.analysis_plan import Plan, headline_codes, plan_for
from sipas.services.results import comparability, counted, facts, store, succession
from sipas.services.results.file_totals import table_totals, text_codes
from sipas.services.results.succession import Lineage
from sipas.services.results.totals import round_totals
from sipas.services.results.tree import DEFAULT_GROUPINGS, GROUPINGS, Unit, channel_group_results, compare_with_previous

Progress = Callable[[int, str], None]


def _quiet(_percent: int, _message: str) -> None:
    """No progress reporting."""


def check_profile_unchanged(rnd: Round) -> None:
    """Raise ProfileInUse when the round's profile file differs from the one recorded at its creation."""
    if rnd.profile_fingerprint is not None and surveys.fingerprint(rnd.profile_key) != rnd.profile_fingerprint:
        raise ProfileInUse(f"Bộ câu hỏi {rnd.profile_key} đã bị sửa sau khi tạo kỳ {rnd.code}: hãy sao chép thành "
                           f"mã mới / the questionnaire profile {rnd.profile_key} changed after round {rnd.code} was "
                           f"created: copy it to a new key instead of editing it")


def compute_round(session: Session, rnd: Round, *, confidence_level: float = 0.95,
                  by: Sequence[str] | None = None, seed: int | None = None, with_previous: bool = True,
                  admin_map: AdminMap | None = None, lineage: Lineage | None = None,
                  progress: Progress = _quiet) -> RoundResults:
    """The provisional results of a stored round over its current valid responses and weights.

    Without `by`, a national round (no jurisdiction) is grouped by every grouping, provinces included; a
    province's round by the whole, its levels and its agencies. With `admin_map` other than the round's (new_34
    for a round of the 63-province map), the round is re-estimated on that map: each response goes to the new
    province of its agency's unit through the crosswalk (`units.new_map_province_of`); the design (strata,
    PSUs, weights) is the round's own, so a new province is a domain of the old design. Such results are not
    compared with a previous round. With `lineage` (the round as a later round sees its agencies,
    `succession.agency_lineage`), the predecessors of a merged agency are one domain under its code. Refused
    (ProfileInUse) when the round's profile file is not the one the round was created with.
    """
    check_profile_unchanged(rnd)
    remapped = admin_map is not None and admin_map != rnd.admin_map
    plan = plan_for(surveys.load(rnd.profile_key), confidence_level=confidence_level)
    if by is None:
        by = GROUPINGS if rnd.jurisdiction_id is None else DEFAULT_GROUPINGS
    seed = facts.default_seed(rnd) if seed is None else seed
    units = _pooled(facts.round_units(session, rnd, admin_map), lineage)
    progress(5, "reading the responses")
    snapshot = facts.fingerprint(session, rnd)
    state = counted.current(session, rnd, plan)  # checked once for both groups and the distributions
    groups = []
    for i, group in enumerate(CHANNEL_GROUPS):
        found = round_totals(session, rnd, plan, group, counts=state)
        progress(20 + 30 * i, f"computing the indices ({group})")
        if found is not None:
            groups += channel_group_results(plan, found[0], units, group, by, seed=seed)
    progress(80, "counting channels and answers")
    results = RoundResults(rnd.code, plan.profile_key, rnd.method_version, (admin_map or rnd.admin_map).value,
                           confidence_level, seed, snapshot, datetime.now(timezone.utc), tuple(groups),
                           labels=_labels(session, rnd, admin_map, lineage),
                           channel_counts=facts.channel_counts(session, rnd),
                           info=facts.round_info(rnd), distributions=facts.distributions(session, rnd, state))
    if not with_previous or remapped:
        return results
    progress(90, "comparing with the previous round")
    return with_changes(session, rnd, results, plan)


def _pooled(units: dict[str, Unit], lineage: Lineage | None) -> dict[str, Unit]:
    """Each agency of the round under the later agency its figure is pooled into (itself when it continues)."""
    if not lineage:
        return units
    return {code: dataclasses.replace(u, agency=lineage.base[code]) if code in lineage.base else u
            for code, u in units.items()}


def _labels(session: Session, rnd: Round, admin_map: AdminMap | None, lineage: Lineage | None) -> dict:
    labels = facts.unit_labels(session, rnd, admin_map)
    if lineage:
        labels["agency"].update({code: UnitLabel(*names)
                                 for code, names in succession.successor_labels(session, lineage).items()})
    return labels


def comparison_base(session: Session, earlier: Round, later: Round, *, confidence_level: float = 0.95
                    ) -> RoundResults:
    """`earlier` as `later` compares with it: on `later`'s map (re-estimated through the crosswalk when that
    differs), merged agencies' predecessors pooled. The job stores it when the maps differ (`remap_due`)."""
    target = later.admin_map if later.admin_map != earlier.admin_map else None
    return compute_round(session, earlier, confidence_level=confidence_level, with_previous=False, admin_map=target,
                         lineage=succession.agency_lineage(session, earlier, later))


def _stored_base(session: Session, earlier: Round, later: Round, confidence_level: float) -> RoundResults:
    """The stored re-estimate of `earlier` on `later`'s map when it is of the current responses, else computed."""
    info = store.remapped_info(session, earlier, later.admin_map)
    if info is not None and info.snapshot == facts.fingerprint(session, earlier):
        return store.load(session, info.id)
    return comparison_base(session, earlier, later, confidence_level=confidence_level)


def with_changes(session: Session, rnd: Round, results: RoundResults, plan: Plan) -> RoundResults:
    """The results with their changes since the previous comparable round (its published figures, or its
    latest provisional ones; re-estimated on the new map across the 2025 merger; merged agencies against their
    predecessors pooled), or the reason there are none."""
    prev, reason = comparability.previous_round(session, rnd)
    codes = headline_codes(plan)
    if prev is not None and reason == "GEO_BREAK" and comparability.across_merger(session, prev, rnd):
        lineage = succession.agency_lineage(session, prev, rnd)
        earlier = _stored_base(session, prev, rnd, results.confidence_level)
        return compare_with_previous(results, earlier, codes, previous_round=prev.code, previous_year=prev.year,
                                     basis="re_estimated", pooled=lineage.pooled, split=lineage.split)
    if prev is None or reason is not None:
        return compare_with_previous(results, None, codes, reason=reason,
                                     previous_round=prev.code if prev else None,
                                     previous_year=prev.year if prev else None)
    lineage = succession.agency_lineage(session, prev, rnd)
    info = store.published_info(session, prev) or store.provisional_info(session, prev)
    if lineage:
        earlier = comparison_base(session, prev, rnd, confidence_level=results.confidence_level)
    elif info is not None:
        earlier = store.load(session, info.id)
    else:
        earlier = compute_round(session, prev, confidence_level=results.confidence_level, with_previous=False)
    return compare_with_previous(results, earlier, codes, previous_round=prev.code, previous_year=prev.year,
                                 pooled=lineage.pooled, split=lineage.split)


def remap_due(session: Session, rnd: Round) -> Round | None:
    """The next measurement of `rnd`'s place when it lies across the 2025 merger and `rnd`'s stored re-estimate on
    its map is missing or of other responses (the job then stores `comparison_base(rnd, it)`), else None."""
    later = comparability.next_across_merger(session, rnd)
    if later is None:
        return None
    info = store.remapped_info(session, rnd, later.admin_map)
    return None if info is not None and info.snapshot == facts.fingerprint(session, rnd) else later


def compute_table(plan: Plan, table, by: Sequence[str] = DEFAULT_GROUPINGS, *, seed: int = 0,
                  source: str = "", admin_map: str = "", labels: dict | None = None) -> RoundResults:
    """The results of a file of responses (no database): the same tree as a stored round's.

    Grouping by province needs the table's `province` (see `interchange.with_provinces`).
    """
    if "province" in by and getattr(table, "province", None) is None:
        raise ValidationFailed(["--by province needs the column unit_code (the respondent's province or "
                                "commune) in the file"])
    groups = []
    names, channel = text_codes(table.channel)
    tally = np.bincount(channel, minlength=len(names))
    first = np.full(len(names), len(channel))
    np.minimum.at(first, channel, np.arange(len(channel)))
    counts = {str(names[c]): int(tally[c]) for c in np.argsort(first, kind="stable")}  # in the file's order
    of_name = np.array([channel_group(str(name)) for name in names])
    for group in CHANNEL_GROUPS:
        mask = of_name[channel] == group
        if mask.any():
            # A file of one channel group is used as it is: a copy of a million rows' answers costs memory.
            totals, units = table_totals(plan, table if mask.all() else _rows(table, mask))
            groups += channel_group_results(plan, totals, units, group, by, seed=seed)
    profile = surveys.load(plan.profile_key)
    return RoundResults(source, plan.profile_key, profile.method_version, admin_map, plan.settings.confidence_level,
                        seed, "", datetime.now(timezone.utc), tuple(groups), channel_counts=counts,
                        labels=labels or {})


def _rows(table, mask: np.ndarray):
    """The rows of a table (a dataclass of per-row arrays) selected by a mask; other fields are kept."""
    return dataclasses.replace(table, **{f.name: getattr(table, f.name)[mask] for f in dataclasses.fields(table)
                                         if isinstance(getattr(table, f.name), np.ndarray)})


def replace_provenance(results: RoundResults, **fields) -> RoundResults:
    """A copy of the results with version, publication time or revision set (a publication of a computation)."""
    return dataclasses.replace(results, **fields)
