"""Survey rounds: what is measured, when, through which channels, with which sample design."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

import surveys
from sipas.models.base import Base, utcnow, value_enum
from sipas.models.units import AdminMap, AdminUnit, Agency


class Channel(str, enum.Enum):
    """How a response reached us. Self-selected channels are never pooled with sampled ones."""

    KIOSK = "kiosk"  # tablet at a one-stop desk (self-selected)
    ONLINE = "online"  # public link or QR code (self-selected)
    INVITATION = "invitation"  # one-time link sent to a sampled respondent
    PAPER_POST = "paper_post"  # sampled, paper form returned by post, keyed by a surveyor
    PAPER_DIRECT = "paper_direct"  # sampled, paper form handed out, keyed by a surveyor
    INTERVIEW = "interview"  # sampled, interviewer-administered
    IMPORT = "import"  # bulk import of already-digitised responses
    API = "api"  # pushed by another system (e.g. a one-stop system's rating widget)


#: Channels whose respondents chose themselves; reports keep them apart from sampled responses.
SELF_SELECTED = frozenset({Channel.KIOSK, Channel.ONLINE, Channel.API})
PAPER = frozenset({Channel.PAPER_POST, Channel.PAPER_DIRECT})


class RoundStatus(str, enum.Enum):
    """Life cycle of a round's collection. Publishing results is separate (a round's published versions are its
    published result sets): an open round keeps collecting after a publication."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


round_agencies = Table(
    "round_agencies",
    Base.metadata,
    Column("round_id", Integer, ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True),
    Column("agency_id", Integer, ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True),
)


def _profile_fingerprint(context) -> str | None:
    """The fingerprint of the round's profile file at creation (None for a key with no shipped file)."""
    try:
        return surveys.fingerprint(context.get_current_parameters()["profile_key"])
    except surveys.ProfileError:
        return None


class Round(Base):
    """One measurement: e.g. 'SIPAS 2024, tỉnh Lai Châu'."""

    __tablename__ = "rounds"
    __table_args__ = (CheckConstraint("closes_on IS NULL OR opens_on IS NULL OR closes_on >= opens_on", "dates"),
                      CheckConstraint("year BETWEEN 2000 AND 2100", "year_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short stable key used in URLs, the CLI and file names ("LCU-2024").
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column()
    #: Method version (SIPAS_2640, SIPAS_1001, KIOSK_RT): which formulas the indices follow.
    method_version: Mapped[str] = mapped_column(String(40))
    #: Questionnaire profile key; a profile with responses is never edited, a new version gets a new key.
    profile_key: Mapped[str] = mapped_column(String(40))
    #: SHA-256 of the profile's file when the round was created: results are refused once the file differs
    #: (NULL for rounds created before fingerprints were recorded: not checked).
    profile_fingerprint: Mapped[str | None] = mapped_column(String(64), default=_profile_fingerprint)
    admin_map: Mapped[AdminMap] = mapped_column(value_enum(AdminMap, 16))
    #: The province (or the whole country when NULL) the round covers.
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    opens_on: Mapped[date | None] = mapped_column(Date)
    closes_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[RoundStatus] = mapped_column(value_enum(RoundStatus, 16), default=RoundStatus.DRAFT)
    #: Enabled channels, by value.
    channels: Mapped[list] = mapped_column(default=list)
    #: How strata, PSUs and weights are defined, e.g.
    #: {"stratum": "level", "psu": "service_point", "weights": "design"}.
    design: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    jurisdiction: Mapped[AdminUnit | None] = relationship()
    agencies: Mapped[list[Agency]] = relationship(secondary=round_agencies, order_by=Agency.code)

    def accepts(self, channel: Channel, today: date) -> bool:
        """True when the round is open on `today` and the channel is enabled."""
        return round_accepts(self.status, self.channels, self.opens_on, self.closes_on, channel, today)

    @property
    def jurisdiction_name(self) -> str | None:
        """The province's name (None for a national round), as the hot path's cached round row has it."""
        return self.jurisdiction.name if self.jurisdiction is not None else None


def round_accepts(status: RoundStatus, channels: list | None, opens_on: date | None, closes_on: date | None,
                  channel: Channel, today: date) -> bool:
    """The one rule: a round accepts a channel's responses when it is open, the channel is enabled and `today`
    falls within its dates (Round.accepts, and the cached rows of sipas.services.lookups)."""
    if status is not RoundStatus.OPEN or channel.value not in (channels or []):
        return False
    return (opens_on is None or opens_on <= today) and (closes_on is None or today <= closes_on)
