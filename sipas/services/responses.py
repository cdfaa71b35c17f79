"""The one way in: every channel (kiosk, online, paper, import, API) stores responses through here."""
from __future__ import annotations

import hashlib
import hmac
import json
import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Callable, Mapping

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

import surveys
from sipas.errors import DuplicateSubmission, SurveyClosed, ValidationFailed
from sipas.models import (
    PAPER,
    Agency,
    Answer,
    Channel,
    Comment,
    Response,
    ResponseStatus,
    Round,
    ServicePoint,
)
from sipas.services import lookups
from sipas.services.lookups import AgencyRow, PointRow, RoundRow
from sipas.services.results.freshness import mark_changed
from sipas.services.units import offered_on_map
from surveys import N_, Problem

MAX_COMMENT_LENGTH = 2000


@dataclass(frozen=True)
class Recorded:
    """The stored response's id and UUID, and whether this call created it (False: an identical retry)."""

    id: int
    uuid: str
    created: bool
    session: Session = field(repr=False, compare=False)
    round_id: int = 0
    content_hash: str = ""

    @property
    def response(self) -> Response:
        """The stored response as an ORM object (loaded on first use: the API needs only the UUID)."""
        return self.session.get_one(Response, self.id)


def dossier_hash(key: str, dossier_code: str) -> str:
    """Keyed hash of a dossier code (HMAC-SHA-256): 'one rating per dossier' without storing the code."""
    return hmac.new(key.encode(), dossier_code.strip().upper().encode(), hashlib.sha256).hexdigest()


def content_hash(payload: Mapping[str, object]) -> str:
    """Hash of the canonical JSON of what was submitted: equal content, equal hash."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Design:
    """Where a response sits in the sample: its stratum, PSU and weight (self-selected responses: none, 1)."""

    stratum: str | None = None
    psu: str | None = None
    weight: float = 1.0


@dataclass(frozen=True)
class Origin:
    """Who or what delivered a response: the surveyor who keyed it and their paper batch, or the kiosk device
    and its sequence number."""

    entered_by_id: int | None = None
    batch_id: int | None = None
    device_id: int | None = None
    device_seq: int | None = None


@dataclass(frozen=True)
class Submission:
    """One respondent's submission, as every channel hands it to record_response."""

    round: Round | RoundRow  # ORM objects, or the hot path's cached rows (sipas.services.lookups)
    agency: Agency | AgencyRow
    answers: Mapping[str, object]
    channel: Channel
    uuid: str | None = None
    service_point: ServicePoint | PointRow | None = None
    comment: str | None = None
    dossier_code: str | None = None
    submitted_at: datetime | None = None
    design: Design = Design()
    origin: Origin = Origin()


def record_response(session: Session, submission: Submission, *, dossier_key: str = "", today: date | None = None,
                    check_open: bool = True,
                    flag_check: Callable[[Session, int, str], str | None] | None = None) -> Recorded:
    """Validate a submission against its round's profile and store the response and its answers together.

    A retry with the same UUID and the same content returns the stored response (created=False);
    the same UUID with other content raises DuplicateSubmission. Bad input raises ValidationFailed
    and stores nothing. `dossier_key` keys the dossier-code hash; `check_open=False` stores into a round
    whatever its dates (paper forms keyed and files imported after the round closed). `flag_check(session,
    round_id, content_hash)` is asked before the insert (no write lock held yet); a reason it returns stores the
    response flagged with that reason (e.g. invitations.burst_reason). Flushes; the caller commits.
    """
    rnd, channel = submission.round, submission.channel
    response_uuid, clean, comment = _checked(session, submission)
    if check_open and not rnd.accepts(channel, today or date.today()):
        raise SurveyClosed(f"round {rnd.code} does not accept {channel.value} responses now")
    hashed_dossier = dossier_hash(dossier_key, submission.dossier_code) if submission.dossier_code else None
    point, design, origin = submission.service_point, submission.design, submission.origin
    digest = content_hash({"round": rnd.code, "agency": submission.agency.code, "channel": channel.value,
                           "service_point": point.code if point else None,
                           "profile": rnd.profile_key, "answers": clean, "comment": comment,
                           "dossier": hashed_dossier, "device_seq": origin.device_seq})
    values = {"uuid": response_uuid, "round_id": rnd.id, "agency_id": submission.agency.id,
              "service_point_id": point.id if point else None, "channel": channel,
              "profile_key": rnd.profile_key, "submitted_at": submission.submitted_at,
              "received_at": datetime.now(timezone.utc), "stratum": design.stratum, "psu": design.psu,
              "weight": design.weight, "status": ResponseStatus.VALID, "entered_by_id": origin.entered_by_id,
              "device_id": origin.device_id, "device_seq": origin.device_seq, "batch_id": origin.batch_id,
              "dossier_hash": hashed_dossier, "content_hash": digest}
    reason = flag_check(session, rnd.id, digest) if flag_check is not None else None
    if reason is not None:
        values.update(status=ResponseStatus.FLAGGED, flag_reason=reason)
    # One statement decides "new or retry", also between concurrent requests with the same UUID (the database's
    # unique index arbitrates): INSERT .. ON CONFLICT (uuid) DO NOTHING RETURNING id. Core rather than the ORM
    # unit of work: this is the hot path of every channel (bench/load.py). The statements run on the session's
    # connection, in its transaction (the caller commits): Session.execute adds nothing to a Core insert (no
    # autoflush for plain tables) but its dispatch, a third of each statement's cost.
    connection = session.connection()
    new_id = connection.execute(_insert_unless_uuid_exists(session), values).scalar()
    if new_id is None:
        existing = session.scalars(select(Response).where(Response.uuid == response_uuid)).one()
        return _retry(session, existing, digest)
    connection.execute(_INSERT_ANSWERS, [{"response_id": new_id, "item_code": code, "value": value}
                                         for code, value in sorted(clean.items())])
    if comment:
        connection.execute(_INSERT_COMMENT,
                           {"response_id": new_id, "text": comment, "created_at": datetime.now(timezone.utc)})
    mark_changed(session, rnd.id)  # the round's provisional results are recomputed after the commit
    return Recorded(new_id, response_uuid, True, session, rnd.id, digest)


