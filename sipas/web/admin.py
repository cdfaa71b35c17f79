"""Staff landing page: rounds and agencies within the user's scope."""
from __future__ import annotations

from io import BytesIO

import segno
from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import func, select

from sipas.db import get_session
from sipas.errors import NotFound
from flask_wtf import FlaskForm

from sipas.models import Agency, ApiKey, KioskDevice, Role, Round, ServicePoint
from sipas.services import audit, catalog, credentials, scope
from sipas.web.authz import can_see_agency, require_agency, roles_required

STAFF = (Role.ADMIN, Role.ANALYST, Role.AGENCY_MANAGER)

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@login_required
def index():
    """Rounds (with response counts) and the agencies the user may see."""
    session = get_session()
    rounds = catalog.list_rounds(session)
    agencies = scope.visible_agencies(session, current_user, catalog.list_agencies(session))
    return render_template("admin/index.html", rounds=rounds, agencies=agencies)


def _own_agency_or_none(session):
    """For exports: None for jurisdiction-wide staff; the user's agency for an agency manager (403 without one)."""
    if not scope.is_agency_scoped(current_user):
        return None
    own = session.get(Agency, current_user.agency_id) if current_user.agency_id else None
    if own is None:
        abort(403)
    return own


def _round_or_404(code: str):
    try:
        return catalog.get_round(get_session(), code)
    except NotFound:
        abort(404)


def _public_url(rnd, agency, point=None) -> str:
    args = {"round_code": rnd.code, "agency_code": agency.code}
    if point is not None:
        args["point_code"] = point.code
    return url_for("online.public", _external=True, **args)


@bp.route("/rounds/<code>")
@roles_required(*STAFF)
def round_detail(code: str):
    """A round: its agencies (within the user's scope) with public links, posters and QR codes."""
    rnd = _round_or_404(code)
    agencies = scope.visible_agencies(get_session(), current_user, list(rnd.agencies))
    return render_template("admin/round.html", round=rnd, agencies=agencies, public_url=_public_url)


def _poster_target(code: str, agency_code: str):
    rnd = _round_or_404(code)
    session = get_session()
    agency = require_agency(session.scalar(select(Agency).where(Agency.code == agency_code)))
    if agency not in rnd.agencies:
        abort(404)
    point = None
    if request.args.get("point"):
        point = session.scalar(select(ServicePoint).where(ServicePoint.code == request.args["point"],
                                                          ServicePoint.agency_id == agency.id))
        if point is None:
            abort(404)
    return rnd, agency, point


@bp.route("/rounds/<code>/poster/<agency_code>")
@roles_required(*STAFF)
def poster(code: str, agency_code: str):
    """Printable A4 poster with the QR code of the public link and short Vietnamese instructions."""
    rnd, agency, point = _poster_target(code, agency_code)
    url = _public_url(rnd, agency, point)
    # segno's inline SVG carries no style attribute, so it passes the strict Content-Security-Policy.
    qr = Markup(segno.make(url, error="m").svg_inline(scale=9, dark="#000", border=2))
    return render_template("admin/poster.html", round=rnd, agency=agency, point=point, url=url, qr=qr)


@bp.route("/rounds/<code>/qr/<agency_code>.png")
@roles_required(*STAFF)
def qr_png(code: str, agency_code: str):
    """The QR code of the public link as a PNG file (for printing elsewhere)."""
    rnd, agency, point = _poster_target(code, agency_code)
    buffer = BytesIO()
    segno.make(_public_url(rnd, agency, point), error="m").save(buffer, kind="png", scale=12, border=2)
    buffer.seek(0)
    return send_file(buffer, mimetype="image/png", as_attachment=True,
                     download_name=f"qr-{rnd.code}-{agency.code}{'-' + point.code if point else ''}.png")


