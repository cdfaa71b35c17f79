"""Sampling frames: the completed dossiers a sample is drawn from."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sipas.models.base import Base


class FrameUnit(Base):
    """One completed dossier on a round's frame. Contact data is kept here, apart from any answer."""

    __tablename__ = "frame_units"
    __table_args__ = (Index("ix_frame_units_round_stratum", "round_id", "stratum"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    #: Keyed hash of the dossier code (never the code itself).
    dossier_hash: Mapped[str] = mapped_column(String(64))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_points.id"))
    field: Mapped[str | None] = mapped_column(String(80))
    level: Mapped[str] = mapped_column(String(16))
    completed_on: Mapped[date | None] = mapped_column(Date)
    on_time: Mapped[bool | None] = mapped_column()
    #: Address or phone for the invitation; deleted when the round closes.
    contact: Mapped[str | None] = mapped_column(String(300))
    #: For the invitation letter's mail merge, kept with the contact data and deleted with it when the round
    #: closes: the dossier code as the one-stop system prints it, the applicant's name and postal address.
    dossier_code: Mapped[str | None] = mapped_column(String(80))
    name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    stratum: Mapped[str] = mapped_column(String(60))
    sampled: Mapped[bool] = mapped_column(default=False)
    probability: Mapped[float | None] = mapped_column(Float)
    weight: Mapped[float | None] = mapped_column(Float)
    psu: Mapped[str | None] = mapped_column(String(60))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id"))
    #: Reserve list: the unit's place among its stratum's replacements (drawn after the main sample with the
    #: same seed); None for a unit that is not on the reserve list. A released reserve is sampled and keeps it.
    reserve_rank: Mapped[int | None] = mapped_column(Integer)
