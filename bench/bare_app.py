"""The baseline for the submission benchmark: a bare Flask endpoint that inserts one row with SQLAlchemy Core.

Same server (gunicorn, same workers), same database and engine settings (sipas.db.make_engine: WAL and
busy timeout on SQLite), same JSON body; no validation, authentication or answers table. Whatever the real
API costs beyond this is ours.
"""
from __future__ import annotations

import os

from flask import Flask, request
from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, func, insert

from sipas.db import make_engine

metadata = MetaData()
bare = Table("bench_bare", metadata, Column("id", String(36), primary_key=True), Column("body", Text),
             Column("received_at", DateTime(timezone=True), server_default=func.now()))


def prepare(url: str) -> None:
    """Create the table once, before the workers start (they would race to create it)."""
    engine = make_engine(url)
    metadata.create_all(engine)
    engine.dispose()


def create() -> Flask:
    """gunicorn 'bench.bare_app:create()' with SIPAS_DATABASE_URL set."""
    app = Flask(__name__)
    engine = make_engine(os.environ["SIPAS_DATABASE_URL"],
                         sqlite_synchronous=os.environ.get("SIPAS_SQLITE_SYNCHRONOUS", "FULL"))

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.post("/bare")
    def insert_one():
        body = request.get_json(silent=True) or {}
        with engine.begin() as conn:
            conn.execute(insert(bare).values(id=str(body.get("id")), body=request.get_data(as_text=True)))
        return {"id": body.get("id"), "status": "created"}, 201

    return app
