"""Staff pages a person reads in words: the job status page and the paper-form batch pages show statuses,
channels, names and dates (dd/mm/yyyy, Vietnam time), never raw codes or ISO dates."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from sqlalchemy import select

from sipas.db import session_factory
from sipas.models import Agency, Job, JobStatus, PaperForm, PaperFormStatus, Round, User
from sipas.services import paper
from tests.conftest import login

#: What must not show: statuses, channels, levels as codes, ISO dates.
RAW = re.compile(r">\s*(open|first_done|first_keyed|done|queued|running|paper_post|paper_direct|province)\s*<"
                 r"|\b\d{4}-\d\d-\d\d\b")


def _visible(page: str) -> str:
    """The page without its head, scripts and attribute values (what a person reads)."""
    body = page[page.index("<body"):]
    body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
    return re.sub(r'\s[\w-]+="[^"]*"', "", body)


def test_the_batch_pages_read_in_words(demo_app):
    s = session_factory(demo_app)()
    rnd = s.scalar(select(Round).where(Round.code == "LCU-2026"))
    agency = s.scalar(select(Agency).where(Agency.code == "LCU.STP"))
    surveyor = s.scalar(select(User).where(User.username == "surveyor"))
    batch = paper.open_batch(s, rnd, agency, "HOP-7", 2, "paper_post", surveyor)
    batch.created_at = datetime(2026, 3, 4, 18, 30, tzinfo=timezone.utc)  # 05/03/2026 01:30 in Vietnam
    s.add(PaperForm(batch_id=batch.id, serial="LCU-2026-000901", status=PaperFormStatus.FIRST_KEYED))
    s.commit()
    batch_id, round_name = batch.id, rnd.name
    s.close()
    client = demo_app.test_client()
    login(client, "surveyor")
    listing = _visible(client.get("/entry/").get_data(as_text=True))
    assert not RAW.search(listing), RAW.search(listing)
    row = listing[listing.index("HOP-7"):listing.index("HOP-7") + 600]
    assert "Sở Tư pháp" in row and "Phiếu giấy qua bưu điện" in row and "05/03/2026" in row
    assert "Đang nhập" in row and round_name in row
    page = _visible(client.get(f"/entry/batches/{batch_id}").get_data(as_text=True))
    assert not RAW.search(page), RAW.search(page)
    assert "Đã nhập lần 1" in page and "Phiếu giấy qua bưu điện" in page and "05/03/2026" in page
    english = client.get(f"/entry/batches/{batch_id}?lang=en").get_data(as_text=True)
    assert "Keyed once" in english and "Paper form by post" in english


def test_the_job_page_reads_in_words(demo_app):
    s = session_factory(demo_app)()
    analyst = s.scalar(select(User).where(User.username == "analyst"))
    job = Job(id="11111111-2222-3333-4444-555555555555", kind="export_report", created_by_id=analyst.id,
              status=JobStatus.DONE, progress=100, message="", params={"round": "LCU-2026"},
              created_at=datetime(2026, 3, 4, 18, 30, tzinfo=timezone.utc),
              finished_at=datetime(2026, 3, 4, 18, 31, tzinfo=timezone.utc))
    s.add(job)
    s.commit()
    s.close()
    client = demo_app.test_client()
    login(client, "analyst")
    page = _visible(client.get(f"/admin/jobs/{job.id}").get_data(as_text=True))
    assert not RAW.search(page), RAW.search(page)
    assert "Đã xong" in page and "05/03/2026 01:30" in page and "05/03/2026 01:31" in page
