"""Results: analyse a file or a stored round, export responses, the workbook, publishing."""
from __future__ import annotations

import json
import os
import shutil

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

import surveys
from sipas.cli.common import fail
from sipas.cli.setup import rounds_cli
from sipas.db import session_scope
from sipas.errors import SipasError
from sipas.models import AdminMap
from sipas.recompute import fold_counts, publish_now, refresh_now
from sipas.results import UnitLabel, to_payload
from sipas.services import audit, national
from sipas.services.analysis_plan import plan_for
from sipas.services.catalog import get_agency, get_round
from sipas.services.file_reader import read_large_table
from sipas.services.interchange import with_provinces
from sipas.services.interchange_export import write_csv
from sipas.services.results import store as result_store
from sipas.services.results.compute import compute_round, compute_table
from sipas.services.results.publish import preview
from sipas.services.results.snapshot import begin_consistent_read
from sipas.services.results.tree import DEFAULT_GROUPINGS, GROUPINGS
from sipas.services.results.view import PROVISIONAL, PUBLISHED
from sipas.services.units import map_codes
from sipas.services.workbook import build_workbook, narrative_bytes, report_data, restrict_to_agency, write_narrative
from sipas.words import local_time, thousands

export_cli = AppGroup("export", help="Export data.")


def _output_folder_exists(output: str) -> None:
    """Fail before any work when the file could not be written (its folder does not exist)."""
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        fail(SipasError(f"--output: the folder {folder} does not exist; nothing was computed or written"))


def _dumps(payload: dict) -> str:
    # NaN never appears (missing values are null): allow_nan=False fails loudly if one slipped through. No indent:
    # with one, json falls back to its pure-Python encoder, 2.6 times as slow (4.5 s against 1.7 s for the 50 MB
    # of a 3,000-agency round, measured); the file is read by programs, not people.
    return json.dumps(payload, ensure_ascii=False, allow_nan=False)


@click.command("analyze")
@click.argument("input_file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--profile", "profile_key", help="Questionnaire profile of INPUT_FILE (e.g. SIPAS_2640).")
@click.option("--round", "round_key", help="Analyse a stored round instead of a file.")
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="Where to write the JSON.")
@click.option("--by", help="Groupings among all, province, level, agency [default: all,level,agency; a national "
              "round adds province].")
@click.option("--map", "admin_map", type=click.Choice([m.value for m in AdminMap]),
              help="A file: the map of its unit_code column [default: new_34]. A round: re-estimate it on this "
              "map (an old-map round on new_34, through the 2025 crosswalk).")
@click.option("--seed", type=int, help="With a file: the seed of the rank sets' draws [default: 0].")
@click.option("--confidence", default=0.95, show_default=True, type=float)
@click.option("--store", is_flag=True, help="With --round: also store the results as the round's provisional set.")
@with_appcontext
def analyze(input_file, profile_key, round_key, output, by, admin_map, seed, confidence, store) -> None:
    """Compute SIPAS indices with design-based intervals, from a file (no database) or a stored round."""
    groupings = tuple(b.strip() for b in (by or ",".join(DEFAULT_GROUPINGS)).split(",") if b.strip())
    unknown = set(groupings) - set(GROUPINGS)
    if unknown or not groupings:
        fail(SipasError(f"--by takes {', '.join(GROUPINGS)} (got {by!r})"))
    if not 0 < confidence < 1:
        fail(SipasError("--confidence must be between 0 and 1"))
    _output_folder_exists(output)
    try:
        if input_file and not round_key:
            if not profile_key:
                fail(SipasError("--profile is required with a file"))
            plan = plan_for(surveys.load(profile_key), confidence_level=confidence)
            table = read_large_table(input_file, surveys.load(profile_key),
                                     max_rows=current_app.config["ANALYZE_MAX_ROWS"])
            file_map = admin_map or AdminMap.NEW_34.value
            labels = {}
            if "province" in groupings:
                table = with_provinces(table, file_map)
                labels = {"province": {c: UnitLabel(n, None) for c, n in map_codes(file_map)[0].items()
                                       if c in set(table.province if table.province is not None else ())}}
            results = compute_table(plan, table, groupings, source=os.path.basename(input_file),
                                    seed=seed or 0, admin_map=file_map if table.province is not None else "",
                                    labels=labels)
        elif round_key and not input_file:
            with session_scope() as session:
                round_id = get_round(session, round_key).id
            fold_counts(current_app, round_id)  # the analysis then reads counts, not every answer
            with session_scope() as session:
                begin_consistent_read(session)
                rnd = get_round(session, round_key)
                target = AdminMap(admin_map) if admin_map else None
                if store and target is not None and target != rnd.admin_map:
                    fail(SipasError("--store keeps a round's own figures: a re-estimate on another map (--map) "
                                    "is written to --output only"))
                results = compute_round(session, rnd, confidence_level=confidence, by=by and groupings, seed=seed,
                                        admin_map=target)
                if store:
                    session.rollback()  # the read ends; the set is written in a new transaction
                    result_store.save(session, session.get_one(type(rnd), rnd.id), results)
                    click.echo(f"stored as the provisional results of round {results.round_code}")
        else:
            fail(SipasError("give either INPUT_FILE with --profile, or --round"))
    except (SipasError, surveys.ProfileError) as exc:
        fail(exc)
    with open(output, "w", encoding="utf-8") as f:
        f.write(_dumps(to_payload(results)))
    click.echo(f"{len(results.groups)} groups written to {output}")


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
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="The file to write.")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "docx", "pdf"]), default="xlsx", show_default=True,
              help="The workbook (xlsx), or the narrative report (docx; pdf through LibreOffice).")
