"""The sample design: dossier lists (frames), preview, draw, weights."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from sipas.cli.common import fail
from sipas.db import session_scope
from sipas.errors import SipasError
from sipas.services import audit
from sipas.services.catalog import get_round
from sipas.services.sampling import (
    compute_weights,
    draw,
    fieldwork,
    held_reserve,
    import_frame,
    invitation_list_bytes,
    invitation_rows,
    parse_level_totals,
    parse_merge,
    parse_trim,
    parse_two_stage,
    preview,
    read_control_totals,
    reissue_invitation_list,
    release_reserve,
    reset_draw,
    restratify,
)

sample_cli = AppGroup("sample", help="Sample design: frames and draws.")


frame_cli = AppGroup("frame", help="Sampling frames (lists of completed dossiers).")


@frame_cli.command("import")
@click.argument("input_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--round", "round_key", required=True)
@click.option("--stratify-by", default="agency", show_default=True,
              help="Frame columns, comma-separated: agency, level, field, service_point, on_time, completed_month.")
def frame_import(input_file: str, round_key: str, stratify_by: str) -> None:
    """Load the list of completed dossiers (CSV/XLSX) a round's sample is drawn from."""
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
        fail(exc)
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
    try:
        with session_scope() as session:
            n = restratify(session, get_round(session, round_key), stratify_by)
    except SipasError as exc:
        fail(exc)
    click.echo(f"{n:,} dossiers stratified by {stratify_by}")


def _plan_options(f):
    for option in (click.option("--total", type=int, help="Total interviews (else n = N/(1+N e^2) per stratum)."),
                   click.option("--allocation", type=click.Choice(["proportional", "equal", "neyman"]),
                                default="proportional", show_default=True),
                   click.option("--e", "margin", type=float, default=0.05, show_default=True),
                   click.option("--deff", type=float, default=1.5, show_default=True),
                   click.option("--minimum", type=int, default=0, show_default=True),
                   click.option("--level-totals", "level_totals",
                                help="Fixed interviews per level, then allocation within each: "
                                     "e.g. province=400,commune=600 (instead of --total)."),
                   click.option("--previous-round", "previous",
                                help="Neyman: the round whose satisfaction shares give S_h (default: the latest "
                                     "earlier round of the same jurisdiction with responses).")):
        f = option(f)
    return f


@sample_cli.command("preview")
@click.option("--round", "round_key", required=True)
@_plan_options
def sample_preview(round_key, total, allocation, margin, deff, minimum, level_totals, previous) -> None:
    """Strata, frame sizes, sample sizes and the expected margin of error at p = 0.8."""
    try:
        with session_scope() as session:
            plan = preview(session, get_round(session, round_key), total=total, method=allocation, e=margin,
                           deff=deff, minimum=minimum, previous=get_round(session, previous) if previous else None,
                           level_totals=parse_level_totals(level_totals))
    except (SipasError, ValueError) as exc:
        fail(exc)
    neyman = any(s.p is not None for s in plan)
    by_level = any(s.level is not None for s in plan)
    click.echo(("level\t" if by_level else "") + "stratum\tN\tn\tmargin_of_error_points"
               + ("\tlast_p\tp_from" if neyman else ""))
    for s in sorted(plan, key=lambda s: (s.level or "", s.stratum)) if by_level else plan:
        click.echo((f"{s.level}\t" if by_level else "")
                   + f"{s.stratum}\t{s.N}\t{s.n}\t{'' if s.margin is None else f'{s.margin:.1f}'}"
                   + (f"\t{s.p:.3f}\t{s.p_source}" if neyman else ""))
    click.echo(("\t" if by_level else "") + f"total\t{sum(s.N for s in plan)}\t{sum(s.n for s in plan)}\t")


@sample_cli.command("draw")
@click.option("--round", "round_key", required=True)
@_plan_options
@click.option("--seed", type=int, required=True, help="Stored with the round: the draw can be reproduced.")
@click.option("--output", required=True, type=click.Path(dir_okay=False),
              help="Invitation list: .csv or .xlsx (by the file's extension).")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
@click.option("--two-stage", "two_stage", help="OFFICES,PER_OFFICE: offices by PPS in each stratum, then dossiers.")
@click.option("--reserve", "reserve_percent", type=click.IntRange(0, 100), default=0, show_default=True,
              help="Reserve list: this percentage of each stratum's sample, drawn after it with the same seed, "
                   "invited only when released (sipas sample release-reserve).")
