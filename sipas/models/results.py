"""Stored results: one row per computation of a round (provisional or a published version), and the frozen copy
of the data a publication was computed from."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sipas.models.base import Base, utcnow, value_enum
from sipas.models.units import AdminMap


class ResultSet(Base):
    """One computation of a round's results. Provisional sets (version NULL) are replaced as data arrive;
    published ones (version 1, 2, ...) are frozen: a new publication is a new version, never an edit."""

    __tablename__ = "result_sets"
    __table_args__ = (UniqueConstraint("round_id", "version"),
                      Index("ix_result_sets_round_computed", "round_id", "computed_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    #: None for a provisional set.
    version: Mapped[int | None] = mapped_column()
    method_version: Mapped[str] = mapped_column(String(40))
    admin_map: Mapped[AdminMap] = mapped_column(value_enum(AdminMap, 16))
    #: Rules and interval settings in force (confidence level, profile) and how long the computation took.
    settings: Mapped[dict] = mapped_column(default=dict)
    #: Identifier of the responses and weights the set was computed from (see results.facts.fingerprint).
    snapshot_id: Mapped[str] = mapped_column(String(80))
    #: Valid responses the computation saw (shown beside the figures: "2.620 phiếu").
    responses: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    #: Seed of the random generator used for rank intervals, so the set can be reproduced.
    seed: Mapped[int] = mapped_column()
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column()
    #: The whole results tree (sipas.results.to_payload): what every page and report reads, never recomputed.
    payload: Mapped[dict | None] = mapped_column()
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    snapshot: Mapped[ResultSnapshot | None] = relationship(cascade="all, delete-orphan", uselist=False,
                                                           back_populates="result_set")


class ResultSnapshot(Base):
    """The data rows a publication was computed from (interchange format, gzip-compressed JSON lines): the
    published data sheet is rebuilt from this copy, whatever happens to the responses afterwards."""

    __tablename__ = "result_snapshots"

    result_set_id: Mapped[int] = mapped_column(ForeignKey("result_sets.id", ondelete="CASCADE"), primary_key=True)
    rows: Mapped[int] = mapped_column()
    #: SHA-256 of the uncompressed rows.
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)

    result_set: Mapped[ResultSet] = relationship(back_populates="snapshot")
