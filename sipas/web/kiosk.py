"""Kiosk tablets at one-stop desks: one question per screen, large buttons, offline-safe.

The device authenticates with its token, kept in a long-lived HttpOnly, SameSite=Strict cookie set at
enrolment; the HTML path is therefore exempt from Flask-WTF's time-limited CSRF token (a tablet page stays
open for days) while a cross-site form still cannot post as the device. With JavaScript, kiosk.js runs
the screens locally and queues each completed response in IndexedDB until the API confirms it; without
JavaScript the same screens work as plain form posts.
"""
from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from sqlalchemy import select

import surveys
from sipas.db import discard_changes, get_session
from sipas.errors import DuplicateSubmission, SurveyClosed, ValidationFailed
from sipas.inputs import whole_number
from sipas.models import Channel, KioskDevice, Round, RoundStatus, round_agencies
from sipas.security import csrf
from sipas.services import credentials
from sipas.services.responses import Origin, Submission, record_response

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")
csrf.exempt(bp)
COOKIE = "sipas_kiosk"
COOKIE_AGE = 400 * 24 * 3600  # browsers cap cookie lifetime at 400 days


def _device() -> tuple[KioskDevice | None, str | None]:
    token = request.cookies.get(COOKIE)
    return credentials.authenticate(get_session(), token), token


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


@bp.route("/enrol")
def enrol():
    """Keep the device token in a cookie, then drop it from the address bar."""
    token = request.args.get("token", "")
    if credentials.authenticate(get_session(), token) is None:
        return _no_store(make_response(render_template("kiosk/not_enrolled.html"), 403))
    response = redirect(url_for(".page"))
    response.set_cookie(COOKIE, token, max_age=COOKIE_AGE, httponly=True, samesite="Strict",
                        secure=request.is_secure, path="/")
    return _no_store(response)


def _screens(profile) -> list:
    return [i for i in profile.items if i.kind in ("overall", "satisfaction")]


@bp.route("/", methods=["GET", "POST"])
def page():
    """The kiosk: the current screen (no JavaScript) or all screens driven by kiosk.js."""
    device, token = _device()
    if device is None:
        return _no_store(make_response(render_template("kiosk/not_enrolled.html"), 403))
    rnd = _kiosk_round(device)
    if rnd is None:
        return _no_store(make_response(render_template("kiosk/no_round.html", device=device), 200))
    profile = surveys.load(rnd.profile_key)
    screens = _screens(profile)
    collected: dict[str, int | None] = {}
    step = 0
    error = None
    if request.method == "POST":
        for item in screens:
            raw = request.form.get(f"a_{item.code}")
            if raw not in (None, ""):
                collected[item.code] = whole_number(raw)
        step = whole_number(request.form.get("step", "0"), high=len(screens)) or 0
        choice = request.form.get("answer", "")
        if ":" in choice:
            code, value = choice.split(":", 1)
            if profile.has_item(code) and whole_number(value) is not None:
                collected[code] = whole_number(value)
        step += 1
        if step >= len(screens):
            session = get_session()
            try:
                submission = Submission(rnd, device.service_point.agency, collected, Channel.KIOSK,
                                        service_point=device.service_point,
                                        comment=request.form.get("comment") or None,
                                        origin=Origin(device_id=device.id))
                record_response(session, submission, dossier_key=current_app.config["DOSSIER_HASH_KEY"])
            except (ValidationFailed, SurveyClosed, DuplicateSubmission) as exc:
                discard_changes()
                error = getattr(exc, "problems", None) or str(exc)
                step = 0
            else:
                return _no_store(redirect(url_for(".thanks")))
    lang = request.args.get("lang") or "vi"
    html = render_template("kiosk/page.html", device=device, round=rnd, profile=profile, screens=screens, step=step,
                           collected=collected, token=token, error=error,
                           timeout=current_app.config.get("KIOSK_INACTIVITY_SECONDS", 60),
                           thanks_seconds=current_app.config.get("KIOSK_THANKS_SECONDS", 5), lang=lang)
    return _no_store(make_response(html))


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


@bp.route("/status")
def status():
    """For kiosk.js: is this device still enrolled (204) or revoked (403)?"""
    device, _ = _device()
    if device is None:
        abort(403)
    return "", 204
