"""Public pages: what the platform is."""
from __future__ import annotations

import shutil
from pathlib import Path

from flask import Blueprint, current_app, render_template
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from sipas.db import get_session
from sipas.web.unavailable import CAUSES, last_failure, storage_problem

bp = Blueprint("public", __name__)


@bp.route("/")
def home():
    """The home page."""
    return render_template("public/home.html")


@bp.route("/healthz")
def healthz():
    """Liveness for load balancers (no database access)."""
    return {"status": "ok"}


@bp.route("/readyz")
def readyz():
    """Readiness for operators and monitors: can the database take writes now? 200 or 503 with the cause.

    Checks a query round trip, PostgreSQL's read-only setting, and for SQLite the free space beside the file
    (below MIN_FREE_DISK_MB new responses may fail). Also reports the last write failure this process saw.
    """
    session = get_session()
    cause = None
    try:
        session.execute(text("SELECT 1"))
        url = current_app.config["DATABASE_URL"]
        if url.startswith("postgresql") and session.execute(text("SHOW transaction_read_only")).scalar() == "on":
            cause = "read_only"
        elif url.startswith("sqlite:///"):
            free = shutil.disk_usage(Path(url[len("sqlite:///"):]).parent).free
            if free < current_app.config["MIN_FREE_DISK_MB"] * 1024 * 1024:
                cause = "full"
    except DBAPIError as exc:
        cause = storage_problem(exc) or "unavailable"
    body = {"status": "ok" if cause is None else "unavailable", "last_write_failure": last_failure() or None}
    if cause:
        body.update(cause=cause, message=CAUSES[cause])
    return body, 200 if cause is None else 503
