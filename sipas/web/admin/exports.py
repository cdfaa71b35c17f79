"""The workbook download, background exports and their progress pages."""
from __future__ import annotations

from io import BytesIO
from pathlib import Path

from flask import abort, current_app, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from sipas import jobs, recompute
from sipas.db import after_commit, get_session
from sipas.errors import NotFound
from sipas.jobs import live_progress
from sipas.models import Job, Role
from sipas.reports.narrative import DOCX_MIMETYPE
from sipas.reports.xlsx import XLSX_MIMETYPE
from sipas.services import audit
from sipas.services.results.view import PROVISIONAL, PUBLISHED, shown
from sipas.services.workbook import NotComputed, build_workbook, narrative_bytes, report_data, restrict_to_agency
from sipas.web.admin.common import CsrfOnly, bp, own_agency_or_none, round_or_404
from sipas.web.authz import current_scope, roles_required
from sipas.web.problems import localise


def _scoped_report_data(session, rnd, *, with_data: bool):
    """The report data a download is built from, as the request asks (?version=N, ?view=provisional) and
    narrowed to the user's agency: (data, own agency or None); data is None while nothing is stored yet (the
    results are then asked for in the background). 404 for a version that does not exist."""
    try:
        data = report_data(session, rnd, version=request.args.get("version", type=int),
                           prefer=PROVISIONAL if request.args.get("view") == PROVISIONAL else PUBLISHED,
                           with_data=with_data)
    except NotComputed:
        recompute.request_recompute(rnd.id)
        return None, None
    except NotFound:
        abort(404)
    own = own_agency_or_none(session)
    if own is not None:
        data = restrict_to_agency(data, session, own)  # figures and data rows alike
    return data, own


@bp.route("/rounds/<code>/report.xlsx")
@roles_required(Role.ADMIN, Role.ANALYST, Role.AGENCY_MANAGER)
def report_xlsx(code: str):
    """The SIPAS workbook from the stored results (?version=N: a published version; ?view=provisional: the
    provisional figures beside a publication); an agency manager gets their agency's (and those under it) only.
    Nothing stored yet: the results are computed in the background and this page says so."""
    rnd = round_or_404(code)
    session = get_session()
    data, own = _scoped_report_data(session, rnd, with_data=request.args.get("data") == "1"
                                    and current_user.has_role(Role.ADMIN, Role.ANALYST))
    if data is None:
        return render_template("dashboard/computing.html", round=rnd, seen=shown(session, rnd)), 202
    content = build_workbook(data, "en" if request.args.get("lang") == "en" else "vi") or b""
    audit.record(session, "report_exported", actor=current_user, object_type="round", object_id=rnd.id,
                 ip=request.remote_addr, detail={"with_data": data.data_rows is not None, "version": data.version})
    name = f"sipas-{rnd.code}-v{data.version}.xlsx" if data.version else f"sipas-{rnd.code}-tam-tinh.xlsx"
    return send_file(BytesIO(content), mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=name)


@bp.route("/rounds/<code>/report.docx")
@roles_required(Role.ADMIN, Role.ANALYST, Role.AGENCY_MANAGER)
def report_docx(code: str):
    """The narrative report (Word) from the stored results, scoped like the workbook."""
    rnd = round_or_404(code)
    session = get_session()
    data, own = _scoped_report_data(session, rnd, with_data=False)
    if data is None:
        return render_template("dashboard/computing.html", round=rnd, seen=shown(session, rnd)), 202
    content = narrative_bytes(session, rnd, data, "en" if request.args.get("lang") == "en" else "vi", own)
    audit.record(session, "report_exported", actor=current_user, object_type="round", object_id=rnd.id,
                 ip=request.remote_addr, detail={"format": "docx", "version": data.version})
    name = f"bao-cao-{rnd.code}-v{data.version}.docx" if data.version else f"bao-cao-{rnd.code}-tam-tinh.docx"
    return send_file(BytesIO(content), mimetype=DOCX_MIMETYPE, as_attachment=True, download_name=name)


@bp.route("/rounds/<code>/export", methods=["POST"])
@roles_required(Role.ADMIN, Role.ANALYST, Role.AGENCY_MANAGER)
def export_job(code: str):
    """Start a background export (large rounds, the data sheet) and go to its progress page."""
    rnd = round_or_404(code)
    if not CsrfOnly().validate_on_submit():
        abort(400)
    session = get_session()
    agency_code = None
    own = own_agency_or_none(session)
    if own is not None:
        agency_code = own.code
    with_data = request.form.get("data") == "1" and current_user.has_role(Role.ADMIN, Role.ANALYST)
    job, start = jobs.enqueue_export(session, round_code=rnd.code, lang=request.form.get("lang", "vi"),
                                     with_data=with_data, agency_code=agency_code, user_id=current_user.id)
    audit.record(session, "export_started", actor=current_user, object_type="job", object_id=job.id,
                 ip=request.remote_addr, detail=job.params)
    after_commit(start)
    return redirect(url_for(".job_page", job_id=job.id))


def _own_job(job_id: str):
    """A job the user started; an admin may follow any job of a round within their scope."""
    job = get_session().get(Job, job_id)
    if job is None:
        abort(404)
    if job.created_by_id != current_user.id:
        if not current_user.has_role(Role.ADMIN) or current_scope().agency_scoped:
            abort(403)
        round_code = (job.params or {}).get("round")
        if round_code is None:
            abort(403)
        round_or_404(round_code)
    return job


@bp.route("/jobs/<job_id>")
@roles_required(Role.ADMIN, Role.ANALYST, Role.AGENCY_MANAGER)
def job_page(job_id: str):
    """Progress bar, then the download link (refreshes itself without any script)."""
    job = _own_job(job_id)
    progress, message = live_progress(job)
    return render_template("admin/job.html", job=job, progress=progress, message=localise(message, counts=True),
                           no_worker=jobs.waits_without_worker(job))


@bp.route("/jobs/<job_id>.json")
@roles_required(Role.ADMIN, Role.ANALYST, Role.AGENCY_MANAGER)
def job_status(job_id: str):
    """For the page's script and for other tools."""
    job = _own_job(job_id)
    progress, message = live_progress(job)
    return {"id": job.id, "status": job.status.value, "progress": progress, "message": localise(message, counts=True),
            "no_worker": jobs.waits_without_worker(job),
            "download": url_for(".job_download", job_id=job.id) if job.file_name else None}


@bp.route("/jobs/<job_id>/download")
@roles_required(Role.ADMIN, Role.ANALYST, Role.AGENCY_MANAGER)
def job_download(job_id: str):
    """The finished file."""


    job = _own_job(job_id)
    if not job.file_name:
        abort(404)
    path = Path(current_app.config["EXPORT_DIR"]) / job.file_name
    return send_file(path, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=job.file_name)

