"""When the database cannot take a write (server restarting, disk full, read-only): 503 with a message that
says so, never a 500, and a log line for the operator naming the cause. Kiosks and API clients retry on 503
with the same response id, so nothing is lost and nothing is counted twice; the online form keeps the
citizen's answers on the page (it registers its own page with `db.on_storage_failure`).
"""
from __future__ import annotations

import threading
from datetime import datetime, timezone

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError, InterfaceError, InternalError, OperationalError

#: cause -> (message for the operator's log, for API clients)
CAUSES = {
    "full": "the database storage is full (free disk space, then nothing else is needed)",
    "read_only": "the database is read-only (a read-only file system, or a PostgreSQL standby/read-only setting)",
    "unavailable": "the database server cannot be reached or is restarting",
}

_last_failure: dict = {}
_lock = threading.Lock()


def storage_problem(exc: BaseException) -> str | None:
    """'full', 'read_only' or 'unavailable' for a database failure that waiting can cure; None otherwise."""
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)  # psycopg 3
    text = str(orig).lower()
    # SQLite: SQLITE_FULL "database or disk is full"; PostgreSQL: 53100 disk_full, 53xxx out of resources.
    if sqlstate == "53100" or "disk is full" in text or "no space left" in text:
        return "full"
    # SQLite: SQLITE_READONLY "attempt to write a readonly database"; PostgreSQL: 25006 read_only_sql_transaction.
    if sqlstate == "25006" or "readonly database" in text or "read-only" in text:
        return "read_only"
    if isinstance(exc, (OperationalError, InterfaceError)):
        return "unavailable"
    return None


def last_failure() -> dict:
    """The last storage failure this process saw (for /readyz), or {}."""
    with _lock:
        return dict(_last_failure)


def note_failure(cause: str, exc: DBAPIError) -> None:
    with _lock:
        _last_failure.update(cause=cause, message=CAUSES[cause], at=datetime.now(timezone.utc).isoformat(),
                             path=request.path)
    current_app.logger.error("cannot serve %s %s: %s [%s]", request.method, request.path, CAUSES[cause],
                             str(exc.orig).splitlines()[0] if exc.orig else exc)


def unavailable_response(cause: str):
    """The 503 a client sees: JSON for the API, a page in the user's language otherwise."""
    if request.path.startswith("/api/"):
        response = jsonify({"error": "the server cannot store responses right now; retry later with the same id",
                            "cause": cause})
    else:
        # Flask-Login's template context loads the user, which needs the database that just failed: the page
        # is rendered for an anonymous visitor (g._login_user is where Flask-Login keeps the request's user).
        g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
        response = current_app.make_response(render_template("unavailable.html", cause=cause))
    response.status_code = 503
    response.headers["Retry-After"] = "30" if cause in ("full", "read_only") else "5"
    return response


def answer_storage_failure(exc: DBAPIError) -> Response | None:
    """The 503 for a storage failure (raised in a view or at the commit), or None when it is not one.

    Whatever the page may show is detached first (a rollback would expire it and reload it from the database
    that just failed); the view's own page is used when it registered one with `db.on_storage_failure`.
    """
    cause = storage_problem(exc)
    if cause is None:
        return None
    session = g.get("db_session")
    if session is not None:
        session.expunge_all()
        try:
            session.rollback()
        except DBAPIError:
            pass  # the connection is gone; the session is discarded at teardown anyway
    note_failure(cause, exc)
    render = g.get("db_on_storage_failure")
    return current_app.make_response(render(cause)) if render is not None else unavailable_response(cause)


def init_app(app: Flask) -> None:
    """Map storage failures to 503 for every blueprint."""

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(InternalError)
    def _storage_failure(exc: DBAPIError):
        response = answer_storage_failure(exc)
        if response is None:
            raise exc  # a real bug: Flask turns it into a logged 500
        return response
