"""Setting up and running the platform: database, maps, rounds, agencies, demo, server, jobs, retention."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from werkzeug.serving import run_simple

from sipas import migrate, words
from sipas.cli.common import fail
from sipas.db import optimize, session_scope
from sipas.errors import SipasError
from sipas.jobs import beat, queue, start_consumer
from sipas.models import RoundStatus
from sipas.services import admin, audit, demo, demo_national
from sipas.services.admin import import_agencies
from sipas.services.catalog import get_round, list_agencies, list_rounds
from sipas.services.retention import delete_old_comments
from sipas.services.units import import_admin_maps

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")


units_cli = AppGroup("units", help="Administrative map.")


rounds_cli = AppGroup("rounds", help="Survey rounds.")


agencies_cli = AppGroup("agencies", help="Agencies.")


demo_cli = AppGroup("demo", help="Demo data.")


jobs_cli = AppGroup("jobs", help="Background jobs.")


retention_cli = AppGroup("retention", help="Privacy retention.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations (default: to the latest)."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    with session_scope() as session:
        optimize(session)  # new indexes get planner statistics on SQLite
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (e.g. base)."""
    migrate.downgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


def _day(day) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


@units_cli.command("import")
def units_import() -> None:
    """Load the 2025 map (34 provinces, 3,321 communes), the pre-2025 map (63 provinces) and the crosswalk."""
    with session_scope() as session:
        report = import_admin_maps(session)
    for line in report.lines():
        click.echo(line)


LANG_OPTION = click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True,
                           help="Language of the words in the table (levels, maps, methods, statuses).")


def _table_row(*cells: object) -> str:
    """A tab-separated line (a table a person reads, and that pastes into a spreadsheet)."""
    return "\t".join("" if c is None else str(c) for c in cells)


@rounds_cli.command("list")
@LANG_OPTION
def rounds_list(lang: str) -> None:
    """List rounds: id, code, name, year, method (its decision), map, status, valid responses, in words."""
    en = lang == "en"
    with session_scope() as session:
        rows = list_rounds(session)
        click.echo(_table_row(*(("id", "code", "name", "year", "method", "map", "status", "valid responses") if en
                                else ("id", "mã", "tên", "năm", "phương pháp", "bản đồ", "trạng thái",
                                      "phiếu hợp lệ"))))
        for s in rows:
            r = s.round
            click.echo(_table_row(r.id, r.code, r.name, r.year, words.word("method", r.profile_key, lang),
                                  words.word("admin_map", r.admin_map, lang),
                                  words.word("round_status", r.status, lang), words.thousands(s.responses, lang)))


@agencies_cli.command("list")
@click.option("--round", "round_key", help="Only agencies taking part in this round (code or id).")
@LANG_OPTION
def agencies_list(round_key: str | None, lang: str) -> None:
    """List agencies: code, level, kind, name, validity (dd/mm/yyyy), in words."""
    en = lang == "en"
    try:
        with session_scope() as session:
            agencies = list_agencies(session, round_key)
            click.echo(_table_row(*(("code", "level", "kind", "name", "valid from", "valid to") if en
                                    else ("mã", "cấp", "loại", "tên", "hiệu lực từ", "hiệu lực đến"))))
            for a in agencies:
                click.echo(_table_row(a.code, words.word("level", a.level, lang),
                                      words.word("agency_kind", a.kind, lang), a.name, _day(a.valid_from),
                                      _day(a.valid_to)))
    except SipasError as exc:
        fail(exc)


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the demo is already there.")
@click.option("--scale", default=1.0, show_default=True, help="Multiply the number of responses.")
@click.option("--national", is_flag=True, help="Load the national rounds VN-2024 (63 provinces) and VN-2026 "
              "(34 provinces) under SIPAS_1001 instead (about 36,500 respondents each at scale 1).")
