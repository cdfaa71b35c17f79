"""Gather what the SIPAS report needs from the database: results, labels, counts, last year's figures."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import surveys
from sipas.models import (SELF_SELECTED, Agency, Answer, Response, ResponseStatus, Round)
from sipas.services import publishing, reporting


@dataclass
class Comparison:
    """Last comparable round: its year and headline values, or why there is none."""

    round_code: str | None
    year: int | None
    values: dict[str, float | None] = field(default_factory=dict)
    reason: str | None = None  # METHOD_BREAK, GEO_BREAK, NO_PREVIOUS


@dataclass
class ReportData:
    """Everything the workbook and the dashboard show (no database or Flask objects beyond plain data)."""

    round_code: str
    round_name: str
    year: int
    method_version: str
    admin_map: str
    period: tuple[str, str]
    issuer: str
    province: str
    profile: surveys.Profile
    result: dict
    version: int | None
    published_at: datetime | None
    agencies: dict[str, tuple[str, str]]  # code -> (name, level)
    channel_counts: dict[str, int]
    distributions: dict[str, dict[int, tuple[int, float]]]  # item -> value -> (count, weight sum)
    previous: Comparison
    generated_at: datetime
    data_rows: Callable[[], Iterable[list]] | None = None
    data_count: int = 0

    @property
    def provisional(self) -> bool:
        """Not published: the figures may still change."""
        return self.published_at is None


def _issuer(rnd: Round) -> tuple[str, str]:
    if rnd.jurisdiction is None:
        return "Bộ Nội vụ", "Toàn quốc"
    name = rnd.jurisdiction.name
    short = name.removeprefix("Tỉnh ").removeprefix("Thành phố ")
    return f"Sở Nội vụ {'thành phố' if name.startswith('Thành phố') else 'tỉnh'} {short}", name


def headline(result: dict, group_by: str = "all", key: str = "all") -> dict[str, float | None]:
    """SIPAS, parts and factors of one group of a result, sampled channels."""
    for g in result["groups"]:
        if g["by"] == group_by and g["key"] == key and g.get("channel_group", "sampled") == "sampled":
            return {code: ix["estimate"] for code, ix in g["indices"].items()
                    if code == "SIPAS" or code.startswith(("F", "PART_"))}
    return {}


def comparison(session: Session, rnd: Round) -> Comparison:
    """Last year's comparable figures: only with the same method version and the same administrative map."""
    earlier = session.scalars(select(Round).where(Round.year < rnd.year, Round.profile_key.not_like("KIOSK%"))
                              .order_by(Round.year.desc())).all()
    same_place = [r for r in earlier if r.jurisdiction is not None and rnd.jurisdiction is not None
                  and r.jurisdiction.code == rnd.jurisdiction.code]
    if not same_place:
        return Comparison(None, None, reason="NO_PREVIOUS")
    prev = same_place[0]
    if prev.method_version != rnd.method_version:
        return Comparison(prev.code, prev.year, reason="METHOD_BREAK")
    if prev.admin_map != rnd.admin_map:
        return Comparison(prev.code, prev.year, reason="GEO_BREAK")
    stored = publishing.published(session, prev)
    result = stored.payload if stored is not None and stored.payload else reporting.analyse_round(session, prev)
    return Comparison(prev.code, prev.year, headline(result))


def gather(session: Session, rnd: Round, *, with_data: bool = False) -> ReportData:
    """Collect a round's report data: the published results when there are, else a provisional computation."""
    stored = publishing.published(session, rnd)
    if stored is not None and stored.payload:
        result, version, published_at = stored.payload, stored.version, stored.published_at
    else:
        result, version, published_at = reporting.analyse_round(session, rnd), None, None
    valid = (Response.round_id == rnd.id, Response.status == ResponseStatus.VALID)
    channel_counts = {c.value: n for c, n in session.execute(
        select(Response.channel, func.count()).where(*valid).group_by(Response.channel)).all()}
    profile = surveys.load(rnd.profile_key)
    codes = [i.code for i in profile.items if i.kind in ("behaviour", "respondent")]
    distributions: dict[str, dict[int, tuple[int, float]]] = {}
    sampled = Response.channel.notin_([c.value for c in SELF_SELECTED])
    for code, value, n, w in session.execute(
            select(Answer.item_code, Answer.value, func.count(), func.sum(Response.weight)).join(Response)
            .where(*valid, sampled, Answer.item_code.in_(codes)).group_by(Answer.item_code, Answer.value)):
        distributions.setdefault(code, {})[value] = (n, float(w))
    agencies = {a.code: (a.name, a.level.value) for a in rnd.agencies}
    issuer, province = _issuer(rnd)
    data = ReportData(rnd.code, rnd.name, rnd.year, rnd.method_version, rnd.admin_map.value,
                      (str(rnd.opens_on or ""), str(rnd.closes_on or "")), issuer, province, profile, result, version,
                      published_at, agencies, channel_counts, distributions, comparison(session, rnd),
                      datetime.now(timezone.utc))
    if with_data:
        from sipas.services.interchange import export_rows
        data.data_count = sum(channel_counts.values())
        data.data_rows = lambda: export_rows(session, rnd, profile)
    return data


def restrict_to_agency(data: ReportData, agency: Agency) -> None:
    """Keep the whole-round figures for context, and of the agencies only this one and those under it."""
    from sqlalchemy.orm import object_session

    from sipas.services.scope import agency_subtree, codes_of
    session = object_session(agency)
    allowed = codes_of(session, agency_subtree(session, agency.id))
    data.result = {**data.result, "groups": [g for g in data.result["groups"]
                                             if g["by"] != "agency" or g["key"] in allowed]}
    data.agencies = {k: v for k, v in data.agencies.items() if k in allowed}


class ReportIncomplete(Exception):
    """The data sheet did not receive every valid response: the workbook is not handed out."""


def build_workbook(data: ReportData, lang: str = "vi", progress=None, *, path=None) -> bytes | None:
    """The workbook (bytes, or written to `path` and None returned); the data sheet's row count is checked
    against the database count first gathered, and a short file is never handed out."""
    from sipas.reports.tables import workbook_sheets
    from sipas.reports.xlsx import workbook_bytes, write_workbook
    sheets = workbook_sheets(data, lang)
    if path is None:
        content, counts = workbook_bytes(sheets, progress)
    else:
        content, counts = None, write_workbook(sheets, path, progress)
    if data.data_rows is not None:
        written = counts[sheets[-1].name]
        if written != data.data_count:
            if path is not None:
                import os
                os.remove(path)
            raise ReportIncomplete(f"data sheet has {written} rows, the database {data.data_count}")
    return content
