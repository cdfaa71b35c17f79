"""The `sipas` command: Flask's run/shell/routes plus the platform's own commands.

Each command opens a session, calls one service, and commits (views and commands own the commit).
"""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from sipas import create_app
from sipas.db import session_scope
from sipas.errors import SipasError, ValidationFailed

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
units_cli = AppGroup("units", help="Administrative map.")
rounds_cli = AppGroup("rounds", help="Survey rounds.")
agencies_cli = AppGroup("agencies", help="Agencies.")
demo_cli = AppGroup("demo", help="Demo data.")
export_cli = AppGroup("export", help="Export data.")
apikey_cli = AppGroup("apikey", help="API keys for systems that push responses.")
kiosk_cli = AppGroup("kiosk", help="Kiosk tablets.")
invitations_cli = AppGroup("invitations", help="One-time invitation links for sampled respondents.")
import_cli = AppGroup("import", help="Import data.")
jobs_cli = AppGroup("jobs", help="Background jobs.")
retention_cli = AppGroup("retention", help="Privacy retention.")
sample_cli = AppGroup("sample", help="Sample design: frames and draws.")
frame_cli = AppGroup("frame", help="Sampling frames (lists of completed dossiers).")
sample_cli.add_command(frame_cli)


def _fail(exc: Exception) -> None:
    click.echo(f"error: {exc}", err=True)
    problems = getattr(exc, "problems", None)
    if problems:
        for key, message in (problems.items() if isinstance(problems, dict) else enumerate(problems, 1)):
            click.echo(f"  {key}: {message}", err=True)
    sys.exit(1)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations (default: to the latest)."""
    from sipas import migrate
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (e.g. base)."""
    from sipas import migrate
    migrate.downgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@units_cli.command("import")
def units_import() -> None:
    """Load the 2025 map (34 provinces, 3,321 communes), the pre-2025 map (63 provinces) and the crosswalk."""
    from sipas.services.units import import_admin_maps
    with session_scope() as session:
        report = import_admin_maps(session)
    for line in report.lines():
        click.echo(line)


@rounds_cli.command("list")
def rounds_list() -> None:
    """List rounds: id, code, name, year, profile, map, valid responses."""
    from sipas.services.catalog import list_rounds
    with session_scope() as session:
        rows = list_rounds(session)
        click.echo("id\tcode\tname\tyear\tprofile\tmap\tstatus\tresponses")
        for s in rows:
            r = s.round
            click.echo(f"{r.id}\t{r.code}\t{r.name}\t{r.year}\t{r.profile_key}\t{r.admin_map.value}\t"
                       f"{r.status.value}\t{s.responses}")


@agencies_cli.command("list")
@click.option("--round", "round_key", help="Only agencies taking part in this round (code or id).")
def agencies_list(round_key: str | None) -> None:
    """List agencies: code, level, kind, name, validity."""
    from sipas.services.catalog import list_agencies
    try:
        with session_scope() as session:
            agencies = list_agencies(session, round_key)
            click.echo("code\tlevel\tkind\tname\tvalid_from\tvalid_to")
            for a in agencies:
                click.echo(f"{a.code}\t{a.level.value}\t{a.kind.value}\t{a.name}\t{a.valid_from or ''}\t"
                           f"{a.valid_to or ''}")
    except SipasError as exc:
        _fail(exc)


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the demo is already there.")
@click.option("--scale", default=1.0, show_default=True, help="Multiply the number of responses.")
def demo_load(if_empty: bool, scale: float) -> None:
    """Load the Lai Châu demo (map, agencies, rounds, synthetic responses, demo users)."""
    from sipas.services import demo
    with session_scope() as session:
        if demo.demo_loaded(session):
            if if_empty:
                click.echo("demo already loaded")
                return
            _fail(SipasError("the demo is already loaded"))
        click.echo("loading the demo (administrative maps, Lai Châu, three rounds)...")
        summary = demo.load_demo(session, scale=scale)
    for code, n in summary.rounds.items():
        click.echo(f"  round {code}: {n} responses")


