"""All models, importable from one place; migrations/env.py needs only `Base.metadata`."""
from sipas.models.audit import AuditEvent
from sipas.models.base import Base
from sipas.models.collection import Invitation, PaperEntry, PaperForm, PaperFormStatus
from sipas.models.counts import CountCell, CountPair, CountPattern, CountState, CountValue
from sipas.models.jobs import Job, JobStatus
from sipas.models.responses import Answer, Comment, Response, ResponseStatus
from sipas.models.results import ResultSet, ResultSnapshot
from sipas.models.sampling import FrameUnit
from sipas.models.surveys import PAPER, SELF_SELECTED, Channel, Round, RoundStatus, round_agencies
from sipas.models.units import (
    LEVEL_VI,
    REORGANISATION_DATE,
    AdminMap,
    AdminUnit,
    Agency,
    AgencyKind,
    AgencySuccession,
    Level,
    ServicePoint,
    UnitSuccession,
)
from sipas.models.users import ApiKey, BatchStatus, KioskDevice, PaperBatch, Role, User, UserRole

__all__ = [
    "AdminMap", "AdminUnit", "Agency", "AgencyKind", "AgencySuccession", "Answer", "ApiKey", "AuditEvent", "Base",
    "BatchStatus", "Channel", "Comment", "CountCell", "CountPair", "CountPattern", "CountState",
    "CountValue", "FrameUnit", "Invitation", "Job", "JobStatus", "PaperEntry", "PaperForm",
    "PaperFormStatus", "KioskDevice", "LEVEL_VI", "Level", "PAPER", "PaperBatch", "REORGANISATION_DATE",
    "Response", "ResponseStatus", "ResultSet", "ResultSnapshot", "Role", "Round", "RoundStatus",
    "SELF_SELECTED", "ServicePoint", "UnitSuccession", "User", "UserRole", "round_agencies",
]
