"""People and devices that act on the platform: users with roles, kiosks, API keys, paper batches."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sipas.models.base import Base, utcnow, value_enum
from sipas.models.units import AdminUnit, Agency, ServicePoint


class Role(str, enum.Enum):
    """What a user may do; scope (jurisdiction or agency) never widens by combining roles."""

    ADMIN = "admin"
    ANALYST = "analyst"
    AGENCY_MANAGER = "agency_manager"
    SURVEYOR = "surveyor"
    VERIFIER = "verifier"


class User(Base):
    """A staff member. Citizens never have accounts: their answers are anonymous."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(160), default="")
    #: argon2id hash (argon2-cffi); never a plain or reversible password.
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    #: Jurisdiction (a province) for admins and analysts; NULL for the Ministry (national).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    #: Agency scope for agency managers: they see this agency and those under it.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    #: The TOTP time step of the last accepted code: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    #: A secret being set up (shown once on the setup page, kept here rather than in the readable cookie).
    totp_pending: Mapped[str | None] = mapped_column(String(64))
    #: Part of every session's identity: raising it ends all of the user's sessions (logout, password, roles,
    #: deactivation, TOTP changes).
    session_generation: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    #: Set by an admin reset: the user must choose a new password before doing anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()

    unit: Mapped[AdminUnit | None] = relationship()
    agency: Mapped[Agency | None] = relationship()
    roles: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def role_set(self) -> frozenset[Role]:
        """The user's roles as enum members."""
        return frozenset(r.role for r in self.roles)

    def has_role(self, *roles: Role) -> bool:
        """True when the user holds any of `roles`."""
        return bool(self.role_set.intersection(roles))

    # Flask-Login's user protocol (kept here rather than importing flask_login into the models).
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        """Inactive users cannot log in."""
        return self.active

    def get_id(self) -> str:
        """Session identifier for Flask-Login: the id and the session generation, so a raised generation
        makes every session issued before it invalid (checked by the user loader on each request)."""
        return f"{self.id}:{self.session_generation}"

    def end_sessions(self) -> None:
        """End every session of this user (the current request may log in again with the new generation)."""
        self.session_generation = (self.session_generation or 0) + 1


class UserRole(Base):
    """One role held by one user."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(value_enum(Role, 24), primary_key=True)


class KioskDevice(Base):
    """A tablet enrolled at a service point; it authenticates with a revocable device token."""

    __tablename__ = "kiosk_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    #: SHA-256 of the device token; the token itself is shown once, at enrolment.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_seen_at: Mapped[datetime | None] = mapped_column()
    #: SHA-256 of a short one-time enrolment code (typed on the tablet) and when it stops working; the server
    #: exchanges it for a new device token kept only in the tablet's cookie.
    enrol_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    enrol_code_expires_at: Mapped[datetime | None] = mapped_column()

    service_point: Mapped[ServicePoint] = relationship()


class ApiKey(Base):
    """A key for systems that push responses (e.g. a province's one-stop software)."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: When set, the key may only submit for this agency and those under it.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    #: Channels (by value) the key may submit as: `api` unless declared otherwise when issued. Never `kiosk`
    #: (kiosk ratings come through an enrolled device) nor paper (keyed by surveyors).
    channels: Mapped[list] = mapped_column(default=lambda: ["api"], server_default='["api"]')
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


class BatchStatus(str, enum.Enum):
    """Paper batch life cycle: keyed once, keyed twice, adjudicated."""

    OPEN = "open"
    FIRST_DONE = "first_done"
    SECOND_DONE = "second_done"
    VERIFIED = "verified"


class PaperBatch(Base):
    """A box of returned paper forms, keyed twice (blind double entry) before it counts."""

    __tablename__ = "paper_batches"
    __table_args__ = (CheckConstraint("expected_count > 0", "expected_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    box_number: Mapped[str] = mapped_column(String(40))
    expected_count: Mapped[int] = mapped_column()
    #: paper_post (returned by post) or paper_direct (handed out at the desk).
    channel: Mapped[str] = mapped_column(String(16), default="paper_post")
    status: Mapped[BatchStatus] = mapped_column(value_enum(BatchStatus, 16), default=BatchStatus.OPEN)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
