"""The SIPAS workbook of a round, from stored results only: the published version (or the provisional set).

A published version is rebuilt from what was frozen with it, every sheet: the results tree (figures, labels,
channel counts, behaviour and respondent answers, the round's description), the copy of its data rows, and
its publication time as the workbook's time. The same version gives the same bytes, whatever arrived since.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import surveys
from sipas.errors import SipasError
from sipas.models import Agency, Response, ResponseStatus, Round
from sipas.reports.narrative import narrative_docx
from sipas.reports.sheets import Labels, footer, workbook_sheets
from sipas.reports.xlsx import workbook_bytes, write_workbook
from sipas.results import SAMPLED, RoundResults, channel_group, to_payload
from sipas.services import national
from sipas.services.accounting import StratumCount, sample_accounting
from sipas.services.comments import ThemeCounts, themes_by_agency
from sipas.services.interchange_export import export_rows
from sipas.services.results import store, view
from sipas.services.results.snapshot import frozen_rows
from sipas.services.scope import agency_subtree, codes_of, filter_rows


class NotComputed(SipasError):
    """The round has no stored results yet: they are being computed in the background."""


class ReportIncomplete(SipasError):
    """The data sheet did not receive every valid response: the workbook is not handed out."""


@dataclass(frozen=True)
class ReportData:
    """Everything the workbook shows: the stored results tree and, on request, the data rows."""

    results: RoundResults
    profile: surveys.Profile
    #: The workbook's time: the publication time of a published version (so its bytes never change).
    generated_at: datetime
    #: SHA-256 of the whole stored results (the same published version, the same checksum).
    checksum: str
    data_rows: Callable[[], Iterator[list]] | None = None
    data_count: int = 0
    #: An agency workbook: the agency's code (its figures, the whole round only as a reference); None: the round.
    scope: str | None = None
    #: A national round's three-year trend class of each province (from the stored earlier rounds).
    trends: national.Trends | None = None
    #: Sample accounting per stratum and comment themes per agency, as at `generated_at` (a published version:
    #: what had arrived by its publication, so its workbook keeps the same figures).
    accounting: tuple[StratumCount, ...] = ()
    themes: ThemeCounts = field(default_factory=dict)

    @property
    def provisional(self) -> bool:
        """Not published: the figures may still change."""
        return self.results.provisional

    @property
    def round_code(self) -> str:
        """The round's code."""
        return self.results.round_code

    @property
    def round_name(self) -> str:
        """The round's name when the results were computed."""
        return self.results.info.name if self.results.info else self.results.round_code

    @property
    def year(self) -> int | None:
        """The round's year."""
        return self.results.info.year if self.results.info else None

    @property
    def period(self) -> tuple[str, str]:
        """The round's collection dates (ISO), "" where not set."""
        info = self.results.info
        return (info.opens_on or "", info.closes_on or "") if info else ("", "")

    @property
    def province(self) -> str:
        """What the round covers: the province's name, or the whole country."""
        info = self.results.info
        return info.jurisdiction_name if info and info.jurisdiction_name else "Toàn quốc"

    @property
    def issuer(self) -> str:
        """Who issues the report: the province's Department of Home Affairs, or the Ministry."""
        info = self.results.info
        if info is None or not info.jurisdiction_name:
            return "Bộ Nội vụ"
        name = info.jurisdiction_name
        short = name.removeprefix("Tỉnh ").removeprefix("Thành phố ")
        return f"Sở Nội vụ {'thành phố' if name.startswith('Thành phố') else 'tỉnh'} {short}"

    @property
    def method_version(self) -> str:
        """The method the figures follow."""
        return self.results.method_version

    @property
    def admin_map(self) -> str:
        """The administrative map the figures are on."""
        return self.results.admin_map

    @property
    def version(self) -> int | None:
        """The published version, or None."""
        return self.results.version

    @property
    def published_at(self) -> datetime | None:
        """When the version was published, or None."""
        return self.results.published_at

    @property
    def channel_counts(self) -> Mapping[str, int]:
        """Valid responses per channel in the snapshot."""
        return self.results.channel_counts

    @property
    def distributions(self) -> Mapping[str, Mapping[int, tuple[int, float]]]:
        """Behaviour and respondent answers in the snapshot."""
        return self.results.distributions

    @property
    def agencies(self) -> dict[str, tuple[str, str]]:
        """Agency code -> (name, level), as frozen with the results."""
        labels = self.results.labels.get("agency", {})
        tiers = {g.key: g.tier or "" for g in self.results.groups if g.by == "agency"}
        return {code: (label.name, tiers.get(code, "")) for code, label in labels.items()}


