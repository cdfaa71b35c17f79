"""Results: analyse a file or a stored round, export responses, the workbook, publishing."""
from __future__ import annotations

import os

import click
from flask.cli import AppGroup, with_appcontext

import surveys
from sipas.cli.common import fail
from sipas.cli.setup import rounds_cli
from sipas.db import session_scope
from sipas.errors import SipasError
from sipas.services import audit, indexing, reporting
from sipas.services.catalog import get_agency, get_round
from sipas.services.interchange import read_table, write_csv
from sipas.services.publishing import publish
from sipas.services.report import build_workbook, gather, restrict_to_agency

export_cli = AppGroup("export", help="Export data.")


@click.command("analyze")
@click.argument("input_file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--profile", "profile_key", help="Questionnaire profile of INPUT_FILE (e.g. SIPAS_2640).")
@click.option("--round", "round_key", help="Analyse a stored round instead of a file.")
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="Where to write the JSON.")
@click.option("--by", default="all,level,agency", show_default=True, help="Groupings: all, level, agency.")
@click.option("--confidence", default=0.95, show_default=True, type=float)
@click.option("--store", is_flag=True, help="With --round: also store the results as a new version.")
@with_appcontext
def analyze(input_file, profile_key, round_key, output, by, confidence, store) -> None:
    """Compute SIPAS indices with design-based intervals, from a file (no database) or a stored round."""
    groupings = tuple(b.strip() for b in by.split(",") if b.strip())
    unknown = set(groupings) - set(indexing.GROUPINGS)
    if unknown or not groupings:
        fail(SipasError(f"--by takes all, level, agency (got {by!r})"))
    if not 0 < confidence < 1:
        fail(SipasError("--confidence must be between 0 and 1"))
    try:
        if input_file and not round_key:
            if not profile_key:
                fail(SipasError("--profile is required with a file"))
            plan = indexing.plan_for(surveys.load(profile_key), confidence_level=confidence)
            table = read_table(input_file, surveys.load(profile_key))
            result = indexing.analyse_table(plan, table, groupings)
        elif round_key and not input_file:
            with session_scope() as session:
                rnd = get_round(session, round_key)
                result = reporting.analyse_round(session, rnd, confidence_level=confidence, by=groupings)
                if store:
                    rs = reporting.store_results(session, rnd, result)
                    click.echo(f"stored as version {rs.version} of round {rnd.code}")
        else:
            fail(SipasError("give either INPUT_FILE with --profile, or --round"))
    except (SipasError, surveys.ProfileError) as exc:
        fail(exc)
    with open(output, "w", encoding="utf-8") as f:
        f.write(reporting.dumps(result))
    n_groups = len(result["groups"])
    click.echo(f"{n_groups} groups written to {output}")


@export_cli.command("responses")
@click.option("--round", "round_key", required=True, help="Round code or id.")
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="CSV file to write.")
def export_responses(round_key: str, output: str) -> None:
    """Write a round's valid responses in the interchange format (no comments, no personal data)."""
    try:
        with session_scope() as session:
            rnd = get_round(session, round_key)
            n = write_csv(session, rnd, surveys.load(rnd.profile_key), output)
    except SipasError as exc:
        fail(exc)
    click.echo(f"{n} responses written to {output}")


@click.command("report")
@click.option("--round", "round_key", required=True, help="Round code or id.")
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="The .xlsx file to write.")
@click.option("--agency", "agency_code", help="Only this agency (and the whole-round figures for context).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.option("--with-data", is_flag=True, help="Add the anonymised responses as a Data sheet.")
def report(round_key: str, output: str, agency_code: str | None, lang: str, with_data: bool) -> None:
    """Write the SIPAS workbook of a round (published figures when the round is published)."""
    try:
        with session_scope() as session:
            rnd = get_round(session, round_key)
            data = gather(session, rnd, with_data=with_data)
            if agency_code:
                restrict_to_agency(data, get_agency(session, agency_code))
            with click.progressbar(length=max(data.data_count, 1), label="writing the workbook") as bar:
                done = [0]

                def progress(rows: int) -> None:
                    bar.update(rows - done[0])
                    done[0] = rows

                build_workbook(data, lang, progress=progress if with_data else None, path=output)
                bar.update(max(data.data_count, 1) - done[0])
            audit.record(session, "report_exported", actor="cli", object_type="round", object_id=rnd.id,
                         detail={"agency": agency_code, "with_data": with_data, "lang": lang})
    except SipasError as exc:
        fail(exc)
    state = "provisional (not published)" if data.provisional else f"published version {data.version}"
    click.echo(f"{output}: {os.path.getsize(output):,} bytes, {state}")


@rounds_cli.command("publish")
@click.argument("round_key")
def rounds_publish(round_key: str) -> None:
    """Compute and publish a round's results (frozen; a later recomputation is a new version)."""
    try:
        with session_scope() as session:
            rs = publish(session, get_round(session, round_key))
            click.echo(f"round {round_key} published as version {rs.version} (snapshot {rs.snapshot_id})")
    except SipasError as exc:
        fail(exc)

