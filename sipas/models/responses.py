"""Responses and their answers, stored as rows so the database can count them with GROUP BY."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sipas.models.base import Base, utcnow, value_enum
from sipas.models.surveys import Channel, Round
from sipas.models.units import Agency, ServicePoint


class ResponseStatus(str, enum.Enum):
    """Whether a response counts: flagged ones are reviewed, void ones never count."""

    VALID = "valid"
    FLAGGED = "flagged"
    VOID = "void"


class Response(Base):
    """One completed questionnaire."""

    __tablename__ = "responses"
    __table_args__ = (
        CheckConstraint("weight > 0", "weight_positive"),
        CheckConstraint("channel NOT IN ('paper_post', 'paper_direct') OR entered_by_id IS NOT NULL",
                        "paper_has_surveyor"),
        CheckConstraint("device_seq IS NULL OR device_seq >= 0", "device_seq_nonnegative"),
        Index("ix_responses_round_agency", "round_id", "agency_id"),
        Index("ix_responses_device_seq", "device_id", "device_seq"),
        # The burst check (identical content in a round within minutes) reads at most a few entries of this
        # index, whatever the round's size: a submission costs the same in a round of a million.
        Index("ix_responses_burst", "round_id", "content_hash", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Client-generated UUID: a retry of the same submission finds this row instead of adding one.
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_points.id"))
    #: How the answers reached us; stored as the value ("kiosk"), not the member name.
    channel: Mapped[Channel] = mapped_column(value_enum(Channel, 16))
    profile_key: Mapped[str] = mapped_column(String(40))
    #: When the respondent finished (client clock); received_at is the server's clock.
    submitted_at: Mapped[datetime | None] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Sample design: stratum, primary sampling unit and weight (1 when not sampled).
    stratum: Mapped[str | None] = mapped_column(String(60))
    psu: Mapped[str | None] = mapped_column(String(60))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    status: Mapped[ResponseStatus] = mapped_column(value_enum(ResponseStatus, 16), default=ResponseStatus.VALID)
    flag_reason: Mapped[str | None] = mapped_column(String(200))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk_devices.id"))
    #: Per-device sequence number: gaps reveal lost responses.
    device_seq: Mapped[int | None] = mapped_column()
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("paper_batches.id"))
    #: Keyed hash (HMAC-SHA-256) of the dossier code, never the code itself.
    dossier_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    #: Hash of the submitted content: the same UUID with other content is a conflict, not a retry.
    content_hash: Mapped[str] = mapped_column(String(64))

    round: Mapped[Round] = relationship()
    agency: Mapped[Agency] = relationship()
    service_point: Mapped[ServicePoint | None] = relationship()
    answers: Mapped[list[Answer]] = relationship(cascade="all, delete-orphan", back_populates="response")
    comment: Mapped[Comment | None] = relationship(cascade="all, delete-orphan", uselist=False)


class Answer(Base):
    """One answer: item code and small integer value. Missing answers have no row."""

    __tablename__ = "answers"
    __table_args__ = (CheckConstraint("value BETWEEN 0 AND 99", "value_range"),
                      Index("ix_answers_item_value", "item_code", "value"))

    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger)

    response: Mapped[Response] = relationship(back_populates="answers")


class Comment(Base):
    """Free text a respondent typed, kept apart from answers so retention can delete it."""

    __tablename__ = "comments"

    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Marked as handled by an official (who, when, an optional note); all None while not handled.
    handled_at: Mapped[datetime | None] = mapped_column()
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    handled_note: Mapped[str | None] = mapped_column(String(300))
