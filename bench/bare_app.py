"""The baseline of the submission benchmarks: a minimal endpoint that writes exactly the rows the app writes.

Same server (gunicorn, same workers), same database and settings (SQLite: WAL, synchronous=FULL, foreign keys,
a 30 s busy timeout; PostgreSQL: one connection per worker), same request bodies; the standard library's
`sqlite3` or plain `psycopg`, no ORM, no validation, no authentication, no burst check, no rate limit. One
transaction per request writes one `responses` row and its `answers` rows:

- POST /bare/kiosk: the kiosk API's JSON body -> 201 (the app's POST /api/v1/responses);
- POST /bare/form: the online form's urlencoded body -> 302 (the app's POST /r/<round>/<agency>).

Whatever the app costs beyond this is ours. Configured by SIPAS_DATABASE_URL and BENCH_ROUND (a round code made
by bench.harness.prepare_kiosk_round: its agency, service point and device are looked up once per worker).
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from datetime import datetime, timezone

from flask import Flask, request
from sqlalchemy.engine import make_url

_RESPONSE = ("INSERT INTO responses (uuid, round_id, agency_id, service_point_id, channel, profile_key, received_at, "
             "weight, status, device_id, device_seq, content_hash) "
             "VALUES (?, ?, ?, ?, ?, 'KIOSK_RT', ?, 1.0, 'valid', ?, ?, ?) RETURNING id")
_ANSWER = "INSERT INTO answers (response_id, item_code, value) VALUES (?, ?, ?)"
_IDS = ("SELECT r.id, a.id, p.id, d.id FROM rounds r JOIN round_agencies ra ON ra.round_id = r.id "
        "JOIN agencies a ON a.id = ra.agency_id JOIN service_points p ON p.agency_id = a.id "
        "JOIN kiosk_devices d ON d.service_point_id = p.id WHERE r.code = ?")


class _Store:
    """One connection per worker and the two statements, for SQLite or PostgreSQL."""

    def __init__(self, url: str):
        parsed = make_url(url)
        self.sqlite = parsed.get_backend_name() == "sqlite"
        if self.sqlite:
            self.conn = sqlite3.connect(parsed.database, timeout=30, isolation_level=None,
                                        check_same_thread=False)
            for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=FULL"):
                self.conn.execute(f"PRAGMA {pragma}")
            self.mark = "?"
        else:
            import psycopg
            self.conn = psycopg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False))
            self.mark = "%s"

        self.lock = threading.Lock()  # one connection per worker: its threads (gthread) take turns

    def sql(self, text: str) -> str:
        return text.replace("?", self.mark)

    def write(self, values: tuple, answers: list[tuple[str, int]]) -> None:
        now = datetime.now(timezone.utc)
        stamp = now.replace(tzinfo=None).isoformat(" ") if self.sqlite else now
        row = (*values[:5], stamp, *values[5:])
        with self.lock:
            self._write(row, answers)

    def _write(self, row: tuple, answers: list[tuple[str, int]]) -> None:
        if self.sqlite:
            self.conn.execute("BEGIN")
            new_id = self.conn.execute(_RESPONSE, row).fetchone()[0]
            self.conn.executemany(_ANSWER, [(new_id, code, value) for code, value in answers])
            self.conn.execute("COMMIT")
            return
        with self.conn.transaction(), self.conn.cursor() as cur:
            new_id = cur.execute(self.sql(_RESPONSE), row).fetchone()[0]
            cur.executemany(self.sql(_ANSWER), [(new_id, code, value) for code, value in answers])


def create() -> Flask:
    """gunicorn 'bench.bare_app:create()' with SIPAS_DATABASE_URL and BENCH_ROUND set."""
    app = Flask(__name__)
    store = _Store(os.environ["SIPAS_DATABASE_URL"])
    cur = store.conn.execute(store.sql(_IDS), (os.environ["BENCH_ROUND"],))
    round_id, agency_id, point_id, device_id = cur.fetchone()
    if not store.sqlite:
        store.conn.commit()

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.post("/bare/kiosk")
    def kiosk():
        body = request.get_json(silent=True) or {}
        answers = sorted((str(k), int(v)) for k, v in body.get("answers", {}).items())
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        store.write((str(body["id"]), round_id, agency_id, point_id, "kiosk", device_id, body.get("device_seq"),
                     digest), answers)
        return {"id": body["id"], "status": "created"}, 201

    @app.post("/bare/form")
    def form():
        posted = request.form
        answers = sorted((k, int(v)) for k, v in posted.items() if k.startswith("S") and v)
        digest = hashlib.sha256(json.dumps(answers).encode()).hexdigest()
        store.write((posted["response_id"], round_id, agency_id, None, "online", None, None, digest), answers)
        return "", 302, {"Location": "/thanks"}

    return app
