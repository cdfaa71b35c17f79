"""Round page, QR posters and invitation CSVs, with agency scope enforced on the server."""
from __future__ import annotations

import csv

from sipas.cli.collection import invitations_create
from tests.conftest import login


def test_round_page_lists_links_posters_and_qr_codes(demo_app):
    client = demo_app.test_client()
    login(client, "admin")
    page = client.get("/admin/rounds/LCU-2026").get_data(as_text=True)
    assert "http://localhost/r/LCU-2026/LCU.STP" in page and "/admin/rounds/LCU-2026/poster/LCU.STP" in page


def test_poster_is_a_printable_page_with_the_qr_of_the_public_link(demo_app):
    client = demo_app.test_client()
    login(client, "admin")
    page = client.get("/admin/rounds/LCU-2026/poster/LCU.STP?point=LCU.STP.MC").get_data(as_text=True)
    assert "<svg" in page and 'class="segno"' in page and "style=" not in page.split("<body")[1]
    assert "http://localhost/r/LCU-2026/LCU.STP/LCU.STP.MC" in page and "Mở camera điện thoại" in page
    r = client.get("/admin/rounds/LCU-2026/qr/LCU.STP.png")
    assert r.status_code == 200 and r.mimetype == "image/png" and r.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_agency_manager_gets_posters_only_for_their_agency(demo_app):
    client = demo_app.test_client()
    login(client, "manager")
    assert client.get("/admin/rounds/LCU-2026/poster/LCU.STP").status_code == 200
    assert client.get("/admin/rounds/LCU-2026/poster/LCU.SYT").status_code == 403
    assert client.get("/admin/rounds/LCU-2026/qr/LCU.SYT.png").status_code == 403
    page = client.get("/admin/rounds/LCU-2026").get_data(as_text=True)
    assert "LCU.STP" in page and "LCU.SYT" not in page


def test_surveyors_cannot_open_round_pages(demo_app):
    client = demo_app.test_client()
    login(client, "surveyor")
    assert client.get("/admin/rounds/LCU-2026").status_code == 403
    assert client.get("/admin/rounds/NOPE").status_code == 403


def test_invitation_csv_has_one_working_link_per_row(demo_app, tmp_path):
    out = tmp_path / "links.csv"
    result = demo_app.test_cli_runner().invoke(invitations_create, ["--round", "LCU-2026", "--agency", "LCU.STP",
                                                                    "--count", "3", "--output", str(out)])
    assert result.exit_code == 0, result.output
    # The byte-order mark Excel needs to show Vietnamese, as in the sampling page's list (one writer).
    assert out.read_bytes().startswith(b"\xef\xbb\xbfserial,")
    with open(out, encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 and rows[0]["serial"] == "LCU-2026-I000001"
    client = demo_app.test_client()
    path = rows[0]["link"].split("5000", 1)[1]
    assert client.get(path).status_code == 200