def sample_draw(round_key, total, allocation, margin, deff, minimum, level_totals, previous, seed, output, base_url,
                two_stage, reserve_percent) -> None:
    """Draw the sample and write the invitation list (serial, agency, stratum, PSU, contact, one-time link,
    weight, then the mail-merge columns: dossier code, completion date, agency name, name, address, code), with
    the reserve list at the end."""

    fmt = _output_format(output)
    written = False
    try:
        with session_scope() as session:
            rnd = get_round(session, round_key)
            by_level = parse_level_totals(level_totals)
            plan = preview(session, rnd, total=total, method=allocation, e=margin, deff=deff, minimum=minimum,
                           previous=get_round(session, previous) if previous else None, level_totals=by_level)
            stages = parse_two_stage(two_stage or "")
            drawn = draw(session, rnd, plan, seed=seed, two_stage=stages, parameters={
                "total": total, "allocation": allocation, "e": margin, "deff": deff, "minimum": minimum,
                "previous_round": previous,
                # Recorded only when used, so a plan without them reads as before.
                **({"level_totals": by_level} if by_level else {}),
                **({"reserve_percent": reserve_percent} if reserve_percent else {})},
                reserve_percent=reserve_percent)
            rows = invitation_rows(session, drawn, lambda token: f"{base_url.rstrip('/')}/i/{token}",
                                   reserve=held_reserve(session, rnd))
            audit.record(session, "sample_drawn", actor="cli", object_type="round", object_id=rnd.id,
                         detail={"seed": seed, "n": len(drawn)})
            # The list is written before the commit: only token hashes are stored, so a draw whose list could
            # not be written is rolled back (and can be drawn again) instead of being kept without its links.
            _write_list(output, invitation_list_bytes(rows, fmt))
            written = True
    except (SipasError, ValueError) as exc:
        _forget(output, written)
        fail(exc)
    except BaseException:
        _forget(output, written)
        raise
    click.echo(f"{len(drawn)} dossiers sampled (seed {seed}); invitation list written to {output}"
               + (f" (with {len(rows) - len(drawn)} reserve dossiers at the end)" if len(rows) > len(drawn) else ""))


def _output_format(output: str) -> str:
    """csv or xlsx from the file's extension; the folder must exist (checked before anything is drawn)."""
    fmt = Path(output).suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        fail(SipasError("--output must end in .csv or .xlsx"))
    if not Path(output).resolve().parent.is_dir():
        fail(SipasError(f"--output: the folder {Path(output).resolve().parent} does not exist"))
    return fmt


def _write_list(output: str, content: bytes) -> None:
    try:
        Path(output).write_bytes(content)
    except OSError as exc:
        raise SipasError(f"the invitation list could not be written to {output} ({exc.strerror}): "
                         f"nothing was drawn") from None


def _forget(output: str, written: bool) -> None:
    """A list whose draw was not committed holds links that do not exist: remove it."""
    if written:
        Path(output).unlink(missing_ok=True)


@sample_cli.command("invitations")
@click.option("--round", "round_key", required=True)
@click.option("--output", required=True, type=click.Path(dir_okay=False),
              help="Invitation list: .csv or .xlsx (by the file's extension).")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
def sample_invitations(round_key: str, output: str, base_url: str) -> None:
    """The invitation list again: new links for every sampled dossier not yet answered (the earlier list's
    links stop working); audited."""
    fmt = _output_format(output)
    written = False
    try:
        with session_scope() as session:
            rnd = get_round(session, round_key)
            drawn = reissue_invitation_list(session, rnd, actor="cli")
            rows = invitation_rows(session, drawn, lambda token: f"{base_url.rstrip('/')}/i/{token}",
                                   reserve=held_reserve(session, rnd))
            _write_list(output, invitation_list_bytes(rows, fmt))
            written = True
    except SipasError as exc:
        _forget(output, written)
        fail(exc)
    except BaseException:
        _forget(output, written)
        raise
    click.echo(f"{len(drawn)} invitations re-issued (links of earlier lists no longer work); list written to {output}")


@sample_cli.command("release-reserve")
@click.option("--round", "round_key", required=True)
@click.option("--stratum", required=True, help="The stratum whose next reserve dossiers are invited.")
@click.option("--count", type=click.IntRange(min=1), required=True, help="How many reserve dossiers to invite.")
@click.option("--reason", required=True, help="Why (e.g. '4 refusals'): kept in the audit log and the design.")
@click.option("--output", required=True, type=click.Path(dir_okay=False),
              help="Invitation list of the released dossiers: .csv or .xlsx (by the file's extension).")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
def sample_release_reserve(round_key: str, stratum: str, count: int, reason: str, output: str, base_url: str) -> None:
    """Invite the next reserve dossiers of a stratum (in their drawn order); audited. The stratum's base weights
    become N_h / (dossiers invited)."""
    fmt = _output_format(output)
    written = False
    try:
        with session_scope() as session:
            rnd = get_round(session, round_key)
            released = release_reserve(session, rnd, stratum=stratum, count=count, reason=reason, actor="cli")
            rows = invitation_rows(session, released, lambda token: f"{base_url.rstrip('/')}/i/{token}")
            _write_list(output, invitation_list_bytes(rows, fmt))
            written = True
    except SipasError as exc:
        _forget(output, written)
        fail(exc)
    except BaseException:
        _forget(output, written)
        raise
    click.echo(f"{len(released)} reserve dossiers of {stratum} invited; their list written to {output}")


