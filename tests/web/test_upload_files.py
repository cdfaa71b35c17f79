"""Uploaded files that are not what they claim: refused with 422 and a reason, never a 500, nothing loaded.

The sample-frame upload and the agency import share one reader (sipas.services.interchange.read_rows)."""
from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from sipas.db import session_factory
from sipas.models import FrameUnit
from sipas.services import interchange
from tests.conftest import login


def _xlsx_with_sheet_xml(sheet_xml: bytes) -> bytes:
    """A real workbook whose first sheet's XML is replaced."""
    book = openpyxl.Workbook()
    book.active.append(["dossier_code", "agency_code"])
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, sheet_xml if item.filename == "xl/worksheets/sheet1.xml" else data)
    return out.getvalue()


def _xlsx_without_sheets() -> bytes:
    book = openpyxl.Workbook()
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item, source.read(item.filename))
    return out.getvalue()


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
          b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')
UNDEFINED = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&nope;</t></is></c></row></sheetData></worksheet>')

FILES = {
    "not a zip": ("f.xlsx", b"this is not a workbook"),
    "no sheet": ("f.xlsx", _xlsx_without_sheets()),
    "undefined entity": ("f.xlsx", _xlsx_with_sheet_xml(UNDEFINED)),
    "billion laughs": ("f.xlsx", _xlsx_with_sheet_xml(LAUGHS)),
    "CSV field over the csv limit": ("f.csv", b"dossier_code,agency_code\n\"" + b"x" * 140_000 + b"\",LCU.STP\n"),
    "not UTF-8": ("f.csv", "dossier_code,agency_code\nhồ sơ,LCU.STP\n".encode("utf-16")),
}


def _frames(app):
    s = session_factory(app)()
    try:
        return s.scalar(select(func.count()).select_from(FrameUnit))
    finally:
        s.close()


@pytest.mark.parametrize("case", list(FILES))
def test_malformed_files_are_422_on_the_sample_and_agency_pages(demo_app, case):
    name, body = FILES[case]
    client = demo_app.test_client()
    login(client, "admin")
    r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "frame", "file": (io.BytesIO(body), name)},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and _frames(demo_app) == 0
    r = client.post("/admin/agencies/import", data={"file": (io.BytesIO(body), name)},
                    content_type="multipart/form-data")
    assert r.status_code == 422


def test_a_file_with_more_rows_than_the_limit_is_refused_unread(demo_app, monkeypatch):
    monkeypatch.setattr(interchange, "MAX_ROWS", 100)  # the limit is a setting of the reader; 100 keeps this quick
    lines = ["dossier_code,agency_code"] + [f"D{i},LCU.STP" for i in range(100)]
    client = demo_app.test_client()
    login(client, "admin")
    r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "frame", "file": (
        io.BytesIO("\n".join(lines).encode()), "f.csv")}, content_type="multipart/form-data")
    assert r.status_code == 422 and "100" in r.get_data(as_text=True) and _frames(demo_app) == 0
    r = client.post("/admin/rounds/LCU-2026/sample", data={"action": "frame", "file": (
        io.BytesIO("\n".join(lines[:100]).encode()), "f.csv")}, content_type="multipart/form-data")
    assert r.status_code == 200 and _frames(demo_app) == 99