@click.command("start")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def start(host: str, port: int) -> None:
    """Apply migrations, load the demo on first start of the embedded default, and serve."""
    from sipas import migrate
    from sipas.services import demo
    migrate.upgrade(current_app.config["DATABASE_URL"])
    if current_app.config.get("EMBEDDED_DEFAULT") and current_app.config["DEMO_ON_FIRST_START"]:
        with session_scope() as session:
            if not demo.demo_loaded(session):
                click.echo("first start: loading the Lai Châu demo (about a minute)...")
                demo.load_demo(session)
        click.echo(f"\nDemo logins (password {demo.DEMO_PASSWORD!r}): admin, analyst, manager, surveyor, verifier")
    click.echo(f"SIPAS is running on http://{host}:{port}/  (Ctrl+C to stop)\n")
    # Background jobs run in this process on the embedded queue (production: `sipas jobs worker`).
    from sipas.jobs import start_consumer
    consumer = start_consumer(current_app._get_current_object())
    # Flask ignores app.run() inside its own CLI, so serve through Werkzeug directly (threaded, no reloader).
    from werkzeug.serving import run_simple
    try:
        run_simple(host, port, current_app._get_current_object(), threaded=True)
    finally:
        consumer.stop()


def init_app(app) -> None:
    """Attach the command groups to the app's CLI."""
    for group in (db_cli, units_cli, rounds_cli, agencies_cli, demo_cli, export_cli, apikey_cli, kiosk_cli,
                  invitations_cli, import_cli, jobs_cli, retention_cli, sample_cli, start, analyze, report):
        app.cli.add_command(group)


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False, load_dotenv=False)
def main() -> None:
    """SIPAS: citizens' satisfaction with public administrative services."""


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
    import surveys
    from sipas.services import indexing, reporting
    from sipas.services.catalog import get_round
    groupings = tuple(b.strip() for b in by.split(",") if b.strip())
    unknown = set(groupings) - set(indexing.GROUPINGS)
    if unknown or not groupings:
        _fail(SipasError(f"--by takes all, level, agency (got {by!r})"))
    if not 0 < confidence < 1:
        _fail(SipasError("--confidence must be between 0 and 1"))
    try:
        if input_file and not round_key:
            if not profile_key:
                _fail(SipasError("--profile is required with a file"))
            from sipas.services.interchange import read_table
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
            _fail(SipasError("give either INPUT_FILE with --profile, or --round"))
    except (SipasError, surveys.ProfileError) as exc:
        _fail(exc)
    with open(output, "w", encoding="utf-8") as f:
        f.write(reporting.dumps(result))
    n_groups = len(result["groups"])
    click.echo(f"{n_groups} groups written to {output}")


@export_cli.command("responses")
@click.option("--round", "round_key", required=True, help="Round code or id.")
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="CSV file to write.")
def export_responses(round_key: str, output: str) -> None:
    """Write a round's valid responses in the interchange format (no comments, no personal data)."""
    import surveys
    from sipas.services.catalog import get_round
    from sipas.services.interchange import write_csv
    try:
        with session_scope() as session:
            rnd = get_round(session, round_key)
            n = write_csv(session, rnd, surveys.load(rnd.profile_key), output)
    except SipasError as exc:
        _fail(exc)
    click.echo(f"{n} responses written to {output}")


@apikey_cli.command("create")
@click.option("--name", required=True, help="Who uses the key, e.g. 'Hệ thống một cửa tỉnh'.")
@click.option("--agency", "agency_code", help="Limit the key to this agency and those under it.")
def apikey_create(name: str, agency_code: str | None) -> None:
    """Issue an API key and print it once (only its hash is stored)."""
    from sipas.services import audit, credentials
    try:
        with session_scope() as session:
            key, token = credentials.create_api_key(session, name, agency_code)
            audit.record(session, "api_key_created", actor="cli", object_type="api_key", object_id=key.id,
                         detail={"name": name, "agency": agency_code})
    except SipasError as exc:
        _fail(exc)
    click.echo(f"API key for {name!r} (shown once, keep it secret):\n{token}")


