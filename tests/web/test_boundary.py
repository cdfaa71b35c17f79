"""The request boundary owns the commit: views flush, the boundary commits or rolls back once."""
from __future__ import annotations

import pathlib
import re

from flask import abort
from sqlalchemy import func, select

from sipas.db import after_commit, discard_changes, get_session, session_factory
from sipas.models import AuditEvent
from sipas.services import audit

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _routes(app, started: list[str]):
    """Test-only views that write one audit event each and end in different ways."""
    def write(action: str) -> None:
        audit.record(get_session(), action)

    def ok():
        write("ok")
        after_commit(lambda: started.append("after ok"))
        return "done"

    def redirected():
        write("redirected")
        return "", 303, {"Location": "/"}

    def refused():
        write("refused")
        after_commit(lambda: started.append("after refused"))
        return "no", 422

    def aborted():
        write("aborted")
        abort(403)

    def crashed():
        write("crashed")
        raise RuntimeError("a bug")

    def discarded():
        write("discarded")
        discard_changes()
        write("after discard")  # changes after the discard are not committed either
        return "flash and redirect", 302, {"Location": "/"}

    for view in (ok, redirected, refused, aborted, crashed, discarded):
        app.add_url_rule(f"/_t/{view.__name__}", view.__name__, view, methods=["POST"])


def _actions(app) -> list[str]:
    with session_factory(app)() as s:
        return sorted(s.scalars(select(AuditEvent.action)))


def test_views_are_committed_only_when_they_succeed(app):
    started: list[str] = []
    _routes(app, started)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the crashing view answers 500, as in production
    client = app.test_client()
    statuses = {name: client.post(f"/_t/{name}").status_code
                for name in ("ok", "redirected", "refused", "aborted", "crashed", "discarded")}
    assert statuses == {"ok": 200, "redirected": 303, "refused": 422, "aborted": 403, "crashed": 500,
                        "discarded": 302}
    assert _actions(app) == ["ok", "redirected"]
    assert started == ["after ok"]  # after-commit work runs only after a commit


def test_a_request_that_writes_nothing_leaves_the_database_alone(app):
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    with session_factory(app)() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_no_view_commits_or_rolls_back_by_hand():
    """Only the boundary (and the storage-failure handler it shares) touch the transaction in sipas/web."""
    allowed = {"boundary.py", "unavailable.py"}
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in (ROOT / "sipas" / "web").rglob("*.py") if p.name not in allowed
                 for n, line in enumerate(p.read_text().splitlines(), 1)
                 if re.search(r"\.(commit|rollback)\(\)", line)]
    assert offenders == []
