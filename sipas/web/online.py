"""Online questionnaires reached by a public link or QR code, and one-time invitation links."""
from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

import surveys
from sipas import words
from sipas.db import get_session, on_storage_failure
from sipas.errors import DuplicateSubmission, SurveyClosed, ValidationFailed
from sipas.models import Channel, Round, ServicePoint
from sipas.security import csrf, limiter
from sipas.services import invitations, lookups
from sipas.services.credentials import token_hash
from sipas.services.lookups import RoundRow
from sipas.services.responses import Design, Submission, record_response, takes_part
from sipas.web import public_limits
from sipas.web.forms import EXPECTED_KINDS, QuestionnaireForm, form_class, sections
from sipas.web.posted import read_posted
from sipas.web.problems import localise_all

bp = Blueprint("online", __name__)
# The questionnaire form validates its own CSRF token (FlaskForm); exempting the blueprint from the global
# check lets an expired token re-render the form with the citizen's answers instead of a bare 400 page.
csrf.exempt(bp)


#: Seconds a citizen takes per question, reading and tapping on a phone (docs/collection.md has the measure).
SECONDS_PER_QUESTION = 8


def _lang() -> str:
    return str(get_locale() or "vi")


def _wait_message(seconds: int) -> str:
    """When a refused sender may try again, as a citizen reads it (Vietnam time, whole minutes)."""
    at = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return _("Many forms have been sent from this device in a short time. Your answers are still here: please "
             "press Send again after %(time)s (in about %(minutes)s minutes).",
             time=words.local_time(at)[-5:], minutes=max(1, -(-seconds // 60)))


def _asker(rnd: Round | RoundRow) -> str:
    """Who asks: the province's Department of Home Affairs, or the Ministry for a national round."""
    name = rnd.jurisdiction_name
    if name is None:
        return _("the Ministry of Home Affairs")
    return _("the Department of Home Affairs of %(province)s", province=name[:1].lower() + name[1:])


def _minutes(profile: surveys.Profile) -> int:
    asked = sum(1 for i in profile.items if i.kind != "expectation") + len(profile.blocks)
    return max(1, math.ceil(asked * SECONDS_PER_QUESTION / 60))


def _questionnaire(rnd, agency, point, *, channel: Channel, invitation=None):
    profile = surveys.load(rnd.profile_key)
    lang = _lang()
    # A post is read without WTForms (sipas.web.posted); the form is built only to render a page.
    posted = read_posted(profile, rnd.admin_map.value) if request.method == "POST" else None
    response_id = posted.response_id if posted is not None and posted.response_id else str(uuid.uuid4())
    built: list[QuestionnaireForm] = []

    def form() -> QuestionnaireForm:
        if not built:
            built.append(form_class(profile.key, lang, rnd.admin_map.value)())
            built[0].response_id.data = response_id
        return built[0]

    # Read before any write: after a failed commit the page must render without touching the database.
    asker, minutes = _asker(rnd), _minutes(profile)

    def page(problems: dict[str, str], summary=(), expired: bool = False, status: int = 200, wait: int = 0):
        html = render_template("online/form.html", form=form(), round=rnd, agency=agency, point=point,
                               profile=profile, sections=sections(profile), lang=lang, problems=problems,
                               summary=list(summary), expired=expired, invitation=invitation,
                               wait=_wait_message(wait) if wait else "",
                               asker=asker, minutes=minutes, expected_kinds=EXPECTED_KINDS)
        headers = {"Retry-After": str(wait)} if wait else {}
        return html, (status if status != 200 else 422 if problems else 200), headers

    if posted is None:
        public_limits.remember_client()
        return page({})
    # If storage refuses the response, the citizen gets the form back with every answer still ticked; the
    # same response id makes a later retry count once.
    on_storage_failure(lambda _cause: page({"form": _(
        "Your answers could not be saved just now: the system is busy or under maintenance. "
        "They are still here; please press Send again in a few minutes.")}, status=503))
    robot = bool(posted.website)  # honeypot filled in: a robot. Kept, flagged, never counted.
    if not robot:
        if posted.invalid == ["csrf_token"]:
            return page({}, expired=True)  # the page stayed open too long: keep the answers, give a fresh token
        if posted.invalid:  # one message of the catalogue for any field the form refuses
            return page({k: _("This answer is not valid.") for k in posted.invalid})
        # Answers the profile refuses (a fourth tick in a "choose at most 3" block) come before the summary.
        _clean, refused = surveys.check_answers(profile, posted.answers)
        if refused:
            return page(localise_all(refused))
        if posted.unanswered and posted.confirm_incomplete != "1":
            return page({}, posted.unanswered)
    # Only a post that would store a response counts against the limits; a refused one keeps the answers.
    wait = public_limits.wait_before_post()
    if wait is not None:
        return page({}, status=429, wait=wait)
    submission = Submission(rnd, agency, posted.answers, channel, uuid=response_id, service_point=point,
                            comment=posted.comment, design=_design(invitation))
    result = _store(submission, invitation, honeypot=robot)
    if not isinstance(result, tuple):
        return result
    problems, status = result
    return page(problems, status=status)


def _honeypot(_session, _round_id, _digest) -> str:
    return "honeypot field filled in"


def _design(invitation) -> Design:
    return Design(invitation.stratum, invitation.psu, invitation.weight) if invitation else Design()


def _store(submission: Submission, invitation, honeypot: bool = False):
    """Record the response (the request boundary commits); problems and a status when it is refused."""
    session = get_session()
    try:
        # Stored flagged from the start: a robot (honeypot filled in), or on open links a burst of identical
        # answers, checked before the insert and so outside the write lock.
        flag_check: Callable[[Session, int, str], str | None] | None = None
        if honeypot:
            flag_check = _honeypot
        elif submission.channel is Channel.ONLINE:
            flag_check = invitations.burst_reason
        result = record_response(session, submission, dossier_key=current_app.config["DOSSIER_HASH_KEY"],
                                 flag_check=flag_check)
        if invitation is not None and result.created:
            invitations.mark_used(session, invitation, result)
    except ValidationFailed as exc:
        return localise_all(exc.problems), 422
    except SurveyClosed:
        return {"form": _("This survey does not accept answers at the moment.")}, 422
    except DuplicateSubmission:
        return {"form": _("This form was already sent with other answers. Please open the link again to fill in "
                          "a new form.")}, 422
    except invitations.InvitationUsed:
        return {"form": _("This invitation has already been used to answer.")}, 422
    return redirect(url_for("online.thanks", round_code=submission.round.code))


@bp.route("/r/<round_code>/<agency_code>", methods=["GET", "POST"])
@bp.route("/r/<round_code>/<agency_code>/<point_code>", methods=["GET", "POST"])
def public(round_code: str, agency_code: str, point_code: str | None = None):
    """The public questionnaire of a round for one agency (and service point)."""
    return _public_page(round_code, agency_code, point_code)


def _public_page(round_code: str, agency_code: str, point_code: str | None = None):
    session = get_session()
    # Cached rows (sipas.services.lookups): a closed round or a removed agency is refused within seconds.
    rnd = lookups.round_by_code(session, round_code)
    agency = lookups.agency_by_code(session, agency_code)
    if rnd is None or agency is None or not takes_part(session, rnd, agency):
        abort(404)
    point = None
    if point_code:
        point = session.scalar(select(ServicePoint).where(ServicePoint.code == point_code,
                                                          ServicePoint.agency_id == agency.id))
        if point is None:
            abort(404)
    if not rnd.accepts(Channel.ONLINE, date.today()):
        return render_template("online/closed.html", round=rnd, agency=agency), 410
    return _questionnaire(rnd, agency, point, channel=Channel.ONLINE)


def _no_code_typed() -> bool:
    """Opening the page is not a try (it gives the browser its own token)."""
    return not request.args.get("code")


@bp.route("/i/")
# Guessing codes is hopeless (16 characters), but typing them is limited per browser, with a wide ceiling per
# address, so that citizens behind one proxy address do not use up each other's tries.
@limiter.limit("60 per hour", key_func=public_limits.client_key, exempt_when=_no_code_typed)
@limiter.limit("600 per hour", exempt_when=_no_code_typed)
def invitation_code():
    """Where a citizen types the code printed on an invitation letter; a known code opens its questionnaire."""
    public_limits.remember_client()
    code = request.args.get("code", "")[:60]
    error = None
    if code:
        inv = invitations.find(get_session(), code)
        if inv is not None:
            typed = invitations.normalise_code(code)
            token = typed if inv.token_hash == token_hash(typed) else code.strip()  # older links: as they are
            return redirect(url_for(".invitation", token=token))
        error = _("We could not find this code. Please check it against your letter: it has 16 letters and digits "
                  "in groups of four.")
    return render_template("online/code.html", code=code, error=error), (422 if error else 200)


@bp.route("/i/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """A one-time link: the questionnaire until it has been answered, then a polite note."""
    return _invitation_page(token)


def _invitation_page(token: str):
    session = get_session()
    inv = invitations.find(session, token)
    if inv is None:
        abort(404)
    rnd = session.get_one(Round, inv.round_id)
    if inv.used_at is not None:
        return render_template("online/used.html", round=rnd), 200
    if not rnd.accepts(Channel.INVITATION, date.today()):
        return render_template("online/closed.html", round=rnd, agency=inv.agency), 410
    return _questionnaire(rnd, inv.agency, None, channel=Channel.INVITATION, invitation=inv)


@bp.route("/r/<round_code>/thanks")
def thanks(round_code: str):
    """After submitting."""
    return render_template("online/thanks.html")


def _seconds_to_wait() -> int:
    """Seconds until the limit that refused this request lets posts through again (at least 1)."""
    limit = limiter.current_limit
    return max(1, math.ceil(limit.reset_at - time.time())) if limit is not None else 60


@bp.app_errorhandler(429)
def _too_many(exc):
    """Too many requests: the API gets JSON, a person a page saying when to try again (public-form posts are
    limited in `public_limits`, which re-shows the questionnaire with its answers instead)."""
    seconds = _seconds_to_wait()
    wait = math.ceil(seconds / 60)
    response = None
    if request.path.startswith("/api/"):
        response = current_app.make_response(({"error": "too many requests, retry later"}, 429))
    if response is None:
        response = current_app.make_response(render_template("online/too_many.html", minutes=wait))
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    return response