@kiosk_cli.command("add")
@click.option("--service-point", "service_point", required=True, help="Service point code.")
@click.option("--name", help="A name for the tablet.")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True, help="Public address of the site.")
def kiosk_add(service_point: str, name: str | None, base_url: str) -> None:
    """Enrol a tablet: prints its enrolment URL, device token and a QR code of the URL."""
    import segno
    from sipas.services import audit, credentials
    try:
        with session_scope() as session:
            device, token = credentials.enrol_kiosk(session, service_point, name)
            audit.record(session, "kiosk_enrolled", actor="cli", object_type="kiosk_device", object_id=device.id,
                         detail={"service_point": service_point})
    except SipasError as exc:
        _fail(exc)
    url = f"{base_url.rstrip('/')}/kiosk/enrol?token={token}"
    click.echo(f"device token (shown once): {token}\nenrolment URL: {url}\n")
    segno.make(url, error="m").terminal(compact=True)


@kiosk_cli.command("gaps")
def kiosk_gaps() -> None:
    """Per enrolled device: last sequence number seen and missing sequence ranges (lost responses)."""
    from sqlalchemy import select
    from sipas.models import KioskDevice
    from sipas.services.credentials import device_gaps
    with session_scope() as session:
        click.echo("device\tservice_point\trevoked\tmissing")
        for device in session.scalars(select(KioskDevice).order_by(KioskDevice.id)):
            gaps = device_gaps(session, device)
            shown = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in gaps) or "none"
            click.echo(f"{device.id}\t{device.service_point.code}\t{'yes' if device.revoked_at else 'no'}\t{shown}")


@invitations_cli.command("create")
@click.option("--round", "round_key", required=True)
@click.option("--agency", "agency_code", required=True)
@click.option("--count", required=True, type=int)
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="CSV of serials and links.")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
def invitations_create(round_key: str, agency_code: str, count: int, output: str, base_url: str) -> None:
    """Create one-time links (each accepts exactly one response) and write them to a CSV for mail merge."""
    import csv
    from sipas.services import audit
    from sipas.services.catalog import get_agency, get_round
    from sipas.services.interchange import csv_safe
    from sipas.services.invitations import create_invitations
    try:
        with session_scope() as session:
            rnd, agency = get_round(session, round_key), get_agency(session, agency_code)
            made = create_invitations(session, rnd, agency, count)
            audit.record(session, "invitations_created", actor="cli", object_type="round", object_id=rnd.id,
                         detail={"agency": agency.code, "count": count})
            rows = [(inv.serial, agency.code, f"{base_url.rstrip('/')}/i/{token}") for inv, token in made]
    except SipasError as exc:
        _fail(exc)
    with open(output, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["serial", "agency_code", "link"])
        writer.writerows([[csv_safe(c) for c in row] for row in rows])
    click.echo(f"{len(rows)} invitation links written to {output}")


@import_cli.command("responses")
@click.argument("input_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--round", "round_key", required=True, help="Round code or id.")
@click.option("--skip-invalid", is_flag=True, help="Import the clean rows and list the rows left out.")
def import_responses(input_file: str, round_key: str, skip_invalid: bool) -> None:
    """Import already-digitised responses (interchange format, CSV or XLSX) into a round.

    A file with any problem changes nothing, unless --skip-invalid is given. Importing the same file twice
    adds nothing the second time.
    """
    import surveys
    from sipas.services import audit
    from sipas.services.catalog import get_round
    from sipas.services.interchange import import_table, read_table
    try:
        with session_scope() as session:
            rnd = get_round(session, round_key)
            profile = surveys.load(rnd.profile_key)
            if skip_invalid:
                table, skipped = read_table(input_file, profile, skip_invalid=True)
            else:
                table, skipped = read_table(input_file, profile), []
            created, existing, problems = import_table(session, rnd, table)
            if problems and not skip_invalid:
                raise ValidationFailed(problems, f"{len(problems)} problems, nothing was imported")
            skipped += problems
            audit.record(session, "responses_imported", actor="cli", object_type="round", object_id=rnd.id,
                         detail={"file": str(input_file), "created": created, "skipped": len(skipped)})
    except SipasError as exc:
        _fail(exc)
    click.echo(f"{created} responses imported, {existing} already there, {len(skipped)} rows skipped")
    for line in skipped:
        click.echo(f"  skipped: {line}")


