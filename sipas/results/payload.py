"""The one serialiser of the results tree: to and from the JSON payload stored with a result set.

The payload is also what `sipas analyze --output` writes, so its shape is documented in docs/analysis.md.
Numbers are written unrounded; NaN never appears (missing values are null).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from analysis import ConfidenceInterval, IndexResult
from sipas.results.model import (
    SAMPLED,
    Change,
    Contrast,
    GroupResult,
    RankResult,
    Revision,
    RoundInfo,
    RoundResults,
    UnitLabel,
    Verdict,
)


def _ci(low: float | None, high: float | None) -> ConfidenceInterval | None:
    return None if low is None or high is None else ConfidenceInterval(low, high)


def index_to_dict(ix: IndexResult) -> dict[str, Any]:
    """One index as JSON (the shape of `IndexResult.as_dict`, plus the group's respondents)."""
    return {**ix.as_dict(), "n_rows": ix.n_rows}


def index_from_dict(d: Mapping[str, Any], n_rows: int) -> IndexResult:
    """Inverse of `index_to_dict`; payloads written before n_rows was stored take the group's n."""
    return IndexResult(d["estimate"], _ci(d["ci_low"], d["ci_high"]), d["n"], d.get("n_rows", n_rows), d["se"],
                       d["df"], d["deff"], d["n_eff"], d["method"], d["low_base"], d.get("components"), d.get("note"),
                       d.get("se_floored"))


def contrast_to_dict(c: Contrast) -> dict[str, Any]:
    """A contrast as JSON (`difference` is the estimate, in points)."""
    return {"difference": c.estimate, "ci_low": c.ci.low if c.ci else None, "ci_high": c.ci.high if c.ci else None,
            "se": c.se, "df": c.df, "p_value": c.p_value, "method": c.method, "verdict": c.verdict.value}


def contrast_from_dict(d: Mapping[str, Any]) -> Contrast:
    """Inverse of `contrast_to_dict`."""
    return Contrast(d["difference"], _ci(d["ci_low"], d["ci_high"]), d["se"], d["df"], d["p_value"], d["method"],
                    Verdict(d["verdict"]))


def rank_to_dict(r: RankResult) -> dict[str, Any]:
    """A rank as JSON."""
    return {"rank": r.rank, "of": r.of, "rank_low": r.rank_low, "rank_high": r.rank_high, "sim_low": r.sim_low,
            "sim_high": r.sim_high, "among": r.among, "method": r.method, "note": r.note}


def rank_from_dict(d: Mapping[str, Any]) -> RankResult:
    """Inverse of `rank_to_dict`."""
    return RankResult(d["rank"], d["of"], d["rank_low"], d["rank_high"], d.get("sim_low"), d.get("sim_high"),
                      d.get("among", ""), d.get("method", ""), d.get("note"))


def change_to_dict(c: Change) -> dict[str, Any]:
    """A year-on-year change as JSON."""
    return {"previous_round": c.previous_round, "previous_year": c.previous_year,
            "previous_estimate": c.previous_estimate,
            "contrast": contrast_to_dict(c.contrast) if c.contrast else None, "basis": c.basis, "reason": c.reason,
            "rank_movement": c.rank_movement}


def change_from_dict(d: Mapping[str, Any]) -> Change:
    """Inverse of `change_to_dict`."""
    return Change(d["previous_round"], d["previous_year"], d["previous_estimate"],
                  contrast_from_dict(d["contrast"]) if d.get("contrast") else None, d.get("basis", "direct"),
                  d.get("reason"), d.get("rank_movement"))


def group_to_dict(g: GroupResult) -> dict[str, Any]:
    """A group as JSON."""
    out: dict[str, Any] = {"by": g.by, "key": g.key, "channel_group": g.channel_group, "n": g.n,
                           "indices": {code: index_to_dict(ix) for code, ix in g.indices.items()}}
    if g.by != "all":
        out["vs_all"] = {code: contrast_to_dict(c) for code, c in g.vs_all.items()}
    if g.rank is not None:
        out["rank"] = rank_to_dict(g.rank)
    if g.change:
        out["change"] = {code: change_to_dict(c) for code, c in g.change.items()}
    if g.tier is not None:
        out["tier"] = g.tier
    if g.parent is not None:
        out["parent"] = g.parent
    return out


def group_from_dict(d: Mapping[str, Any]) -> GroupResult:
    """Inverse of `group_to_dict`."""
    n = d["n"]
    return GroupResult(d["by"], d["key"], d.get("channel_group", SAMPLED), n,
                       {code: index_from_dict(ix, n) for code, ix in d["indices"].items()},
                       {code: contrast_from_dict(c) for code, c in d.get("vs_all", {}).items()},
                       rank_from_dict(d["rank"]) if d.get("rank") else None,
                       {code: change_from_dict(c) for code, c in d.get("change", {}).items()},
                       d.get("tier"), d.get("parent"))


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def info_to_dict(info: RoundInfo) -> dict[str, Any]:
    """The round's description as JSON."""
    return {"name": info.name, "year": info.year, "opens_on": info.opens_on, "closes_on": info.closes_on,
            "jurisdiction_code": info.jurisdiction_code, "jurisdiction_name": info.jurisdiction_name}


def info_from_dict(d: Mapping[str, Any]) -> RoundInfo:
    """Inverse of `info_to_dict`."""
    return RoundInfo(d["name"], d["year"], d.get("opens_on"), d.get("closes_on"), d.get("jurisdiction_code"),
                     d.get("jurisdiction_name"))


def revision_to_dict(r: Revision) -> dict[str, Any]:
    """A version's changes as JSON."""
    return {"previous_version": r.previous_version, "previous_published_at": _time(r.previous_published_at),
            "previous_responses": r.previous_responses, "responses": r.responses,
            "changes": {code: list(pair) for code, pair in r.changes.items()}, "note": r.note}


def revision_from_dict(d: Mapping[str, Any]) -> Revision:
    """Inverse of `revision_to_dict`."""
    return Revision(d["previous_version"], _parse_time(d.get("previous_published_at")), d["previous_responses"],
                    d["responses"], {code: (pair[0], pair[1]) for code, pair in d.get("changes", {}).items()},
                    d.get("note"))


def _distributions_to_dict(dist: Mapping[str, Mapping[int, tuple[int, float]]]) -> dict[str, Any]:
    # JSON keys are strings: answer values are written as text and read back as integers.
    return {item: {str(value): [n, w] for value, (n, w) in sorted(values.items())} for item, values in dist.items()}


def _distributions_from_dict(d: Mapping[str, Any]) -> dict[str, dict[int, tuple[int, float]]]:
    return {item: {int(value): (pair[0], pair[1]) for value, pair in values.items()} for item, values in d.items()}


def to_payload(r: RoundResults) -> dict[str, Any]:
    """The results as a JSON-ready dict (the stored payload and the CLI's output)."""
    return {"round": r.round_code, "profile": r.profile, "method_version": r.method_version,
            "admin_map": r.admin_map, "confidence_level": r.confidence_level, "seed": r.seed,
            "snapshot": r.snapshot, "computed_at": _time(r.computed_at), "version": r.version,
            "published_at": _time(r.published_at),
            "info": info_to_dict(r.info) if r.info is not None else None,
            "labels": {by: {key: {"name": lab.name, "name_en": lab.name_en} for key, lab in units.items()}
                       for by, units in r.labels.items()},
            "channel_counts": dict(r.channel_counts),
            "distributions": _distributions_to_dict(r.distributions),
            "revision": revision_to_dict(r.revision) if r.revision is not None else None,
            "groups": [group_to_dict(g) for g in r.groups]}


def from_payload(d: Mapping[str, Any]) -> RoundResults:
    """Inverse of `to_payload`: the frozen tree from a stored payload."""
    labels = {by: {key: UnitLabel(lab["name"], lab.get("name_en")) for key, lab in units.items()}
              for by, units in d.get("labels", {}).items()}
    return RoundResults(d["round"], d["profile"], d.get("method_version", d["profile"]), d.get("admin_map", ""),
                        d["confidence_level"], d["seed"], d.get("snapshot", ""), _parse_time(d.get("computed_at")),
                        tuple(group_from_dict(g) for g in d["groups"]), d.get("version"),
                        _parse_time(d.get("published_at")), labels, d.get("channel_counts", {}),
                        info_from_dict(d["info"]) if d.get("info") else None,
                        _distributions_from_dict(d.get("distributions", {})),
                        revision_from_dict(d["revision"]) if d.get("revision") else None)
