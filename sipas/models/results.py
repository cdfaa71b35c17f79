"""Stored index results: unrounded, with method version, map, settings and the data snapshot."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sipas.models.base import Base, utcnow, value_enum
from sipas.models.units import AdminMap


class ResultSet(Base):
    """One computation of a round's indices. Published sets are frozen; a recomputation is a new version."""

    __tablename__ = "result_sets"
    __table_args__ = (UniqueConstraint("round_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    version: Mapped[int] = mapped_column()
    method_version: Mapped[str] = mapped_column(String(40))
    admin_map: Mapped[AdminMap] = mapped_column(value_enum(AdminMap, 16))
    #: Rules and interval settings in force (confidence level, min base, higher-unit rule, ...).
    settings: Mapped[dict] = mapped_column(default=dict)
    #: Identifier of the data the set was computed from (count and checksum of response UUIDs).
    snapshot_id: Mapped[str] = mapped_column(String(80))
    #: Seed of the random generator used for rank intervals, so the set can be reproduced.
    seed: Mapped[int] = mapped_column()
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column()
    #: The whole analysis result (indices, differences, ranks) as computed: a published report is rebuilt
    #: from this, never recomputed.
    payload: Mapped[dict | None] = mapped_column()
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    values: Mapped[list[IndexValue]] = relationship(cascade="all, delete-orphan", back_populates="result_set")


class IndexValue(Base):
    """One index for one group (all / level / agency), at full precision."""

    __tablename__ = "index_values"
    __table_args__ = (UniqueConstraint("result_set_id", "group_by", "group_key", "channel_group", "index_code"),
                      Index("ix_index_values_group", "result_set_id", "group_by", "group_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    result_set_id: Mapped[int] = mapped_column(ForeignKey("result_sets.id", ondelete="CASCADE"))
    group_by: Mapped[str] = mapped_column(String(16))
    group_key: Mapped[str] = mapped_column(String(40))
    #: "sampled" or "self_selected": the two are never pooled.
    channel_group: Mapped[str] = mapped_column(String(16), default="sampled")
    index_code: Mapped[str] = mapped_column(String(16))
    estimate: Mapped[float | None] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    n: Mapped[int] = mapped_column(default=0)
    se: Mapped[float | None] = mapped_column(Float)
    df: Mapped[float | None] = mapped_column(Float)
    deff: Mapped[float | None] = mapped_column(Float)
    n_eff: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str | None] = mapped_column(String(40))
    low_base: Mapped[bool] = mapped_column(default=False)

    result_set: Mapped[ResultSet] = relationship(back_populates="values")