@click.command("report")
@click.option("--round", "round_key", required=True, help="Round code or id.")
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="The .xlsx file to write.")
@click.option("--agency", "agency_code", help="Only this agency (and the whole-round figures for context).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.option("--with-data", is_flag=True, help="Add the anonymised responses as a Data sheet.")
def report(round_key: str, output: str, agency_code: str | None, lang: str, with_data: bool) -> None:
    """Write the SIPAS workbook of a round (published figures when the round is published)."""
    from sipas.services import audit
    from sipas.services.catalog import get_agency, get_round
    from sipas.services.report import build_workbook, gather, restrict_to_agency
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
        _fail(exc)
    import os
    state = "provisional (not published)" if data.provisional else f"published version {data.version}"
    click.echo(f"{output}: {os.path.getsize(output):,} bytes, {state}")


@rounds_cli.command("publish")
@click.argument("round_key")
def rounds_publish(round_key: str) -> None:
    """Compute and publish a round's results (frozen; a later recomputation is a new version)."""
    from sipas.services.catalog import get_round
    from sipas.services.publishing import publish
    try:
        with session_scope() as session:
            rs = publish(session, get_round(session, round_key))
            click.echo(f"round {round_key} published as version {rs.version} (snapshot {rs.snapshot_id})")
    except SipasError as exc:
        _fail(exc)


@jobs_cli.command("worker")
@click.option("--workers", default=2, show_default=True)
def jobs_worker(workers: int) -> None:
    """Run the background-job consumer (beside gunicorn; several hosts need SIPAS_JOBS_URL=redis://...)."""
    from sipas.jobs import queue
    click.echo(f"consuming jobs with {workers} worker threads (Ctrl+C to stop)")
    queue().create_consumer(workers=workers, worker_type="thread").run()


@rounds_cli.command("create")
@click.option("--code", required=True)
@click.option("--name", default="")
@click.option("--year", required=True, type=int)
@click.option("--profile", "profile_key", required=True, help="SIPAS_2640, SIPAS_1001 or KIOSK_RT.")
@click.option("--map", "admin_map", default="new_34", show_default=True, help="new_34 or historical_63.")
@click.option("--province", "province_code", help="Official province code (the jurisdiction).")
@click.option("--opens", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--closes", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--channels", default="paper_post,paper_direct,invitation", show_default=True)
@click.option("--agencies", "agency_codes", required=True, help="Comma-separated agency codes.")
def rounds_create(code, name, year, profile_key, admin_map, province_code, opens, closes, channels,
                  agency_codes) -> None:
    """Create a survey round (as a draft; open it with `sipas rounds open`)."""
    from sipas.services import admin, audit
    try:
        with session_scope() as session:
            rnd = admin.create_round(session, code=code, name=name, year=year, profile_key=profile_key,
                                     admin_map=admin_map, province_code=province_code,
                                     opens_on=opens.date() if opens else None, closes_on=closes.date() if closes else None,
                                     channels=[c.strip() for c in channels.split(",") if c.strip()],
                                     agency_codes=[c.strip() for c in agency_codes.split(",") if c.strip()])
            audit.record(session, "round_created", actor="cli", object_type="round", object_id=rnd.id)
    except SipasError as exc:
        _fail(exc)
    click.echo(f"round {code} created (draft)")


def _round_status(round_key: str, status: str) -> None:
    from sipas.models import RoundStatus
    from sipas.services import admin, audit
    from sipas.services.catalog import get_round
    try:
        with session_scope() as session:
            rnd = get_round(session, round_key)
            admin.set_status(session, rnd, RoundStatus(status))
            audit.record(session, f"round_{status}", actor="cli", object_type="round", object_id=rnd.id)
    except SipasError as exc:
        _fail(exc)
    click.echo(f"round {round_key} is {status}")


@rounds_cli.command("open")
@click.argument("round_key")
def rounds_open(round_key: str) -> None:
    """Open a round for responses."""
    _round_status(round_key, "open")


@rounds_cli.command("close")
@click.argument("round_key")
def rounds_close(round_key: str) -> None:
    """Close a round (late paper forms can still be keyed)."""
    _round_status(round_key, "closed")


@agencies_cli.command("import")
@click.argument("input_file", type=click.Path(exists=True, dir_okay=False))
def agencies_import(input_file: str) -> None:
    """Create or update agencies from CSV/XLSX; any problem (reported by row) changes nothing."""
    from sipas.services import audit
    from sipas.services.admin import import_agencies
    try:
        with session_scope() as session:
            report = import_agencies(session, input_file)
            audit.record(session, "agencies_imported", actor="cli", detail={"created": report.created,
                                                                             "updated": report.updated})
    except SipasError as exc:
        _fail(exc)
    click.echo(f"{report.created} agencies created, {report.updated} updated")


@retention_cli.command("run")
@click.option("--months", type=int, help="Override SIPAS_COMMENT_RETENTION_MONTHS.")
@click.option("--dry-run", is_flag=True, help="Only count.")
def retention_run(months: int | None, dry_run: bool) -> None:
    """Delete free-text comments older than the retention period (run it daily, e.g. from cron)."""
    from sipas.services import audit
    from sipas.services.retention import delete_old_comments
    months = months or int(current_app.config["COMMENT_RETENTION_MONTHS"])
    with session_scope() as session:
        n = delete_old_comments(session, months, dry_run=dry_run)
        if not dry_run:
            audit.record(session, "comments_deleted", actor="cli", detail={"count": n, "months": months})
    click.echo(f"{n} comments older than {months} months {'would be' if dry_run else 'were'} deleted")


@frame_cli.command("import")
@click.argument("input_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--round", "round_key", required=True)
@click.option("--stratify-by", default="agency", show_default=True,
              help="Frame columns, comma-separated: agency, level, field, service_point, on_time, completed_month.")
def frame_import(input_file: str, round_key: str, stratify_by: str) -> None:
    """Load the list of completed dossiers (CSV/XLSX) a round's sample is drawn from."""
    from sipas.services.catalog import get_round
    from sipas.services.sampling import import_frame
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="loading dossiers")
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        with session_scope() as session:
            n = import_frame(session, get_round(session, round_key), input_file,
                             dossier_key=current_app.config["DOSSIER_HASH_KEY"], stratify_by=stratify_by,
                             progress=progress)
    except SipasError as exc:
        _fail(exc)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    click.echo(f"{n:,} dossiers loaded")


