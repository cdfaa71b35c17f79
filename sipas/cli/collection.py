"""Collection channels: kiosk tablets, API keys, invitations, importing digitised responses."""
from __future__ import annotations

import click
import segno
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

import surveys
from sipas.cli.common import fail
from sipas.db import session_scope
from sipas.errors import SipasError, ValidationFailed
from sipas.models import KioskDevice
from sipas.recompute import publish_now
from sipas.services import audit, credentials
from sipas.services.catalog import get_agency, get_round
from sipas.services.credentials import device_gaps
from sipas.services.interchange import read_table
from sipas.services.interchange_export import csv_bytes
from sipas.services.interchange_import import import_table
from sipas.services.invitations import create_invitations
from sipas.services.results.publish import import_refusal

apikey_cli = AppGroup("apikey", help="API keys for systems that push responses.")


kiosk_cli = AppGroup("kiosk", help="Kiosk tablets.")


invitations_cli = AppGroup("invitations", help="One-time invitation links for sampled respondents.")


import_cli = AppGroup("import", help="Import data.")


@apikey_cli.command("create")
@click.option("--name", required=True, help="Who uses the key, e.g. 'Hệ thống một cửa tỉnh'.")
@click.option("--agency", "agency_code", help="Limit the key to this agency and those under it.")
@click.option("--channels", default="api", show_default=True,
              help="Channels the key may submit as, comma-separated: api, online, invitation (each response with "
                   "its invitation token), interview, import. Never kiosk or paper.")
def apikey_create(name: str, agency_code: str | None, channels: str) -> None:
    """Issue an API key and print it once (only its hash is stored)."""
    wanted = [c.strip() for c in channels.split(",") if c.strip()]
    try:
        with session_scope() as session:
            key, token = credentials.create_api_key(session, name, agency_code, wanted)
            audit.record(session, "api_key_created", actor="cli", object_type="api_key", object_id=key.id,
                         detail={"name": name, "agency": agency_code, "channels": key.channels})
    except SipasError as exc:
        fail(exc)
    click.echo(f"API key for {name!r} (shown once, keep it secret):\n{token}")


@kiosk_cli.command("add")
@click.option("--service-point", "service_point", required=True, help="Service point code.")
@click.option("--name", help="A name for the tablet.")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True, help="Public address of the site.")
def kiosk_add(service_point: str, name: str | None, base_url: str) -> None:
    """Enrol a tablet: prints the enrolment address (and its QR code) and a one-time code to type there.

    The long-lived device token is never printed: the tablet receives it in a cookie for the code."""
    try:
        with session_scope() as session:
            device, _token = credentials.enrol_kiosk(session, service_point, name)
            code = credentials.issue_enrolment_code(device)
            audit.record(session, "kiosk_enrolled", actor="cli", object_type="kiosk_device", object_id=device.id,
                         detail={"service_point": service_point})
    except SipasError as exc:
        fail(exc)
    url = f"{base_url.rstrip('/')}/kiosk/enrol"
    click.echo(f"enrolment address: {url}\none-time code (valid {credentials.ENROL_CODE_MINUTES} minutes, "
               f"shown once): {code}\n")
    segno.make(url, error="m").terminal(compact=True)


@kiosk_cli.command("gaps")
def kiosk_gaps() -> None:
    """Per enrolled device: last sequence number seen and missing sequence ranges (lost responses)."""
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
    try:
        with session_scope() as session:
            rnd, agency = get_round(session, round_key), get_agency(session, agency_code)
            made = create_invitations(session, rnd, agency, count)
            audit.record(session, "invitations_created", actor="cli", object_type="round", object_id=rnd.id,
                         detail={"agency": agency.code, "count": count})
            rows = [(inv.serial, agency.code, f"{base_url.rstrip('/')}/i/{token}") for inv, token in made]
    except SipasError as exc:
        fail(exc)
    with open(output, "wb") as f:
        f.write(csv_bytes(["serial", "agency_code", "link"], rows))
    click.echo(f"{len(rows)} invitation links written to {output}")


@import_cli.command("responses")
@click.argument("input_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--round", "round_key", required=True, help="Round code or id.")
@click.option("--skip-invalid", is_flag=True, help="Import the clean rows and list the rows left out.")
@click.option("--correction", metavar="REASON",
              help="Import into a closed or published round as a correction: its results are published as the "
                   "next version, with this reason.")
def import_responses(input_file: str, round_key: str, skip_invalid: bool, correction: str | None) -> None:
    """Import already-digitised responses (interchange format, CSV or XLSX) into a round.

    A file with any problem changes nothing, unless --skip-invalid is given. Importing the same file twice
    adds nothing the second time. A closed or published round takes an import only as a --correction.
    """
    try:
        with session_scope() as session:
            rnd = get_round(session, round_key)
            refusal = import_refusal(session, rnd)
            if refusal and not correction:
                raise SipasError(f"{refusal}; nothing was imported")
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
                         detail={"file": str(input_file), "created": created, "skipped": len(skipped),
                                 "correction": correction})
            round_id = rnd.id
        click.echo(f"{created} responses imported, {existing} already there, {len(skipped)} rows skipped")
        for line in skipped:
            click.echo(f"  skipped: {line}")
        if refusal and correction and created:
            version, responses = publish_now(current_app, round_id, note=correction)
            click.echo(f"correction published as version {version} ({responses} valid responses)")
    except SipasError as exc:
        fail(exc)

