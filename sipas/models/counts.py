"""Maintained counts: the additive sums the analysis reads, folded in from a round's valid responses.

Kept by `sipas.services.results.counts` (fold-in, invalidation) and read by `counted` (the analysis). They hold
nothing that is not derived from `responses` and `answers`: deleting them loses nothing (they are rebuilt).
Stratum NULL is stored as '' (a key column cannot be NULL in a primary key).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from sipas.models.base import Base


class CountState(Base):
    """What has been folded in for a round: every valid response with an id up to `watermark` (and no other),
    checked at each read by the signature of those responses (count, sum of ids, of weights, of weight x id)."""

    __tablename__ = "count_states"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    #: Set by `counts.invalidate` when weights, statuses, strata or PSUs of folded responses change: the next
    #: fold-in rebuilds, and until then the analysis reads the answers.
    stale: Mapped[bool] = mapped_column(default=False)
    watermark: Mapped[int] = mapped_column(BigInteger, default=0)
    n: Mapped[int] = mapped_column(BigInteger, default=0)
    id_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    w_sum: Mapped[float] = mapped_column(Float, default=0.0)
    wid_sum: Mapped[float] = mapped_column(Float, default=0.0)
    #: The analysis plan's items the counts were folded for, joined by ',' (another plan: rebuilt).
    items: Mapped[str] = mapped_column(String(2000), default="")
    updated_at: Mapped[datetime | None] = mapped_column()


class CountCell(Base):
    """Respondents with a PSU per (channel group, agency, stratum, PSU)."""

    __tablename__ = "count_cells"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    grp: Mapped[str] = mapped_column(String(16), primary_key=True)
    agency_id: Mapped[int] = mapped_column(primary_key=True)
    stratum: Mapped[str] = mapped_column(String(60), primary_key=True)
    psu: Mapped[str] = mapped_column(String(60), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class CountValue(Base):
    """Sum of weights and count of the answers with a PSU per (group, agency, stratum, PSU, item, value)."""

    __tablename__ = "count_values"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    grp: Mapped[str] = mapped_column(String(16), primary_key=True)
    agency_id: Mapped[int] = mapped_column(primary_key=True)
    stratum: Mapped[str] = mapped_column(String(60), primary_key=True)
    psu: Mapped[str] = mapped_column(String(60), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    w: Mapped[float] = mapped_column(Float)
    n: Mapped[int] = mapped_column(BigInteger)


class CountPattern(Base):
    """Respondents without a PSU (each their own PSU) per (group, agency, stratum, weight, answer pattern)."""

    __tablename__ = "count_patterns"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    grp: Mapped[str] = mapped_column(String(16), primary_key=True)
    agency_id: Mapped[int] = mapped_column(primary_key=True)
    stratum: Mapped[str] = mapped_column(String(60), primary_key=True)
    weight: Mapped[float] = mapped_column(Float, primary_key=True)
    #: "item=value;item=value" in the plan's item order (answered items only).
    pattern: Mapped[str] = mapped_column(String(2000), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class CountPair(Base):
    """The composite items' cross-moments of one agency: three float64 matrices [Kc, Kc] (n, d, c) in a row."""

    __tablename__ = "count_pairs"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    grp: Mapped[str] = mapped_column(String(16), primary_key=True)
    agency_id: Mapped[int] = mapped_column(primary_key=True)
    moments: Mapped[bytes] = mapped_column(LargeBinary)
