"""The request boundary owns the commit: a view returns and its changes are committed here, once.

- A view that returns a response with status < 400 is committed; an error status (>= 400), an exception, or
  `db.discard_changes()` rolls back. Views never call commit() or rollback().
- A commit that fails because storage is unavailable, full or read-only becomes a 503 (the view's own
  `db.on_storage_failure` page when it registered one, e.g. the online form with the citizen's answers).
- Callbacks registered with `db.after_commit` run after a successful commit (starting background jobs).
"""
from __future__ import annotations

from flask import Flask, Response, g
from sqlalchemy.exc import DBAPIError

from sipas.web.unavailable import answer_storage_failure


def init_app(app: Flask) -> None:
    """Register the commit at the end of every request.

    Registered after the other after-request hooks, so it runs before them (Flask runs them in reverse):
    a 503 that replaces the view's response still gets the security headers.
    """
    app.after_request(commit_at_request_end)


def commit_at_request_end(response: Response) -> Response:
    """Commit the request's session, or roll it back, and answer 503 when storage refuses the commit."""
    session = g.get("db_session")
    if session is None:
        return response
    if response.status_code >= 400 or g.get("db_discard"):
        try:
            session.rollback()
        except DBAPIError:
            pass  # the connection is gone (the error response may be about that); teardown discards it
        return response
    try:
        session.commit()
    except DBAPIError as exc:
        failure = answer_storage_failure(exc)
        if failure is None:
            raise  # a real bug: Flask turns it into a logged 500
        return failure
    for callback in g.pop("db_after_commit", []):
        callback()
    return response