@bp.route("/rounds/<code>/paper-forms")
@roles_required(Role.ADMIN, Role.SURVEYOR)
def paper_forms(code: str):
    """Blank A4 forms to print: each copy has its serial and a QR code of the serial."""
    import surveys
    from sipas.services.paper import serial_for
    from sipas.web.forms import sections
    rnd = _round_or_404(code)
    try:
        start = max(1, int(request.args.get("start", 1)))
        copies = min(500, max(1, int(request.args.get("copies", 1))))
    except ValueError:
        abort(400)
    profile = surveys.load(rnd.profile_key)
    if request.args.get("sampled") == "1":
        # One form per sampled dossier, printed with its invitation serial (mail merge with the invitation list).
        from sipas.models import Invitation
        serials = list(get_session().scalars(select(Invitation.serial).where(Invitation.round_id == rnd.id)
                                             .order_by(Invitation.id).offset(start - 1).limit(copies)))
    else:
        serials = [serial_for(rnd, n) for n in range(start, start + copies)]
    if not serials:
        abort(404)
    codes = {s: Markup(segno.make(s, error="m").svg_inline(scale=3, border=1)) for s in serials}
    return render_template("admin/paper_forms.html", round=rnd, profile=profile, sections=sections(profile),
                           serials=serials, codes=codes)


class _CsrfOnly(FlaskForm):
    """Carries the CSRF token of the small admin forms below."""


@bp.route("/kiosks", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.AGENCY_MANAGER)
def kiosks():
    """Enrol a tablet at a service point (token and QR shown once) and see or revoke enrolled ones."""
    session = get_session()
    form = _CsrfOnly()
    points = [p for p in session.scalars(select(ServicePoint).order_by(ServicePoint.code)) if can_see_agency(p.agency)]
    enrolled = None
    if request.method == "POST" and form.validate_on_submit():
        point = next((p for p in points if p.code == request.form.get("service_point")), None)
        if point is None:
            abort(403)
        device, token = credentials.enrol_kiosk(session, point.code, request.form.get("name") or None)
        audit.record(session, "kiosk_enrolled", actor=current_user, object_type="kiosk_device", object_id=device.id,
                     ip=request.remote_addr, detail={"service_point": point.code})
        session.commit()
        url = url_for("kiosk.enrol", token=token, _external=True)
        enrolled = {"device": device, "token": token, "url": url,
                    "qr": Markup(segno.make(url, error="m").svg_inline(scale=5, border=2))}
    devices = [d for d in session.scalars(select(KioskDevice).order_by(KioskDevice.id.desc()))
               if can_see_agency(d.service_point.agency)]
    gaps = {d.id: credentials.device_gaps(session, d) for d in devices}
    return render_template("admin/kiosks.html", form=form, points=points, devices=devices, gaps=gaps,
                           enrolled=enrolled)


@bp.route("/kiosks/<int:device_id>/revoke", methods=["POST"])
@roles_required(Role.ADMIN, Role.AGENCY_MANAGER)
def revoke_kiosk(device_id: int):
    """Revoke a tablet at once: its token stops working for the page and the API."""
    session = get_session()
    device = session.get(KioskDevice, device_id)
    if device is None:
        abort(404)
    require_agency(device.service_point.agency)
    if not _CsrfOnly().validate_on_submit():
        abort(400)
    credentials.revoke(device)
    audit.record(session, "kiosk_revoked", actor=current_user, object_type="kiosk_device", object_id=device.id,
                 ip=request.remote_addr)
    session.commit()
    return redirect(url_for(".kiosks"))


