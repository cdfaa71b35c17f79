"""JSON API for kiosks and other systems: POST /api/v1/responses (idempotent by client UUID)."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select

from sipas.db import get_session
from sipas.errors import DuplicateSubmission, NotFound, SurveyClosed, ValidationFailed
from sipas.inputs import whole_number
from sipas.models import PAPER, Agency, Channel, ServicePoint
from sipas.security import csrf, limiter
from sipas.services import credentials, invitations, lookups
from sipas.services.catalog import get_agency
from sipas.services.lookups import AgencyRow, DeviceRow, PointRow
from sipas.services.responses import Design, Origin, Submission, record_response
from sipas.services.scope import agency_subtree
from sipas.web.openapi import spec

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer token, or the kiosk's SameSite=Strict cookie on JSON only (see _bearer)

FIELDS = {"id", "round", "agency", "service_point", "channel", "profile", "answers", "comment", "dossier_code",
          "created_at", "device_seq", "invitation"}


def _error(status: int, message: str, errors: dict | None = None):
    body: dict[str, object] = {"error": message}
    if errors:
        body["errors"] = errors
    return jsonify(body), status


def _bearer() -> str | None:
    """The bearer token; else, for a JSON body, an enrolled kiosk's device cookie (kiosk.js never sees the token).

    The cookie is HttpOnly and SameSite=Strict and a cross-site JSON post needs a CORS preflight this API never
    grants, so accepting it here does not open the API to cross-site requests."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip()
    cookie = request.cookies.get(credentials.KIOSK_COOKIE, "")
    if request.is_json and cookie.startswith(credentials.KIOSK_PREFIX):
        return cookie
    return None


