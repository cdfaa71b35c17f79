"""Importing agencies (mergers and renames included) from a file."""
from __future__ import annotations

import tempfile
from pathlib import Path

from flask import render_template, request
from flask_login import current_user

from sipas.db import discard_changes, get_session
from sipas.errors import ValidationFailed
from sipas.models import Role
from sipas.services import audit
from sipas.services.admin import import_agencies
from sipas.web.admin.common import CsrfOnly, bp
from sipas.web.authz import roles_required


@bp.route("/agencies/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def import_agencies_page():
    """Upload agencies (CSV or XLSX only, size-limited); every problem is listed by row, and nothing changes."""

    form = CsrfOnly()
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
                except ValidationFailed as exc:
                    discard_changes()
                    problems = exc.problems if isinstance(exc.problems, list) else [
                        f"{k}: {v}" for k, v in exc.problems.items()]
    return render_template("admin/import_agencies.html", form=form, problems=problems, report=report), \
        (422 if problems else 200)