@bp.route("/apikeys", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def apikeys():
    """Issue API keys for systems that push responses (the key is shown once) and revoke them."""
    session = get_session()
    form = _CsrfOnly()
    issued, problem = None, None
    if request.method == "POST" and form.validate_on_submit():
        name = (request.form.get("name") or "").strip()[:120]
        if not name:
            problem = "name"
        else:
            try:
                key, token = credentials.create_api_key(session, name, request.form.get("agency") or None)
            except NotFound:
                problem = "agency"
            else:
                audit.record(session, "api_key_created", actor=current_user, object_type="api_key",
                             object_id=key.id, ip=request.remote_addr, detail={"name": name})
                session.commit()
                issued = {"key": key, "token": token}
    keys = session.scalars(select(ApiKey).order_by(ApiKey.id.desc())).all()
    return render_template("admin/apikeys.html", form=form, keys=keys, issued=issued, problem=problem), \
        (422 if problem else 200)


@bp.route("/apikeys/<int:key_id>/revoke", methods=["POST"])
@roles_required(Role.ADMIN)
def revoke_apikey(key_id: int):
    """Revoke an API key at once."""
    session = get_session()
    key = session.get(ApiKey, key_id)
    if key is None:
        abort(404)
    if not _CsrfOnly().validate_on_submit():
        abort(400)
    credentials.revoke(key)
    audit.record(session, "api_key_revoked", actor=current_user, object_type="api_key", object_id=key.id,
                 ip=request.remote_addr)
    session.commit()
    return redirect(url_for(".apikeys"))


@bp.route("/rounds/<code>/report.xlsx")
@roles_required(Role.ADMIN, Role.ANALYST, Role.AGENCY_MANAGER)
def report_xlsx(code: str):
    """The SIPAS workbook; an agency manager gets their agency's (and those under it) only."""
    from sipas.reports.xlsx import XLSX_MIMETYPE
    from sipas.services.report import build_workbook, gather, restrict_to_agency
    rnd = _round_or_404(code)
    session = get_session()
    data = gather(session, rnd, with_data=request.args.get("data") == "1" and current_user.has_role(
        Role.ADMIN, Role.ANALYST))
    own = _own_agency_or_none(session)
    if own is not None:
        restrict_to_agency(data, own)
    content = build_workbook(data, "en" if request.args.get("lang") == "en" else "vi")
    audit.record(session, "report_exported", actor=current_user, object_type="round", object_id=rnd.id,
                 ip=request.remote_addr, detail={"with_data": data.data_rows is not None})
    session.commit()
    return send_file(BytesIO(content), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=f"sipas-{rnd.code}.xlsx")


@bp.route("/rounds/<code>/publish", methods=["POST"])
@roles_required(Role.ADMIN)
def publish_round(code: str):
    """Freeze the round's results (a later recomputation is a new version)."""
    from flask import flash

    from sipas.errors import SipasError
    from sipas.services.publishing import publish
    rnd = _round_or_404(code)
    if not _CsrfOnly().validate_on_submit():
        abort(400)
    session = get_session()
    try:
        rs = publish(session, rnd, current_user, ip=request.remote_addr)
        session.commit()
        flash(f"{rnd.code}: v{rs.version}", "ok")
    except SipasError as exc:
        session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".round_detail", code=rnd.code))


@bp.route("/rounds/<code>/export", methods=["POST"])
@roles_required(Role.ADMIN, Role.ANALYST, Role.AGENCY_MANAGER)
def export_job(code: str):
    """Start a background export (large rounds, the data sheet) and go to its progress page."""
    from sipas import jobs
    rnd = _round_or_404(code)
    if not _CsrfOnly().validate_on_submit():
        abort(400)
    session = get_session()
    agency_code = None
    own = _own_agency_or_none(session)
    if own is not None:
        agency_code = own.code
    with_data = request.form.get("data") == "1" and current_user.has_role(Role.ADMIN, Role.ANALYST)
    job, start = jobs.enqueue_export(session, round_code=rnd.code, lang=request.form.get("lang", "vi"),
                                     with_data=with_data, agency_code=agency_code, user_id=current_user.id)
    audit.record(session, "export_started", actor=current_user, object_type="job", object_id=job.id,
                 ip=request.remote_addr, detail=job.params)
    session.commit()
    start()
    return redirect(url_for(".job_page", job_id=job.id))


def _own_job(job_id: str):
    from sipas.models import Job
    job = get_session().get(Job, job_id)
    if job is None:
        abort(404)
    if job.created_by_id != current_user.id and not current_user.has_role(Role.ADMIN):
        abort(403)
    return job


@bp.route("/jobs/<job_id>")
@roles_required(Role.ADMIN, Role.ANALYST, Role.AGENCY_MANAGER)
def job_page(job_id: str):
    """Progress bar, then the download link (refreshes itself without any script)."""
    from sipas.jobs import live_progress
    job = _own_job(job_id)
    progress, message = live_progress(job)
    return render_template("admin/job.html", job=job, progress=progress, message=message)


@bp.route("/jobs/<job_id>.json")
@roles_required(Role.ADMIN, Role.ANALYST, Role.AGENCY_MANAGER)
def job_status(job_id: str):
    """For the page's script and for other tools."""
    from sipas.jobs import live_progress
    job = _own_job(job_id)
    progress, message = live_progress(job)
    return {"id": job.id, "status": job.status.value, "progress": progress, "message": message,
            "download": url_for(".job_download", job_id=job.id) if job.file_name else None}