def demo_load(if_empty: bool, scale: float, national: bool) -> None:
    """Load the Lai Châu demo (map, agencies, rounds, synthetic responses, demo users), or the national one."""
    if not scale > 0:
        fail(SipasError("--scale must be positive"))
    if national:
        with session_scope() as session:
            if demo_national.national_loaded(session):
                if if_empty:
                    click.echo("national demo already loaded")
                    return
                fail(SipasError("the national demo is already loaded"))
            click.echo("loading the national demo (administrative maps, VN-2024, VN-2026)...")
            counts = demo_national.load_national(session, scale=scale)
        for code, n in counts.items():
            click.echo(f"  round {code}: {n} responses")
        return
    with session_scope() as session:
        if demo.demo_loaded(session):
            if if_empty:
                click.echo("demo already loaded")
                return
            fail(SipasError("the demo is already loaded"))
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
    migrate.upgrade(current_app.config["DATABASE_URL"])
    if current_app.config.get("EMBEDDED_DEFAULT") and current_app.config["DEMO_ON_FIRST_START"]:
        with session_scope() as session:
            if not demo.demo_loaded(session):
                click.echo("first start: loading the Lai Châu demo (about a minute)...")
                demo.load_demo(session)
        click.echo(f"\nDemo logins (password {demo.DEMO_PASSWORD!r}): admin, analyst, manager, surveyor, verifier")
    click.echo(f"SIPAS is running on http://{host}:{port}/  (Ctrl+C to stop)\n")
    # Background jobs run in this process on the embedded queue (production: `sipas jobs worker`).
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's target
    consumer = start_consumer(app)
    # Flask ignores app.run() inside its own CLI, so serve through Werkzeug directly (threaded, no reloader).
    try:
        run_simple(host, port, app, threaded=True)
    finally:
        consumer.stop()


@jobs_cli.command("worker")
@click.option("--workers", default=2, show_default=True)
def jobs_worker(workers: int) -> None:
    """Run the background-job consumer (beside gunicorn; several hosts need SIPAS_JOBS_URL=redis://...)."""
    click.echo(f"consuming jobs with {workers} worker threads (Ctrl+C to stop)")
    consumer = queue().create_consumer(workers=workers, worker_type="thread")
    beat(current_app._get_current_object(), consumer)  # type: ignore[attr-defined]  # the proxy's target
    consumer.run()


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
    try:
        with session_scope() as session:
            rnd = admin.create_round(session, code=code, name=name, year=year, profile_key=profile_key,
                                     admin_map=admin_map, province_code=province_code,
                                     opens_on=opens.date() if opens else None,
                                     closes_on=closes.date() if closes else None,
                                     channels=[c.strip() for c in channels.split(",") if c.strip()],
                                     agency_codes=[c.strip() for c in agency_codes.split(",") if c.strip()])
            audit.record(session, "round_created", actor="cli", object_type="round", object_id=rnd.id)
    except SipasError as exc:
        fail(exc)
    click.echo(f"round {code} created (draft)")


def _round_status(round_key: str, status: str) -> None:
    try:
        with session_scope() as session:
            rnd = get_round(session, round_key)
            admin.set_status(session, rnd, RoundStatus(status))
            audit.record(session, f"round_{status}", actor="cli", object_type="round", object_id=rnd.id)
    except SipasError as exc:
        fail(exc)
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
    try:
        with session_scope() as session:
            report = import_agencies(session, input_file)
            audit.record(session, "agencies_imported", actor="cli", detail={"created": report.created,
                                                                             "updated": report.updated})
    except SipasError as exc:
        fail(exc)
    click.echo(f"{report.created} agencies created, {report.updated} updated")


@retention_cli.command("run")
@click.option("--months", type=int, help="Override SIPAS_COMMENT_RETENTION_MONTHS.")
@click.option("--dry-run", is_flag=True, help="Only count.")
def retention_run(months: int | None, dry_run: bool) -> None:
    """Delete free-text comments older than the retention period (run it daily, e.g. from cron)."""
    months = months or int(current_app.config["COMMENT_RETENTION_MONTHS"])
    with session_scope() as session:
        n = delete_old_comments(session, months, dry_run=dry_run)
        if not dry_run:
            audit.record(session, "comments_deleted", actor="cli", detail={"count": n, "months": months})
    click.echo(f"{n} comments older than {months} months {'would be' if dry_run else 'were'} deleted")

