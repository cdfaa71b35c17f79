"""Large agency lists are imported in the background (the job runner), on both databases: the request answers
at once with the job page, the same reader and row limit apply, problems are listed by row and nothing changes."""
from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import func, select

from sipas.db import session_scope
from sipas.jobs import start_consumer
from sipas.models import Agency, AuditEvent, Role
from sipas.services import accounts
from tests.factories import make_round
from tests.web.test_sample_pages import _wait_for_job

HEADER = "code,name,kind,level,admin_map,unit_code"


def _agencies(app) -> int:
    with session_scope(app) as s:
        return s.scalar(select(func.count()).select_from(Agency))


def _upload(client, lines: list[str]):
    return client.post("/admin/agencies/import", data={"file": (io.BytesIO("\n".join(lines).encode()), "a.csv")},
                       content_type="multipart/form-data")


def test_a_large_agency_list_is_imported_in_the_background(app):
    with session_scope(app) as s:
        make_round(s)  # province 99 and two agencies
        accounts.create_user(s, "ana", "correct horse battery", [Role.ADMIN])
    app.config["AGENCY_INLINE_MAX_BYTES"] = 1000  # anything larger goes to the queue
    consumer = start_consumer(app)
    try:
        client = app.test_client()
        client.post("/auth/login", data={"username": "ana", "password": "correct horse battery"})
        r = _upload(client, [HEADER] + [f"X.{i},Xã {i},other,commune,new_34,99" for i in range(3000)])
        assert r.status_code == 302 and "/admin/jobs/" in r.headers["Location"]
        job_url = r.headers["Location"].replace("http://localhost", "")
        status = _wait_for_job(client, job_url)
        assert status["status"] == "done" and status["message"] == "Đã thêm 3.000, đã cập nhật 0", status
        assert _agencies(app) == 3002
        page = client.get(job_url).get_data(as_text=True)
        assert 'id="back-to-agencies"' in page
        # The upload is gone once read; the import is audited with who started it.
        assert not list((Path(app.config["EXPORT_DIR"]) / "uploads").glob("agencies-*"))
        with session_scope(app) as s:
            actions = s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions[-2:] == ["agency_import_started", "agencies_imported"]
        # A large list with a bad row: the job fails with the problem by row, and nothing is imported.
        bad = [HEADER] + [f"Y.{i},Xã {i},other,commune,new_34,99" for i in range(2000)] + ["Y.BAD,x,other,county,new_34,99"]
        r = _upload(client, bad)
        job_url = r.headers["Location"].replace("http://localhost", "")
        assert _wait_for_job(client, job_url)["status"] == "failed"
        page = client.get(job_url).get_data(as_text=True)
        assert 'id="problems"' in page and "row 2002, column level" in page
        assert _agencies(app) == 3002
        # A small list is still imported at once.
        assert _upload(client, [HEADER, "Z.1,Xã Z,other,commune,new_34,99"]).status_code == 200
        assert _agencies(app) == 3003
    finally:
        consumer.stop()