@sample_cli.command("fieldwork")
@click.option("--round", "round_key", required=True)
def sample_fieldwork(round_key: str) -> None:
    """Fieldwork per stratum: invitations issued, returned, valid responses, response rate (changes nothing)."""
    try:
        with session_scope() as session:
            rows = fieldwork(session, get_round(session, round_key))
    except SipasError as exc:
        fail(exc)
    if not rows:
        fail(SipasError("no sample drawn for this round"))
    reserve = rows[-1].released or rows[-1].reserve
    click.echo("stratum\tissued\treturned\tvalid\tresponse_rate"
               + ("\treserve_released\treserve_held" if reserve else ""))
    for r in rows:
        click.echo(f"{r.stratum}\t{r.issued}\t{r.returned}\t{r.valid}\t"
                   f"{'' if r.rate is None else f'{100 * r.rate:.1f}%'}"
                   + (f"\t{r.released}\t{r.reserve}" if reserve else ""))


@sample_cli.command("reset")
@click.option("--round", "round_key", required=True)
@click.option("--reason", required=True, help="Why the draw is undone (kept in the audit log and the design).")
def sample_reset(round_key: str, reason: str) -> None:
    """Undo the draw and unload the dossier list, before any invitation is used (audited)."""
    try:
        with session_scope() as session:
            n = reset_draw(session, get_round(session, round_key), actor="cli", reason=reason)
    except SipasError as exc:
        fail(exc)
    click.echo(f"draw of {n} dossiers undone and dossier list unloaded; load a list and draw again")


@sample_cli.command("weights")
@click.option("--round", "round_key", required=True)
@click.option("--rake", "rake_by", default="", help="Frame margins to rake to: agency, field, level (comma-separated).")
@click.option("--trim", default="", help="Bounds relative to the starting weight, e.g. 0.3,3.")
@click.option("--totals", "totals_file", type=click.Path(exists=True, dir_okay=False),
              help="Known control totals (CSV/XLSX: variable,category,total) to calibrate to instead of the frame.")
@click.option("--accept-nonconverged", is_flag=True,
              help="Write the weights even if raking does not converge (recorded in the weights report).")
@click.option("--confirm-below-frame", is_flag=True,
              help="Accept control totals below the frame's counts, or weights below 1 (recorded).")
@click.option("--merge", default="", help="Strata without respondents merged into another: EMPTY=INTO[;...].")
def sample_weights(round_key: str, rake_by: str, trim: str, totals_file: str | None, accept_nonconverged: bool,
                   confirm_below_frame: bool, merge: str) -> None:
    """After fieldwork: response rates, non-response adjustment, optional raking; weights written to responses."""
    try:
        totals = read_control_totals(totals_file) if totals_file else None
        bounds = parse_trim(trim)
        with session_scope() as session:
            rnd = get_round(session, round_key)
            result = compute_weights(session, rnd, rake_by=tuple(c.strip() for c in rake_by.split(",") if c.strip()),
                                     trim=bounds, totals=totals, accept_nonconverged=accept_nonconverged,
                                     confirm_below_frame=confirm_below_frame, merge=parse_merge(merge))
            audit.record(session, "weights_computed", actor="cli", object_type="round", object_id=rnd.id,
                         detail={"rake": rake_by, "trim": trim, "totals": sorted(totals or {}),
                                 "accepted_nonconverged": result.accepted_nonconverged,
                                 "confirmed_below_frame": confirm_below_frame, "merge": merge})
    except (SipasError, ValueError) as exc:
        fail(exc)
    click.echo("stratum\tsampled\tresponded\tresponse_rate")
    for stratum, sampled, responded in result.rates:
        click.echo(f"{stratum}\t{sampled}\t{responded}\t{100 * responded / sampled:.1f}%")
    for line in result.report.lines():
        click.echo(line)
    if result.rake_iterations is not None:
        state = ("converged" if result.rake_converged else
                 f"did NOT converge (a margin is {100 * (result.rake_gap or 0.0):.2f} % off its total): written "
                 f"only because of --accept-nonconverged, recorded in the weights report")
        click.echo(f"raking: {result.rake_iterations} iterations, {state}")
        for column, source in (result.calibrated_to or {}).items():
            click.echo(f"  {column}: calibrated to {source}")



sample_cli.add_command(frame_cli)