@click.option("--agency", "agency_code", help="Only this agency (and the whole-round figures for context).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.option("--with-data", is_flag=True, help="Add the anonymised responses as a Data sheet.")
@click.option("--version", "version", type=int, help="A published version (default: the latest).")
@click.option("--provisional", is_flag=True, help="The provisional figures of later data, beside a publication.")
@with_appcontext
def report(round_key: str, output: str, fmt: str, agency_code: str | None, lang: str, with_data: bool,
           version: int | None, provisional: bool) -> None:
    """Write the SIPAS workbook (or the narrative report) of a round: its published version (frozen), or its
    provisional figures."""
    _output_folder_exists(output)
    if fmt == "pdf" and shutil.which("soffice") is None:
        fail(SipasError("a PDF needs LibreOffice (soffice), which is not installed here: "
                        "write --format docx and print it from Word or LibreOffice"))
    try:
        with session_scope() as session:
            round_id = get_round(session, round_key).id
        refresh_now(current_app, round_id)  # a command may compute: the provisional set is brought up to date
        with session_scope() as session:
            rnd = get_round(session, round_key)
            data = report_data(session, rnd, version=version, with_data=with_data,
                               prefer=PROVISIONAL if provisional else PUBLISHED)
            agency = get_agency(session, agency_code) if agency_code else None
            if agency is not None:
                data = restrict_to_agency(data, session, agency)
            if fmt != "xlsx":
                write_narrative(narrative_bytes(session, rnd, data, lang, agency), output, pdf=fmt == "pdf")
                audit.record(session, "report_exported", actor="cli", object_type="round", object_id=rnd.id,
                             detail={"agency": agency_code, "format": fmt, "lang": lang, "version": data.version})
                click.echo(f"{output}: {os.path.getsize(output):,} bytes")
                return
            with click.progressbar(length=max(data.data_count, 1), label="writing the workbook") as bar:
                done = [0]

                def progress(rows: int) -> None:
                    bar.update(rows - done[0])
                    done[0] = rows

                build_workbook(data, lang, progress=progress if with_data else None, path=output)
                bar.update(max(data.data_count, 1) - done[0])
            audit.record(session, "report_exported", actor="cli", object_type="round", object_id=rnd.id,
                         detail={"agency": agency_code, "with_data": with_data, "lang": lang,
                                 "version": data.version})
    except SipasError as exc:
        fail(exc)
    state = "provisional (not published)" if data.provisional else f"published version {data.version}"
    click.echo(f"{output}: {os.path.getsize(output):,} bytes, {state}")


@rounds_cli.command("publish")
@click.argument("round_key")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--note", help="Why this version is published (shown with it).")
@with_appcontext
def rounds_publish(round_key: str, yes: bool, note: str | None) -> None:
    """Publish a round's results as a new frozen version (collection goes on if the round is open)."""
    try:
        with session_scope() as session:
            rnd = get_round(session, round_key)
            seen = preview(session, rnd)
            round_id = rnd.id
        click.echo(f"Publishing freezes the results of round {seen.round_code} over the "
                   f"{thousands(seen.responses, 'en')} valid responses at that moment, with a copy of the data, "
                   f"as version {seen.next_version}.")
        if seen.last_published is not None:
            click.echo(f"Version {seen.last_published.version} ({local_time(seen.last_published.published_at)}, "
                       f"{thousands(seen.last_published.responses, 'en')} responses) stays as it is.")
        click.echo("Collection goes on." if seen.collecting else "The round is closed.")
        if not yes:
            click.confirm("Publish?", abort=True)
        version, responses = publish_now(current_app, round_id, note=note)
    except SipasError as exc:
        fail(exc)
    click.echo(f"round {round_key} published as version {version} ({responses} valid responses)")


@click.command("publication")
@click.option("--round", "round_key", required=True, help="A national round's code or id.")
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="Where to write the JSON.")
@click.option("--provisional", is_flag=True, help="The provisional figures, even when a version is published.")
@with_appcontext
def publication_command(round_key: str, output: str, provisional: bool) -> None:
    """The national publication of a round (provinces ranked, range, top/bottom five, changes) as JSON."""
    _output_folder_exists(output)
    try:
        with session_scope() as session:
            round_id = get_round(session, round_key).id
        refresh_now(current_app, round_id)  # a command may compute: the provisional set is brought up to date
        with session_scope() as session:
            pub = national.for_round(session, get_round(session, round_key),
                                     prefer=PROVISIONAL if provisional else PUBLISHED)
            if pub is None or not pub.provinces:
                fail(SipasError(f"round {round_key} has no province results: a national publication needs a "
                                "round grouped by province"))
    except SipasError as exc:
        fail(exc)
    with open(output, "w", encoding="utf-8") as f:
        f.write(_dumps(national.to_dict(pub)))
    click.echo(f"{len(pub.provinces)} provinces written to {output}")
