"""Collection support: one-time invitations and blind double entry of paper forms."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sipas.models.base import Base, utcnow, value_enum
from sipas.models.units import Agency


class Invitation(Base):
    """A one-time link for a sampled respondent: it accepts exactly one response."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    #: SHA-256 of the link token; the token is only in the link itself.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Serial printed on the matching paper form (mail merge), if any.
    serial: Mapped[str | None] = mapped_column(String(40))
    stratum: Mapped[str | None] = mapped_column(String(60))
    psu: Mapped[str | None] = mapped_column(String(60))
    weight: Mapped[float] = mapped_column(default=1.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column()
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"), unique=True)

    agency: Mapped[Agency] = relationship()


class PaperFormStatus(str, enum.Enum):
    """Where a paper form is in blind double entry."""

    FIRST_KEYED = "first_keyed"
    MISMATCH = "mismatch"  # both passes keyed, they differ: waits in the adjudication queue
    VERIFIED = "verified"  # both passes agree, or a verifier decided: the response counts


class PaperForm(Base):
    """One returned paper form (by serial) within a batch."""

    __tablename__ = "paper_forms"
    __table_args__ = (UniqueConstraint("batch_id", "serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("paper_batches.id", ondelete="CASCADE"), index=True)
    #: Unique across all rounds (the round's code is the serial's prefix): one form is keyed in one batch only,
    #: even when two keyers type it at the same moment.
    serial: Mapped[str] = mapped_column(String(40), unique=True, index=True)
    status: Mapped[PaperFormStatus] = mapped_column(value_enum(PaperFormStatus, 16))
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"), unique=True)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    entries: Mapped[list[PaperEntry]] = relationship(cascade="all, delete-orphan", order_by="PaperEntry.pass_no")


class PaperEntry(Base):
    """What one operator keyed for one form: pass 1 and pass 2 are keyed blind, by different people."""

    __tablename__ = "paper_entries"
    # (form, keyer) unique: the two passes of a form are keyed by two people, even when keyed at the same moment.
    __table_args__ = (UniqueConstraint("form_id", "pass_no"), CheckConstraint("pass_no IN (1, 2)", "pass_no"),
                      Index("ix_paper_entries_form_keyer", "form_id", "user_id", unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("paper_forms.id", ondelete="CASCADE"))
    pass_no: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: item code -> value (None = left blank on the form).
    answers: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
