"""Importing agencies (mergers and renames included) from a file."""
from __future__ import annotations

import tempfile
from pathlib import Path

from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user

from sipas import jobs
from sipas.db import after_commit, discard_changes, get_session
from sipas.errors import ValidationFailed
from sipas.models import Role
from sipas.services import audit
from sipas.services.admin import import_agencies
from sipas.web.admin.common import CsrfOnly, bp
from sipas.web.authz import roles_required


@bp.route("/agencies/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def import_agencies_page():
    """Upload agencies (CSV or XLSX only, size-limited); every problem is listed by row, and nothing changes.
    A large file is imported in the background: the job page shows its progress and problems."""
    form = CsrfOnly()
    problems, report = [], None
    if request.method == "POST" and form.validate_on_submit():
        upload = request.files.get("file")
        suffix = Path(upload.filename or "").suffix.lower() if upload else ""
        if upload is None or suffix not in (".csv", ".xlsx"):
            problems = ["only .csv and .xlsx files are accepted"]
        elif _size(upload) > current_app.config["AGENCY_INLINE_MAX_BYTES"]:
            return _in_the_background(upload, suffix)
        else:
            problems, report = _import_now(upload, suffix)
    return render_template("admin/import_agencies.html", form=form, problems=problems, report=report), \
        (422 if problems else 200)


def _size(upload) -> int:
    upload.stream.seek(0, 2)
    size = upload.stream.tell()
    upload.stream.seek(0)
    return size


def _in_the_background(upload, suffix: str):
    """Queue the import (the job row is committed with the request, then the task starts); show its page."""
    job, start = jobs.enqueue_agency_import(get_session(), upload=upload, suffix=suffix, user_id=current_user.id,
                                            ip=request.remote_addr)
    audit.record(get_session(), "agency_import_started", actor=current_user, object_type="job", object_id=job.id,
                 ip=request.remote_addr, detail={"bytes": _size(upload)})
    after_commit(start)
    return redirect(url_for(".job_page", job_id=job.id))


def _import_now(upload, suffix: str):
    """(problems, report) of an import done within the request."""
    session = get_session()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        upload.save(path)
        try:
            report = import_agencies(session, path)
        except ValidationFailed as exc:
            discard_changes()
            return exc.lines(), None
    audit.record(session, "agencies_imported", actor=current_user, ip=request.remote_addr,
                 detail={"created": report.created, "updated": report.updated})
    return [], report