@frame_cli.command("stratify")
@click.option("--round", "round_key", required=True)
@click.option("--by", "stratify_by", required=True,
              help="Frame columns, comma-separated: agency, level, field, service_point, on_time, completed_month.")
def frame_stratify(round_key: str, stratify_by: str) -> None:
    """Stratify the loaded frame anew (before the draw), without loading the file again."""
    from sipas.services.catalog import get_round
    from sipas.services.sampling import restratify
    try:
        with session_scope() as session:
            n = restratify(session, get_round(session, round_key), stratify_by)
    except SipasError as exc:
        _fail(exc)
    click.echo(f"{n:,} dossiers stratified by {stratify_by}")


def _plan_options(f):
    for option in (click.option("--total", type=int, help="Total interviews (else n = N/(1+N e^2) per stratum)."),
                   click.option("--allocation", type=click.Choice(["proportional", "equal", "neyman"]),
                                default="proportional", show_default=True),
                   click.option("--e", "margin", type=float, default=0.05, show_default=True),
                   click.option("--deff", type=float, default=1.5, show_default=True),
                   click.option("--minimum", type=int, default=0, show_default=True),
                   click.option("--previous-round", "previous",
                                help="Neyman: the round whose satisfaction shares give S_h (default: the latest "
                                     "earlier round of the same jurisdiction with responses).")):
        f = option(f)
    return f


@sample_cli.command("preview")
@click.option("--round", "round_key", required=True)
@_plan_options
def sample_preview(round_key, total, allocation, margin, deff, minimum, previous) -> None:
    """Strata, frame sizes, sample sizes and the expected margin of error at p = 0.8."""
    from sipas.services.catalog import get_round
    from sipas.services.sampling import preview
    try:
        with session_scope() as session:
            plan = preview(session, get_round(session, round_key), total=total, method=allocation, e=margin,
                           deff=deff, minimum=minimum, previous=get_round(session, previous) if previous else None)
    except (SipasError, ValueError) as exc:
        _fail(exc)
    neyman = any(s.p is not None for s in plan)
    click.echo("stratum\tN\tn\tmargin_of_error_points" + ("\tlast_p\tp_from" if neyman else ""))
    for s in plan:
        click.echo(f"{s.stratum}\t{s.N}\t{s.n}\t{'' if s.margin is None else f'{s.margin:.1f}'}"
                   + (f"\t{s.p:.3f}\t{s.p_source}" if neyman else ""))
    click.echo(f"total\t{sum(s.N for s in plan)}\t{sum(s.n for s in plan)}\t")


