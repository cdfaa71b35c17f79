"""Declarative base with a naming convention (stable constraint names for Alembic) and enum helper."""
from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import ClassVar

from sqlalchemy import JSON, DateTime, Enum, MetaData, Table
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """All models share one metadata, the one migrations/env.py compares against."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    #: Every model here is mapped to one table (SQLAlchemy types it as any FROM clause).
    __table__: ClassVar[Table]
    type_annotation_map = {dict: JSON, list: JSON, datetime: DateTime(timezone=True)}


def value_enum(enum_cls: type[enum.Enum], length: int = 24) -> Enum:
    """Store an enum by its value ("kiosk"), not its member name (SQLAlchemy's default)."""
    return Enum(enum_cls, native_enum=False, length=length, validate_strings=True,
                values_callable=lambda e: [m.value for m in e], create_constraint=False)


def utcnow() -> datetime:
    """Timezone-aware now, for defaults."""
    return datetime.now(timezone.utc)
