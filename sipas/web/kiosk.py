"""Kiosk tablets at one-stop desks: one question per screen, large buttons, offline-safe.

The device authenticates with its token, kept in a long-lived HttpOnly, SameSite=Strict cookie set at
enrolment; the HTML path is therefore exempt from Flask-WTF's time-limited CSRF token (a tablet page stays
open for days) while a cross-site form still cannot post as the device. With JavaScript, kiosk.js runs
the screens locally and queues each completed response in IndexedDB until the API confirms it; without
JavaScript the same screens work as plain form posts.
"""
from __future__ import annotations

import uuid as uuidlib
from datetime import date

from flask import (
    Blueprint,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

import surveys
from sipas.db import discard_changes, get_session
from sipas.errors import DuplicateSubmission, SurveyClosed, ValidationFailed
from sipas.models import Channel, KioskDevice, Round, RoundStatus, round_agencies
from sipas.security import csrf, limiter
from sipas.services import audit, credentials
from sipas.services.responses import Origin, Submission, record_response

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")
csrf.exempt(bp)
COOKIE = credentials.KIOSK_COOKIE
COOKIE_AGE = 400 * 24 * 3600  # browsers cap cookie lifetime at 400 days


def _device() -> tuple[KioskDevice | None, str | None]:
    token = request.cookies.get(COOKIE)
    found = credentials.authenticate(get_session(), token)
    return (found if isinstance(found, KioskDevice) else None), token


def _kiosk_round(device: KioskDevice) -> Round | None:
    """The open round with the kiosk channel that covers the device's agency today."""
    session = get_session()
    today = date.today()
    candidates = session.scalars(select(Round).join(round_agencies, round_agencies.c.round_id == Round.id)
                                 .where(round_agencies.c.agency_id == device.service_point.agency_id,
                                        Round.status == RoundStatus.OPEN).order_by(Round.opens_on.desc()))
    return next((r for r in candidates if r.accepts(Channel.KIOSK, today)), None)


def _no_store(response):
    # Nothing of the previous citizen may come back from the browser cache or with Back.
    response.headers["Cache-Control"] = "no-store"
    return response


def _not_enrolled(status: int = 403, error: str | None = None, code: str = ""):
    """The screen of a tablet without a valid device cookie: a sentence for staff, the contact, the code form."""
    html = render_template("kiosk/not_enrolled.html", error=error, code=code,
                           contact=current_app.config.get("KIOSK_SUPPORT_CONTACT"))
    return _no_store(make_response(html, status))


@bp.route("/enrol", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def enrol():
    """Exchange a short-lived one-time enrolment code (typed by staff) for a new device token.

    The long-lived token goes only into the HttpOnly cookie: never into a URL, a page or a log."""
    if request.method == "GET":
        return _not_enrolled(200)
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()  # the blueprint is exempt for the long-open kiosk page; this short form is not
    code = request.form.get("code", "")[:40]
    redeemed = credentials.redeem_enrolment_code(get_session(), code)
    if redeemed is None:
        return _not_enrolled(422, _("This code is wrong, already used or expired. Ask for a new code."), code)
    device, token = redeemed
    audit.record(get_session(), "kiosk_code_redeemed", actor="kiosk", object_type="kiosk_device",
                 object_id=device.id, ip=request.remote_addr)
    response = redirect(url_for(".page"))
    response.set_cookie(COOKIE, token, max_age=COOKIE_AGE, httponly=True, samesite="Strict",
                        secure=request.is_secure, path="/")
    return _no_store(response)


def _screens(profile) -> list:
    return [i for i in profile.items if i.kind in ("overall", "satisfaction")]


def _form_id(raw: str | None) -> str:
    """The one-time id of this citizen's response (no-JavaScript path): a re-posted last step is the same response."""
    try:
        return str(uuidlib.UUID(raw or ""))
    except ValueError:
        return str(uuidlib.uuid4())


@bp.route("/", methods=["GET", "POST"])
def page():
    """The kiosk: the current screen (no JavaScript) or all screens driven by kiosk.js."""
    device, _token = _device()
    if device is None:
        return _not_enrolled()
    rnd = _kiosk_round(device)
    if rnd is None:
        return _no_store(make_response(render_template("kiosk/no_round.html", device=device), 200))
    profile = surveys.load(rnd.profile_key)
    screens = _screens(profile)
    collected: dict[str, int | None] = {}
    step = 0
    error = None
    form_id = _form_id(request.form.get("form_id"))
    lang = request.args.get("lang") if request.args.get("lang") in ("vi", "en") else "vi"
    if request.method == "POST":
        collected = _answers_so_far(profile, screens)
        step = _next_step(profile, screens, collected)
        if step >= len(screens):
            session = get_session()
            try:
                submission = Submission(rnd, device.service_point.agency, collected, Channel.KIOSK, uuid=form_id,
                                        service_point=device.service_point,
                                        comment=request.form.get("comment") or None,
                                        origin=Origin(device_id=device.id))
                record_response(session, submission, dossier_key=current_app.config["DOSSIER_HASH_KEY"])
            except (ValidationFailed, SurveyClosed, DuplicateSubmission) as exc:
                discard_changes()
                error = getattr(exc, "problems", None) or str(exc)
                step, collected, form_id = 0, {}, str(uuidlib.uuid4())
            else:
                return _no_store(redirect(url_for(".thanks")))
    html = render_template("kiosk/page.html", device=device, round=rnd, profile=profile, screens=screens, step=step,
                           collected=collected, error=error, form_id=form_id,
                           timeout=current_app.config.get("KIOSK_INACTIVITY_SECONDS", 60),
                           thanks_seconds=current_app.config.get("KIOSK_THANKS_SECONDS", 5), lang=lang)
    return _no_store(make_response(html))


def _answers_so_far(profile, screens: list) -> dict[str, int | None]:
    """The answers the page carries (hidden fields): those the profile validator takes; any other is asked again."""
    clean, _refused = surveys.check_answers(profile, {i.code: request.form.get(f"a_{i.code}", "") for i in screens})
    return dict(clean)


def _next_step(profile, screens: list, collected: dict[str, int | None]) -> int:
    """The screen to show after this post, with the button's answer (if any) added to `collected`."""
    raw_step = request.form.get("step", "0")
    step = min(int(raw_step), len(screens) - 1) if raw_step.isdecimal() and len(raw_step) < 4 else 0
    choice = request.form.get("answer", "")
    if request.form.get("nav") == "back":
        return max(step - 1, 0)
    if request.form.get("switch_lang"):
        return step  # the language buttons post the answers so far: same question, other language
    if ":" in choice:
        code, value = choice.split(":", 1)
        item = next((i for i in screens if i.code == code), None)
        clean, _refused = surveys.check_answers(profile, {code: value}) if item is not None else ({}, {})
        if code in clean:
            collected[code] = clean[code]
        elif item is not None and value == "" and not item.required:
            collected.pop(code, None)
        step += 1
    return step


@bp.route("/thanks")
def thanks():
    """Thank-you screen; returns to the start by itself (meta refresh, no script needed)."""
    return _no_store(make_response(render_template(
        "kiosk/thanks.html", thanks_seconds=current_app.config.get("KIOSK_THANKS_SECONDS", 5))))


@bp.route("/sw.js")
def service_worker():
    """The service worker, served under /kiosk/ so its scope covers the kiosk pages."""
    response = send_from_directory(current_app.static_folder, "kiosk-sw.js", mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response
