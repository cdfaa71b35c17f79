"""Administrative units and agencies, effective-dated, with successor links across reorganisations."""
from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sipas.models.base import Base, value_enum


class AdminMap(str, enum.Enum):
    """Which administrative map a unit or a result belongs to."""

    HISTORICAL_63 = "historical_63"  # until 2025-06-30: 63 provinces, districts, communes
    NEW_34 = "new_34"  # from 2025-07-01: 34 provinces, communes, no districts


class Level(str, enum.Enum):
    """Administrative level (cấp)."""

    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"


#: Vietnamese names of the levels, accepted on input as well.
LEVEL_VI = {Level.PROVINCE: "tỉnh", Level.DISTRICT: "huyện", Level.COMMUNE: "xã"}

#: Date of the 2025 reorganisation: the new map starts, districts end the day before.
REORGANISATION_DATE = date(2025, 7, 1)


class AgencyKind(str, enum.Enum):
    """What sort of body an agency is."""

    DEPARTMENT = "department"  # Sở, ban, ngành
    PEOPLES_COMMITTEE = "peoples_committee"  # UBND cấp tỉnh / huyện / xã
    SERVICE_CENTRE = "service_centre"  # Trung tâm Phục vụ hành chính công
    ONE_STOP_DESK = "one_stop_desk"  # Bộ phận một cửa
    OTHER = "other"


class AdminUnit(Base):
    """A province, district or commune as it existed on one map between two dates."""

    __tablename__ = "admin_units"
    __table_args__ = (
        UniqueConstraint("admin_map", "level", "code"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", "valid_dates"),
        CheckConstraint("admin_map <> 'new_34' OR level <> 'district'", "no_district_on_new_map"),
        Index("ix_admin_units_parent", "parent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Official code (mã đơn vị hành chính): 2 digits for provinces, 3 for districts, 5 for communes.
    code: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(120))
    #: Kind as written in the name: Tỉnh, Thành phố, Huyện, Quận, Xã, Phường, Thị trấn, Đặc khu...
    division_type: Mapped[str | None] = mapped_column(String(40))
    admin_map: Mapped[AdminMap] = mapped_column(value_enum(AdminMap, 16))
    level: Mapped[Level] = mapped_column(value_enum(Level, 16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    parent: Mapped[AdminUnit | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<AdminUnit {self.admin_map.value}/{self.level.value} {self.code} {self.name}>"


class UnitSuccession(Base):
    """A link from a unit on the old map to a unit that took (part of) it over.

    `share` is the fraction of the predecessor that went to this successor (1.0 when it went whole).
    """

    __tablename__ = "unit_successions"
    __table_args__ = (CheckConstraint("share IS NULL OR (share > 0 AND share <= 1)", "share_range"),)

    predecessor_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id", ondelete="CASCADE"), primary_key=True)
    successor_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id", ondelete="CASCADE"), primary_key=True,
                                              index=True)
    share: Mapped[float | None] = mapped_column(Float)
    #: Where a commune was split, the successor the source names as the default one.
    is_primary: Mapped[bool] = mapped_column(default=True)
    effective_on: Mapped[date] = mapped_column(Date)


class Agency(Base):
    """A body whose service citizens rate: a department, a People's Committee, a service centre."""

    __tablename__ = "agencies"
    __table_args__ = (CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", "valid_dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[AgencyKind] = mapped_column(value_enum(AgencyKind))
    level: Mapped[Level] = mapped_column(value_enum(Level, 16))
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"), index=True)
    #: The agency this one belongs to (a one-stop desk under its People's Committee).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    unit: Mapped[AdminUnit] = relationship()
    parent: Mapped[Agency | None] = relationship(remote_side=[id])
    service_points: Mapped[list[ServicePoint]] = relationship(back_populates="agency")

    def __repr__(self) -> str:
        return f"<Agency {self.code} {self.name}>"


class AgencySuccession(Base):
    """A link from an agency to the one that took over (part of) its work, e.g. after a merger."""

    __tablename__ = "agency_successions"
    __table_args__ = (CheckConstraint("share IS NULL OR (share > 0 AND share <= 1)", "share_range"),)

    predecessor_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True)
    successor_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True)
    share: Mapped[float | None] = mapped_column(Float)
    effective_on: Mapped[date] = mapped_column(Date)


class ServicePoint(Base):
    """A physical office where citizens are served: kiosks stand there and samples are drawn from it."""

    __tablename__ = "service_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    #: Dossiers handled per year, the size measure for PPS selection of offices.
    annual_dossiers: Mapped[int | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)

    agency: Mapped[Agency] = relationship(back_populates="service_points")