@bp.route("/jobs/<job_id>/download")
@roles_required(Role.ADMIN, Role.ANALYST, Role.AGENCY_MANAGER)
def job_download(job_id: str):
    """The finished file."""
    from pathlib import Path

    from flask import current_app

    from sipas.reports.xlsx import XLSX_MIMETYPE
    job = _own_job(job_id)
    if not job.file_name:
        abort(404)
    path = Path(current_app.config["EXPORT_DIR"]) / job.file_name
    return send_file(path, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=job.file_name)


@bp.route("/users", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users():
    """Create users, change their roles and scope, deactivate them. Every change is audited."""
    from sipas.errors import ValidationFailed
    from sipas.models import User
    from sipas.services import accounts
    session = get_session()
    form = _CsrfOnly()
    problems: dict = {}
    if request.method == "POST" and form.validate_on_submit():
        roles = [Role(r) for r in request.form.getlist("roles") if r in {x.value for x in Role}]
        agency = None
        if request.form.get("agency"):
            agency = session.scalar(select(Agency).where(Agency.code == request.form["agency"].strip()))
            if agency is None:
                problems["agency"] = "unknown agency"
        action = request.form.get("action", "create")
        try:
            if problems:
                raise ValidationFailed(problems)
            if action == "create":
                user = accounts.create_user(session, request.form.get("username", "").strip(),
                                            request.form.get("password", ""), roles,
                                            full_name=request.form.get("full_name", "").strip()[:160],
                                            unit_id=current_user.unit_id, agency_id=agency.id if agency else None)
                audit.record(session, "user_created", actor=current_user, object_type="user", object_id=user.id,
                             ip=request.remote_addr, detail={"roles": [r.value for r in roles]})
            else:
                user = session.get(User, int(request.form.get("user_id", "0") or 0))
                if user is None:
                    abort(404)
                if action == "roles":
                    before = sorted(r.value for r in user.role_set)
                    accounts.set_roles(session, user, roles, agency.id if agency else None)
                    audit.record(session, "roles_changed", actor=current_user, object_type="user", object_id=user.id,
                                 ip=request.remote_addr, detail={"before": before,
                                                                 "after": [r.value for r in roles]})
                elif action in ("deactivate", "activate"):
                    if user.id == current_user.id:
                        raise ValidationFailed({"user": "you cannot deactivate yourself"})
                    user.active = action == "activate"
                    audit.record(session, f"user_{action}d", actor=current_user, object_type="user",
                                 object_id=user.id, ip=request.remote_addr)
            session.commit()
            return redirect(url_for(".users"))
        except ValidationFailed as exc:
            session.rollback()
            problems = exc.problems
    all_users = session.scalars(select(User).order_by(User.username)).all()
    return render_template("admin/users.html", form=form, users=all_users, roles=list(Role), problems=problems), \
        (422 if problems else 200)


@bp.route("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    """The latest audit events (append-only)."""
    from sipas.models import AuditEvent
    events = get_session().scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(500)).all()
    return render_template("admin/audit.html", events=events)


@bp.route("/rounds/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_round():
    """Create a round (draft) from a form."""
    from datetime import date as date_type

    import surveys
    from sipas.errors import ValidationFailed
    from sipas.services import admin as admin_service
    session = get_session()
    form = _CsrfOnly()
    problems: dict = {}
    if request.method == "POST" and form.validate_on_submit():
        def day(name):
            value = request.form.get(name, "").strip()
            return date_type.fromisoformat(value) if value else None
        try:
            rnd = admin_service.create_round(
                session, code=request.form.get("code", ""), name=request.form.get("name", ""),
                year=int(request.form.get("year") or 0), profile_key=request.form.get("profile", ""),
                admin_map=request.form.get("admin_map", ""), province_code=request.form.get("province") or None,
                opens_on=day("opens_on"), closes_on=day("closes_on"), channels=request.form.getlist("channels"),
                agency_codes=[c.strip() for c in request.form.get("agencies", "").replace("\n", ",").split(",")
                              if c.strip()])
            audit.record(session, "round_created", actor=current_user, object_type="round", object_id=rnd.id,
                         ip=request.remote_addr)
            session.commit()
            return redirect(url_for(".round_detail", code=rnd.code))
        except ValidationFailed as exc:
            session.rollback()
            problems = exc.problems
        except ValueError:
            problems = {"date": "YYYY-MM-DD", "year": "a number"}
    from sipas.models import Channel
    return render_template("admin/new_round.html", form=form, profiles=surveys.available(),
                           channels=[c.value for c in Channel], problems=problems), (422 if problems else 200)


@bp.route("/rounds/<code>/status", methods=["POST"])
@roles_required(Role.ADMIN)
def round_status(code: str):
    """Open or close a round."""
    from flask import flash

    from sipas.errors import ValidationFailed
    from sipas.models import RoundStatus
    from sipas.services import admin as admin_service
    rnd = _round_or_404(code)
    if not _CsrfOnly().validate_on_submit():
        abort(400)
    session = get_session()
    try:
        target = RoundStatus(request.form.get("status", ""))
        admin_service.set_status(session, rnd, target)
        audit.record(session, f"round_{target.value}", actor=current_user, object_type="round", object_id=rnd.id,
                     ip=request.remote_addr)
        session.commit()
    except (ValidationFailed, ValueError) as exc:
        session.rollback()
        flash(str(getattr(exc, "problems", exc)), "error")
    return redirect(url_for(".round_detail", code=rnd.code))


@bp.route("/agencies/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def import_agencies_page():
    """Upload agencies (CSV or XLSX only, size-limited); every problem is listed by row, and nothing changes."""
    import tempfile
    from pathlib import Path

    from sipas.errors import ValidationFailed
    from sipas.services.admin import import_agencies
    form = _CsrfOnly()
    problems, report = [], None
    if request.method == "POST" and form.validate_on_submit():
        upload = request.files.get("file")
        suffix = Path(upload.filename or "").suffix.lower() if upload else ""
        if suffix not in (".csv", ".xlsx"):
            problems = ["only .csv and .xlsx files are accepted"]
        else:
            session = get_session()
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"upload{suffix}"
                upload.save(path)
                try:
                    report = import_agencies(session, path)
                    audit.record(session, "agencies_imported", actor=current_user, ip=request.remote_addr,
                                 detail={"created": report.created, "updated": report.updated})
                    session.commit()
                except ValidationFailed as exc:
                    session.rollback()
                    problems = exc.problems if isinstance(exc.problems, list) else [
                        f"{k}: {v}" for k, v in exc.problems.items()]
                except Exception:  # noqa: BLE001 - a file the readers cannot parse is the user's problem to fix
                    session.rollback()
                    problems = ["the file could not be read as CSV/XLSX"]
    return render_template("admin/import_agencies.html", form=form, problems=problems, report=report), \
        (422 if problems else 200)


@bp.route("/rounds/<code>/sample", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.ANALYST)
def sample(code: str):
    """The sample design of a round: load the dossier list, preview, draw, weights (same steps as the CLI)."""
    import tempfile
    from pathlib import Path

    from flask import current_app

    from sipas import jobs
    from sipas.errors import SipasError, ValidationFailed
    from sipas.models import FrameUnit
    from sipas.services import sampling as sampling_service
    from sipas.services.catalog import get_round
    rnd = _round_or_404(code)
    session = get_session()
    form = _CsrfOnly()
    problems, plan, message, weights = [], None, None, None
    args = request.form if request.method == "POST" else request.args
    total = int(args["total"]) if args.get("total", "").isdigit() else None
    method = args.get("allocation", "proportional")
    previous_code = args.get("previous") or None
    earlier = session.scalars(select(Round).where(Round.id != rnd.id, Round.year < rnd.year)
                              .order_by(Round.year.desc(), Round.code)).all()
    stratified_by = ",".join((rnd.design or {}).get("stratified_by") or ["agency"])

    def current_plan():
        return sampling_service.preview(session, rnd, total=total, method=method,
                                        previous=get_round(session, previous_code) if previous_code else None)

    try:
        if request.method == "POST" and form.validate_on_submit():
            action = request.form.get("action")
            if action == "frame":
                upload = request.files.get("file")
                suffix = Path(upload.filename or "").suffix.lower() if upload else ""
                if suffix not in (".csv", ".xlsx"):
                    raise SipasError("only .csv and .xlsx files are accepted")
                by = ",".join(sampling_service.parse_stratifiers(request.form.get("stratify_by") or "agency"))
                upload.stream.seek(0, 2)
                size = upload.stream.tell()
                upload.stream.seek(0)
                if size > current_app.config["SAMPLE_INLINE_MAX_BYTES"]:
                    # A province's year of dossiers: read it in the background, the page shows progress.
                    job, start = jobs.enqueue_frame_import(session, round_code=rnd.code, upload=upload, suffix=suffix,
                                                           stratify_by=by, user_id=current_user.id)
                    audit.record(session, "frame_import_started", actor=current_user, object_type="job",
                                 object_id=job.id, ip=request.remote_addr, detail={"round": rnd.code, "bytes": size})
                    session.commit()
                    start()
                    return redirect(url_for(".job_page", job_id=job.id))
                with tempfile.TemporaryDirectory() as folder:
                    path = Path(folder) / f"frame{suffix}"
                    upload.save(path)
                    n = sampling_service.import_frame(session, rnd, path, stratify_by=by,
                                                      dossier_key=current_app.config["DOSSIER_HASH_KEY"])
                audit.record(session, "frame_imported", actor=current_user, object_type="round", object_id=rnd.id,
                             ip=request.remote_addr, detail={"rows": n})
                message = f"{n:,}"
            elif action == "stratify":
                sampling_service.restratify(session, rnd, request.form.get("stratify_by") or "agency")
            elif action == "draw":
                seed = int(request.form.get("seed", ""))
                stages = None
                if request.form.get("two_stage"):
                    a, b = (int(x) for x in request.form["two_stage"].split(","))
                    stages = (a, b)
                fmt = request.form.get("format", "csv")
                if fmt not in ("csv", "xlsx"):
                    raise SipasError("format: csv or xlsx")
                drawn = sampling_service.draw(session, rnd, current_plan(), seed=seed, two_stage=stages)
                rows = sampling_service.invitation_rows(
                    session, drawn, lambda token: url_for("online.invitation", token=token, _external=True))
                audit.record(session, "sample_drawn", actor=current_user, object_type="round", object_id=rnd.id,
                             ip=request.remote_addr, detail={"seed": seed, "n": len(drawn)})
                session.commit()
                return _invitation_list(rnd, rows, fmt)
            elif action == "weights":
                totals = None
                upload = request.files.get("totals")
                if upload and upload.filename:
                    suffix = Path(upload.filename).suffix.lower()
                    if suffix not in (".csv", ".xlsx"):
                        raise SipasError("control totals: only .csv and .xlsx files are accepted")
                    with tempfile.TemporaryDirectory() as folder:
                        path = Path(folder) / f"totals{suffix}"
                        upload.save(path)
                        totals = sampling_service.read_control_totals(path)
                trim = None
                if request.form.get("trim"):
                    trim = tuple(float(x) for x in request.form["trim"].split(","))
                    if len(trim) != 2:
                        raise SipasError("trim: two numbers, low,high")
                weights = sampling_service.compute_weights(session, rnd, rake_by=tuple(
                    c for c in request.form.getlist("rake") if c), trim=trim, totals=totals)
                audit.record(session, "weights_computed", actor=current_user, object_type="round",
                             object_id=rnd.id, ip=request.remote_addr, detail={"totals": sorted(totals or {})})
            session.commit()
            stratified_by = ",".join((rnd.design or {}).get("stratified_by") or ["agency"])
        if session.scalar(select(func.count()).select_from(FrameUnit).where(FrameUnit.round_id == rnd.id)):
            plan = current_plan()
    except (SipasError, ValueError) as exc:
        session.rollback()
        problems = (exc.lines() if isinstance(exc, ValidationFailed) else []) or [str(exc)]
    return render_template("admin/sample.html", round=rnd, form=form, plan=plan, problems=problems, message=message,
                           weights=weights, total=total, method=method, previous=previous_code, earlier=earlier,
                           stratified_by=stratified_by, stratifiers=sampling_service.STRATIFIERS), \
        (422 if problems else 200)


def _invitation_list(rnd, rows, fmt: str):
    """The invitation list as a CSV or XLSX download (formula-safe cells)."""
    from sipas.reports.xlsx import XLSX_MIMETYPE
    from sipas.services.sampling import invitation_list_bytes
    return send_file(BytesIO(invitation_list_bytes(rows, fmt)), as_attachment=True,
                     mimetype=XLSX_MIMETYPE if fmt == "xlsx" else "text/csv",
                     download_name=f"invitations-{rnd.code}.{fmt}")
