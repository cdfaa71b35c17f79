"""Snapshots: reading a round's data consistently, and the frozen copy of the data rows a publication keeps.

A computation issues many queries (totals, pair moments, counts, data rows); responses arriving in between
must not make them disagree. `begin_consistent_read` makes the session's transaction see one snapshot of the
database (PostgreSQL: REPEATABLE READ; SQLite: an explicit BEGIN, so WAL gives every read the same snapshot).
The caller reads, ends that transaction, and writes in a new one.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.orm import Session

import surveys
from sipas.models import ResultSnapshot, Round
from sipas.services.interchange_export import export_rows

_COMPRESS_LEVEL = 6


def begin_consistent_read(session: Session) -> None:
    """Make the session's (new) transaction read one snapshot of the database until it ends."""
    if session.in_transaction():
        raise RuntimeError("begin_consistent_read must start the session's transaction")
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        # pysqlite opens a transaction only before writes; an explicit BEGIN makes the reads share a snapshot.
        session.connection().exec_driver_sql("BEGIN")


@dataclass(frozen=True)
class FrozenRows:
    """The data rows of a snapshot, compressed: header first, then one row per valid response."""

    data: bytes
    rows: int
    sha256: str

    def __iter__(self) -> Iterator[list[str]]:
        with gzip.open(io.BytesIO(self.data), "rt", encoding="utf-8") as f:
            for line in f:
                yield json.loads(line)


def copy_rows(session: Session, rnd: Round) -> FrozenRows:
    """Copy a round's valid responses (the interchange rows of the data sheet) into a compressed block."""
    buffer = io.BytesIO()
    digest = hashlib.sha256()
    count = -1
    # mtime=0: the same rows give the same bytes.
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=_COMPRESS_LEVEL, mtime=0) as f:
        for row in export_rows(session, rnd, surveys.load(rnd.profile_key)):
            line = (json.dumps(row, ensure_ascii=False) + "\n").encode()
            digest.update(line)
            f.write(line)
            count += 1
    return FrozenRows(buffer.getvalue(), max(count, 0), digest.hexdigest())


def frozen_rows(snapshot: ResultSnapshot) -> FrozenRows:
    """The stored copy of a publication's rows."""
    return FrozenRows(snapshot.data, snapshot.rows, snapshot.sha256)


def stored(rows: FrozenRows) -> ResultSnapshot:
    """A new stored copy (attach it to its result set)."""
    return ResultSnapshot(rows=rows.rows, sha256=rows.sha256, data=rows.data)