def _integral(value):
    """JSON does not tell 3 from 3.0 (nor does JSON Schema's "integer"): a number with no fraction is a whole
    number. Anything else is left as it came, for the checks to refuse."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _whole_numbers(body: dict) -> dict:
    """The body with `device_seq` written as 3.0 read as the whole number it is (answers: surveys.check_answers)."""
    body = dict(body)
    if "device_seq" in body:
        body["device_seq"] = _integral(body["device_seq"])
    return body


class _Refused(Exception):
    """A request answered with an error: the status, the message and the errors by field."""

    def __init__(self, status: int, message: str, errors: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors


@bp.route("/responses", methods=["POST"])
@limiter.limit("120 per minute")
def submit_response():
    """Store one response. 201 created, 200 already received, 409 conflict, 422 invalid, 401/403 auth."""
    session = get_session()
    # Credential, round and participation are cached rows (sipas.services.lookups): this runs for every rating.
    credential = credentials.authenticate_row(session, _bearer())
    if credential is None:
        return _error(401, "missing, unknown or revoked token")
    try:
        body = _checked_body(request.get_json(silent=True))
        channel, rnd, agency, point = _addressed(session, body, credential)
        point, origin, design, invitation = _authorised(session, body, credential, channel, rnd, agency, point)
        submitted_at = _submitted_at(body)
    except _Refused as refused:
        return _error(refused.status, refused.message, refused.errors)
    try:
        submission = Submission(rnd, agency, body["answers"], channel, uuid=body["id"], service_point=point,
                                comment=body.get("comment"), dossier_code=body.get("dossier_code"),
                                submitted_at=submitted_at, design=design, origin=origin)
        # Online posts through a key get the same burst check as the public link.
        result = record_response(session, submission, dossier_key=current_app.config["DOSSIER_HASH_KEY"],
                                 flag_check=invitations.burst_reason if channel is Channel.ONLINE else None)
        if invitation is not None and result.created:
            invitations.mark_used(session, invitation, result)
    except ValidationFailed as exc:
        return _error(422, "invalid response", exc.problems)
    except SurveyClosed as exc:
        return _error(422, str(exc), {"round": "closed or channel not enabled"})
    except (DuplicateSubmission, invitations.InvitationUsed) as exc:
        return _error(409, str(exc))
    if isinstance(credential, DeviceRow):
        lookups.note_seen(session, credential)
    if not result.created:
        return jsonify({"id": result.uuid, "status": "already_received"}), 200
    return jsonify({"id": result.uuid, "status": "created"}), 201


def _checked_body(body) -> dict:
    """The JSON body when its fields have the right names and types (answers: surveys.check_answers, later)."""
    if not isinstance(body, dict):
        raise _Refused(422, "the body must be a JSON object", {"body": "not a JSON object"})
    body = _whole_numbers(body)
    errors: dict[str, str] = {f: "unknown field" for f in set(body) - FIELDS}
    for required in ("id", "round", "agency", "channel", "profile", "answers"):
        if required not in body:
            errors[required] = "required"
    if "answers" in body and not isinstance(body["answers"], dict):
        errors["answers"] = "must be an object of item code -> value"
    for name in ("comment", "dossier_code", "service_point", "created_at", "id", "round", "agency", "channel",
                 "profile", "invitation"):
        if body.get(name) is not None and not isinstance(body[name], str):
            errors[name] = "must be a string"
    seq = body.get("device_seq")
    if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int) or whole_number(seq) is None):
        errors["device_seq"] = "must be a non-negative integer"
    if errors:
        raise _Refused(422, "invalid response", errors)
    return body


def _addressed(session, body: dict, credential):
    """(channel, round, agency, service point or None) the body names, each known."""
    try:
        channel = Channel(body["channel"])
    except ValueError:
        raise _Refused(422, "invalid response", {"channel": f"one of {', '.join(c.value for c in Channel)}"}) from None
    rnd = lookups.round_by_code(session, body["round"])
    if rnd is None:
        raise _Refused(422, "invalid response", {"round": "unknown round"})
    if body["profile"] != rnd.profile_key:
        raise _Refused(422, "invalid response", {"profile": f"round {rnd.code} uses {rnd.profile_key}"})
    own_point = credential.service_point if isinstance(credential, DeviceRow) else None
    agency: Agency | AgencyRow
    point: ServicePoint | PointRow | None = None
    if own_point is not None and body["agency"] == own_point.agency.code:
        agency = own_point.agency  # the usual kiosk case: already loaded with the device
    else:
        try:
            agency = get_agency(session, body["agency"])
        except NotFound:  # a storage failure is never "unknown agency": it propagates and is answered 503
            raise _Refused(422, "invalid response", {"agency": "unknown agency"}) from None
    if own_point is not None and body.get("service_point") == own_point.code:
        point = own_point
    elif body.get("service_point"):
        point = session.scalar(select(ServicePoint).where(ServicePoint.code == body["service_point"]))
        if point is None:
            raise _Refused(422, "invalid response", {"service_point": "unknown service point"})
    return channel, rnd, agency, point


def _authorised(session, body: dict, credential, channel: Channel, rnd, agency, point):
    """What this credential may submit: (service point, origin, design, invitation) or _Refused (403)."""
    device_id, design, invitation = None, Design(), None
    if body.get("invitation") is not None and channel is not Channel.INVITATION:
        raise _Refused(422, "invalid response", {"invitation": "only with channel invitation"})
    if isinstance(credential, DeviceRow):
        if channel is not Channel.KIOSK:
            raise _Refused(403, "a kiosk device submits kiosk ratings only")
        if agency.id != credential.service_point.agency_id:
            raise _Refused(403, "this kiosk belongs to another agency")
        point = point or credential.service_point
        if point.id != credential.service_point_id:
            raise _Refused(403, "this kiosk belongs to another service point")
        device_id = credential.id
    else:
        if channel in PAPER:
            raise _Refused(403, "paper forms are keyed by surveyors, not pushed through the API")
        if channel is Channel.KIOSK:
            raise _Refused(403, "kiosk ratings come through an enrolled kiosk device, not an API key")
        allowed = credential.channels or ["api"]
        if channel.value not in allowed:
            raise _Refused(403, f"this API key may submit only: {', '.join(allowed)}")
        if channel is Channel.INVITATION:
            # The official sampled index counts invitation responses: each needs its respondent's one-time token.
            invitation = invitations.find(session, body["invitation"]) if body.get("invitation") else None
            if invitation is None or invitation.round_id != rnd.id or invitation.agency_id != agency.id:
                raise _Refused(403, "an invitation response needs the respondent's invitation token "
                                    "(of this round and agency)")
            design = Design(invitation.stratum, invitation.psu, invitation.weight)
        if credential.agency_id is not None and agency.id not in agency_subtree(session, credential.agency_id):
            raise _Refused(403, "this API key is limited to another agency")
    return point, Origin(device_id=device_id, device_seq=body.get("device_seq")), design, invitation


def _submitted_at(body: dict) -> datetime | None:
    if not body.get("created_at"):
        return None
    try:
        return datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))
    except ValueError:
        raise _Refused(422, "invalid response", {"created_at": "not an ISO 8601 timestamp"}) from None


@bp.route("/openapi.json")
def openapi():
    """The API described as OpenAPI 3.1 (hand-written: one endpoint does not justify a spec generator)."""
    return jsonify(spec())

