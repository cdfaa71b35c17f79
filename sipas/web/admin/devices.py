"""Credentials of collecting devices and systems: kiosk tablets and API keys."""
from __future__ import annotations

import segno
from flask import abort, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from sipas.db import discard_changes, get_session
from sipas.errors import NotFound, ValidationFailed
from sipas.models import ApiKey, KioskDevice, Role, ServicePoint
from sipas.services import audit, credentials
from sipas.web.admin.common import CsrfOnly, bp
from sipas.web.authz import can_see_agency, current_scope, require_agency, roles_required


@bp.route("/kiosks", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.AGENCY_MANAGER)
def kiosks():
    """Enrol a tablet at a service point (token and QR shown once) and see or revoke enrolled ones."""
    session = get_session()
    form = CsrfOnly()
    points = [p for p in session.scalars(select(ServicePoint).order_by(ServicePoint.code)) if can_see_agency(p.agency)]
    enrolled = None
    if request.method == "POST" and form.validate_on_submit():
        point = next((p for p in points if p.code == request.form.get("service_point")), None)
        if point is None:
            abort(403)
        # The device token is never shown: the tablet gets it in its cookie in exchange for a one-time code.
        device, _token = credentials.enrol_kiosk(session, point.code, request.form.get("name") or None)
        code = credentials.issue_enrolment_code(device)
        audit.record(session, "kiosk_enrolled", actor=current_user, object_type="kiosk_device", object_id=device.id,
                     ip=request.remote_addr, detail={"service_point": point.code})
        enrolled = _enrolment(device, code)
    return _kiosks_page(session, form, points, enrolled)


def _enrolment(device: KioskDevice, code: str) -> dict:
    """What the page shows once after issuing an enrolment code: the code, the address to type it at, a QR."""
    url = url_for("kiosk.enrol", _external=True)
    return {"device": device, "code": code, "url": url, "minutes": credentials.ENROL_CODE_MINUTES,
            "qr": Markup(segno.make(url, error="m").svg_inline(scale=5, border=2))}


def _kiosks_page(session, form: CsrfOnly, points: list[ServicePoint], enrolled: dict | None):
    """The tablets page: service points and enrolled tablets the user may see, with their sequence gaps."""
    devices = [d for d in session.scalars(select(KioskDevice).order_by(KioskDevice.id.desc()))
               if can_see_agency(d.service_point.agency)]
    gaps = {d.id: credentials.device_gaps(session, d) for d in devices}
    response = make_response(render_template("admin/kiosks.html", form=form, points=points, devices=devices,
                                             gaps=gaps, enrolled=enrolled))
    if enrolled:
        response.headers["Cache-Control"] = "no-store"  # the one-time code is shown once
    return response


@bp.route("/kiosks/<int:device_id>/code", methods=["POST"])
@roles_required(Role.ADMIN, Role.AGENCY_MANAGER)
def kiosk_code(device_id: int):
    """A new one-time enrolment code for an enrolled tablet (a replaced or reset tablet)."""
    session = get_session()
    device = session.get(KioskDevice, device_id)
    if device is None or device.revoked_at is not None:
        abort(404)
    require_agency(device.service_point.agency)
    if not CsrfOnly().validate_on_submit():
        abort(400)
    code = credentials.issue_enrolment_code(device)
    audit.record(session, "kiosk_code_issued", actor=current_user, object_type="kiosk_device", object_id=device.id,
                 ip=request.remote_addr)
    points = [p for p in session.scalars(select(ServicePoint).order_by(ServicePoint.code)) if can_see_agency(p.agency)]
    return _kiosks_page(session, CsrfOnly(), points, _enrolment(device, code))


@bp.route("/kiosks/<int:device_id>/revoke", methods=["POST"])
@roles_required(Role.ADMIN, Role.AGENCY_MANAGER)
def revoke_kiosk(device_id: int):
    """Revoke a tablet at once: its token stops working for the page and the API."""
    session = get_session()
    device = session.get(KioskDevice, device_id)
    if device is None:
        abort(404)
    require_agency(device.service_point.agency)
    if not CsrfOnly().validate_on_submit():
        abort(400)
    credentials.revoke(device)
    audit.record(session, "kiosk_revoked", actor=current_user, object_type="kiosk_device", object_id=device.id,
                 ip=request.remote_addr)
    return redirect(url_for(".kiosks"))


@bp.route("/apikeys", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def apikeys():
    """Issue API keys for systems that push responses (the key is shown once) and revoke them."""
    session = get_session()
    form = CsrfOnly()
    issued, problem = None, None
    if request.method == "POST" and form.validate_on_submit():
        name = (request.form.get("name") or "").strip()[:120]
        if not name:
            problem = "name"
        else:
            mine = current_scope()
            try:
                key, token = credentials.create_api_key(session, name, request.form.get("agency") or None,
                                                        request.form.getlist("channels") or ["api"])
                # A key outside the admin's scope (or a key for every agency, from a province) is not theirs
                # to issue.
                if not (mine.national and not mine.agency_scoped) and (
                        key.agency_id is None or not mine.sees_agency(key.agency_id)):
                    raise NotFound("agency outside the jurisdiction")
            except NotFound:
                discard_changes()
                problem = "agency"
            except ValidationFailed:
                discard_changes()
                problem = "channels"
            else:
                audit.record(session, "api_key_created", actor=current_user, object_type="api_key",
                             object_id=key.id, ip=request.remote_addr, detail={"name": name, "channels": key.channels})
                issued = {"key": key, "token": token}
    keys = [k for k in session.scalars(select(ApiKey).order_by(ApiKey.id.desc())) if _key_in_scope(k)]
    return render_template("admin/apikeys.html", form=form, keys=keys, issued=issued, problem=problem,
                           channels=credentials.API_KEY_CHANNELS), (422 if problem else 200)


def _key_in_scope(key: ApiKey) -> bool:
    """National admins see every key; others the keys of agencies within their scope."""
    mine = current_scope()
    if mine.national and not mine.agency_scoped:
        return True
    return key.agency_id is not None and mine.sees_agency(key.agency_id)


@bp.route("/apikeys/<int:key_id>/revoke", methods=["POST"])
@roles_required(Role.ADMIN)
def revoke_apikey(key_id: int):
    """Revoke an API key at once."""
    session = get_session()
    key = session.get(ApiKey, key_id)
    if key is None:
        abort(404)
    if not _key_in_scope(key):
        abort(403)
    if not CsrfOnly().validate_on_submit():
        abort(400)
    credentials.revoke(key)
    audit.record(session, "api_key_revoked", actor=current_user, object_type="api_key", object_id=key.id,
                 ip=request.remote_addr)
    return redirect(url_for(".apikeys"))