def _off_map(profile: surveys.Profile, rnd: Round | RoundRow, clean: Mapping[str, int]) -> dict[str, str]:
    """Answers naming a level the round's map does not have (a district on a new_34 round)."""
    return {code: Problem(N_("This option is not offered in this survey."))
            for code, value in clean.items()
            if not offered_on_map(profile.item(code).scale.key, value, rnd.admin_map)}


def _checked(session: Session, submission: Submission) -> tuple[str, dict[str, int], str | None]:
    """(response UUID, clean answers, comment) of a valid submission; ValidationFailed naming every problem."""
    rnd, agency, point = submission.round, submission.agency, submission.service_point
    problems: dict[str, str] = {}
    response_uuid = submission.uuid if submission.uuid is not None else str(uuidlib.uuid4())
    try:
        response_uuid = str(uuidlib.UUID(str(response_uuid)))
    except ValueError:
        problems["id"] = "not a UUID"
    profile = surveys.load(rnd.profile_key)
    clean, answer_problems = surveys.check_answers(profile, submission.answers)
    problems.update(answer_problems)
    problems.update(_off_map(profile, rnd, clean))
    if not clean and "id" not in problems and not answer_problems:
        problems["answers"] = Problem(N_("The form has no answers yet."))
    comment = submission.comment.strip() or None if submission.comment is not None else None
    if comment and not profile.allows_comment:
        problems["comment"] = "this questionnaire takes no comment"
    elif comment and len(comment) > MAX_COMMENT_LENGTH:
        problems["comment"] = Problem(N_("The comment is too long (at most %(n)s characters)."), n=MAX_COMMENT_LENGTH)
    if submission.dossier_code and not profile.allows_dossier_code:
        problems["dossier_code"] = "this questionnaire takes no dossier code"
    if not takes_part(session, rnd, agency):
        problems["agency"] = Problem(N_("%(agency)s does not take part in %(round)s."), agency=agency.name,
                                     round=rnd.name)
    if point is not None and point.agency_id != agency.id:
        problems["service_point"] = Problem(N_("%(point)s does not belong to %(agency)s."), point=point.name,
                                            agency=agency.name)
    if not (submission.design.weight > 0):
        problems["weight"] = "weight must be positive"
    if submission.channel in PAPER and submission.origin.entered_by_id is None:
        problems["entered_by"] = "paper forms are keyed by a surveyor"
    if problems:
        raise ValidationFailed(problems)
    return response_uuid, clean, comment


# Statements built once: building an INSERT .. ON CONFLICT per call costs more than running it.
_INSERT_ANSWERS = insert(Answer.__table__)
_INSERT_COMMENT = insert(Comment.__table__)
_INSERT_RESPONSE: dict[str, object] = {}


def _insert_unless_uuid_exists(session: Session):
    dialect = session.get_bind().dialect.name
    if dialect not in _INSERT_RESPONSE:
        table = Response.__table__
        dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        _INSERT_RESPONSE[dialect] = (dialect_insert(table).on_conflict_do_nothing(index_elements=[table.c.uuid])
                                     .returning(table.c.id))
    return _INSERT_RESPONSE[dialect]


def takes_part(session: Session, rnd: Round | RoundRow, agency: Agency | AgencyRow) -> bool:
    """Whether the agency takes part in the round (one row asked, not the round's whole agency list)."""
    # Loading rnd.agencies would read every agency of a national round on each submission: ask for one row.
    if isinstance(rnd, Round) and "agencies" in rnd.__dict__:  # already loaded (cheaper than inspect().unloaded)
        return any(a.id == agency.id for a in rnd.agencies)
    return lookups.takes_part(session, rnd.id, agency.id)


def _retry(session: Session, existing: Response, digest: str) -> Recorded:
    if existing.content_hash != digest:
        raise DuplicateSubmission(f"response {existing.uuid} was already received with other content")
    return Recorded(existing.id, existing.uuid, False, session, existing.round_id, existing.content_hash)