def results_checksum(results: RoundResults) -> str:
    """SHA-256 of the canonical JSON of the results: the same published version gives the same checksum."""
    return hashlib.sha256(json.dumps(to_payload(results), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _valid_count(session: Session, rnd: Round) -> int:
    return session.scalar(select(func.count()).select_from(Response).where(
        Response.round_id == rnd.id, Response.status == ResponseStatus.VALID)) or 0


def _frozen_valid(session: Session, rnd: Round, data: ReportData, agency_ids: set[int] | None
                  ) -> tuple[dict[str, int] | None, set[str] | None]:
    """For a published version: its valid sampled responses per stratum and the ids of all it counted, read from
    the copy of its rows (statuses reviewed since then do not change it); (None, None) for provisional figures."""
    info = store.published_info(session, rnd, data.version) if data.version is not None else None
    snapshot = store.result_set(session, info).snapshot if info is not None else None
    if snapshot is None:
        return None, None
    rows = iter(frozen_rows(snapshot))
    header = next(rows)
    at = {name: header.index(name) for name in ("response_id", "agency_code", "channel", "stratum")}
    allowed = codes_of(session, agency_ids) if agency_ids is not None else None
    per_stratum: dict[str, int] = {}
    uuids: set[str] = set()
    for row in rows:
        if allowed is not None and row[at["agency_code"]] not in allowed:
            continue
        uuids.add(row[at["response_id"]])
        if channel_group(row[at["channel"]]) == SAMPLED:
            per_stratum[row[at["stratum"]]] = per_stratum.get(row[at["stratum"]], 0) + 1
    return per_stratum, uuids


def _with_counts(data: ReportData, session: Session, rnd: Round, agency_ids: set[int] | None = None
                 ) -> ReportData:
    """The data with its sample accounting and comment themes (of some agencies only, for an agency's report),
    as at the data's time; a published version's valid responses are those it counted."""
    valid, uuids = _frozen_valid(session, rnd, data, agency_ids)
    return dataclasses.replace(
        data, accounting=tuple(sample_accounting(session, rnd, agency_ids, as_at=data.generated_at, valid=valid)),
        themes=themes_by_agency(session, rnd, agency_ids=agency_ids, as_at=data.generated_at, valid_uuids=uuids))


def report_data(session: Session, rnd: Round, *, version: int | None = None, prefer: str = view.PUBLISHED,
                with_data: bool = False) -> ReportData:
    """The report data of a round from its stored results (NotComputed when there are none yet)."""
    shown = view.shown(session, rnd, prefer=prefer, version=version)
    if shown.results is None:
        raise NotComputed(f"the results of round {rnd.code} are not computed yet: they are being computed")
    results = shown.results
    published = results.published_at is not None
    data = _with_counts(ReportData(results, surveys.load(results.profile),
                                   results.published_at or datetime.now(timezone.utc), results_checksum(results),
                                   trends=national.trends(session, rnd, results)
                                   if results.groups_by("province") else None),
                        session, rnd)
    if not with_data:
        return data
    if published:
        info = store.published_info(session, rnd, results.version)
        snapshot = store.result_set(session, info).snapshot if info is not None else None
        if snapshot is None:
            raise SipasError(f"version {results.version} of round {rnd.code} was published without its data copy")
        rows = frozen_rows(snapshot)
        return dataclasses.replace(data, data_rows=lambda: iter(rows), data_count=rows.rows)
    return dataclasses.replace(data, data_rows=lambda: export_rows(session, rnd, data.profile),
                               data_count=_valid_count(session, rnd))


def restrict_to_agency(data: ReportData, session: Session, agency: Agency) -> ReportData:
    """An agency's workbook: of the agencies only this one and those under it, its figures on every sheet (the
    whole round's only as labelled reference figures), and in the data sheet only their responses (an agency
    scope limits the data sheet too, whatever roles the user holds)."""
    subtree = agency_subtree(session, agency.id)
    allowed = codes_of(session, subtree)
    rnd = session.scalar(select(Round).where(Round.code == data.round_code))
    if rnd is not None:
        data = _with_counts(data, session, rnd, set(subtree))
    results = data.results
    groups = tuple(g for g in results.groups if g.by != "agency" or g.key in allowed)
    labels = {**results.labels, "agency": {k: v for k, v in results.labels.get("agency", {}).items() if k in allowed}}
    scoped = dataclasses.replace(data, results=dataclasses.replace(results, groups=groups, labels=labels),
                                 scope=agency.code)
    if data.data_rows is None:
        return scoped
    source = data.data_rows

    def rows() -> Iterator[list]:
        return filter_rows(iter(source()), allowed)

    # Counted on a first pass (an agency's rows are few): the writer's count is checked against it.
    count = sum(1 for _ in rows()) - 1
    return dataclasses.replace(scoped, data_rows=rows, data_count=max(count, 0))


def build_workbook(data: ReportData, lang: str = "vi", progress=None, *, path: str | Path | None = None
                   ) -> bytes | None:
    """The workbook (bytes, or written to `path` and None returned); the data sheet's row count is checked
    against the count first gathered, and a short file is never handed out."""
    sheets = workbook_sheets(data, lang)
    foot = footer(data, Labels(lang))
    if path is None:
        content, counts = workbook_bytes(sheets, progress, created=data.generated_at, footer=foot)
    else:
        content, counts = None, write_workbook(sheets, path, progress, created=data.generated_at, footer=foot)
    if data.data_rows is not None:
        written = counts[sheets[-1].name]
        if written != data.data_count:
            if path is not None:
                os.remove(path)
            raise ReportIncomplete(f"data sheet has {written} rows, the database {data.data_count}")
    return content


def narrative_bytes(session: Session, rnd: Round, data: ReportData, lang: str,
                    agency: Agency | None = None) -> bytes:
    """The narrative report (.docx bytes), with the sample accounting and comment themes the workbook shows (the
    agency's alone for an agency's report: `data` restricted to it)."""
    if agency is not None and data.scope != agency.code:
        data = restrict_to_agency(data, session, agency)
    return narrative_docx(data, lang, data.accounting, data.generated_at)


def write_narrative(content: bytes, path: str | Path, *, pdf: bool = False) -> None:
    """Write the narrative report (.docx) to `path`, or its PDF through LibreOffice (`soffice`, which must exist)."""
    if not pdf:
        Path(path).write_bytes(content)
        return
    soffice = shutil.which("soffice")
    if soffice is None:
        raise SipasError("a PDF needs LibreOffice (soffice), which is not installed here")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "report.docx"
        source.write_bytes(content)
        subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", folder, str(source)], check=True,
                       timeout=300, capture_output=True)
        shutil.move(str(Path(folder) / "report.pdf"), str(path))