@sample_cli.command("draw")
@click.option("--round", "round_key", required=True)
@_plan_options
@click.option("--seed", type=int, required=True, help="Stored with the round: the draw can be reproduced.")
@click.option("--output", required=True, type=click.Path(dir_okay=False),
              help="Invitation list: .csv or .xlsx (by the file's extension).")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
@click.option("--two-stage", "two_stage", help="OFFICES,PER_OFFICE: offices by PPS in each stratum, then dossiers.")
def sample_draw(round_key, total, allocation, margin, deff, minimum, previous, seed, output, base_url,
                two_stage) -> None:
    """Draw the sample and write the invitation list (serial, agency, stratum, PSU, contact, one-time link,
    weight)."""
    from pathlib import Path

    from sipas.services import audit
    from sipas.services.catalog import get_round
    from sipas.services.sampling import draw, invitation_list_bytes, invitation_rows, preview
    fmt = Path(output).suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        _fail(SipasError("--output must end in .csv or .xlsx"))
    try:
        with session_scope() as session:
            rnd = get_round(session, round_key)
            plan = preview(session, rnd, total=total, method=allocation, e=margin, deff=deff, minimum=minimum,
                           previous=get_round(session, previous) if previous else None)
            stages = None
            if two_stage:
                parts = [int(x) for x in two_stage.split(",")]
                if len(parts) != 2:
                    raise SipasError("--two-stage takes OFFICES,PER_OFFICE")
                stages = (parts[0], parts[1])
            drawn = draw(session, rnd, plan, seed=seed, two_stage=stages)
            rows = invitation_rows(session, drawn, lambda token: f"{base_url.rstrip('/')}/i/{token}")
            audit.record(session, "sample_drawn", actor="cli", object_type="round", object_id=rnd.id,
                         detail={"seed": seed, "n": len(drawn)})
    except (SipasError, ValueError) as exc:
        _fail(exc)
    Path(output).write_bytes(invitation_list_bytes(rows, fmt))
    click.echo(f"{len(rows)} dossiers sampled (seed {seed}); invitation list written to {output}")


@sample_cli.command("weights")
@click.option("--round", "round_key", required=True)
@click.option("--rake", "rake_by", default="", help="Frame margins to rake to: agency, field, level (comma-separated).")
@click.option("--trim", default="", help="Bounds relative to the starting weight, e.g. 0.3,3.")
@click.option("--totals", "totals_file", type=click.Path(exists=True, dir_okay=False),
              help="Known control totals (CSV/XLSX: variable,category,total) to calibrate to instead of the frame.")
def sample_weights(round_key: str, rake_by: str, trim: str, totals_file: str | None) -> None:
    """After fieldwork: response rates, non-response adjustment, optional raking; weights written to responses."""
    from sipas.services import audit
    from sipas.services.catalog import get_round
    from sipas.services.sampling import compute_weights, read_control_totals
    try:
        totals = read_control_totals(totals_file) if totals_file else None
        bounds = tuple(float(x) for x in trim.split(",")) if trim else None
        if bounds is not None and len(bounds) != 2:
            raise SipasError("--trim takes two numbers: low,high")
        with session_scope() as session:
            rnd = get_round(session, round_key)
            result = compute_weights(session, rnd, rake_by=tuple(c.strip() for c in rake_by.split(",") if c.strip()),
                                     trim=bounds, totals=totals)
            audit.record(session, "weights_computed", actor="cli", object_type="round", object_id=rnd.id,
                         detail={"rake": rake_by, "trim": trim, "totals": sorted(totals or {})})
    except (SipasError, ValueError) as exc:
        _fail(exc)
    click.echo("stratum\tsampled\tresponded\tresponse_rate")
    for stratum, sampled, responded in result.rates:
        click.echo(f"{stratum}\t{sampled}\t{responded}\t{100 * responded / sampled:.1f}%")
    for line in result.report.lines():
        click.echo(line)
    if result.rake_iterations is not None:
        state = "converged" if result.rake_converged else "did NOT converge (check the margins or the trim bounds)"
        click.echo(f"raking: {result.rake_iterations} iterations, {state}")
        for column, source in (result.calibrated_to or {}).items():
            click.echo(f"  {column}: calibrated to {source}")
