"""Public links of a round: A4 QR posters, QR images and printable paper forms."""
from __future__ import annotations

from io import BytesIO

import segno
from flask import abort, render_template, request, send_file, url_for
from markupsafe import Markup
from sqlalchemy import select

import surveys
from sipas.db import get_session
from sipas.inputs import whole_number
from sipas.models import Agency, Invitation, Role, ServicePoint
from sipas.services.paper import serial_for
from sipas.services.units import offered_on_map
from sipas.web.admin.common import STAFF, bp, round_or_404
from sipas.web.authz import require_agency, roles_required
from sipas.web.forms import sections


def public_url(rnd, agency, point=None) -> str:
    args = {"round_code": rnd.code, "agency_code": agency.code}
    if point is not None:
        args["point_code"] = point.code
    return url_for("online.public", _external=True, **args)


def _poster_target(code: str, agency_code: str):
    rnd = round_or_404(code)
    session = get_session()
    agency = require_agency(session.scalar(select(Agency).where(Agency.code == agency_code)))
    if agency not in rnd.agencies:
        abort(404)
    point = None
    if request.args.get("point"):
        point = session.scalar(select(ServicePoint).where(ServicePoint.code == request.args["point"],
                                                          ServicePoint.agency_id == agency.id))
        if point is None:
            abort(404)
    return rnd, agency, point


@bp.route("/rounds/<code>/poster/<agency_code>")
@roles_required(*STAFF)
def poster(code: str, agency_code: str):
    """Printable A4 poster with the QR code of the public link and short Vietnamese instructions."""
    rnd, agency, point = _poster_target(code, agency_code)
    url = public_url(rnd, agency, point)
    # segno's inline SVG carries no style attribute, so it passes the strict Content-Security-Policy.
    qr = Markup(segno.make(url, error="m").svg_inline(scale=9, dark="#000", border=2))
    return render_template("admin/poster.html", round=rnd, agency=agency, point=point, url=url, qr=qr)


@bp.route("/rounds/<code>/qr/<agency_code>.png")
@roles_required(*STAFF)
def qr_png(code: str, agency_code: str):
    """The QR code of the public link as a PNG file (for printing elsewhere)."""
    rnd, agency, point = _poster_target(code, agency_code)
    buffer = BytesIO()
    segno.make(public_url(rnd, agency, point), error="m").save(buffer, kind="png", scale=12, border=2)
    buffer.seek(0)
    return send_file(buffer, mimetype="image/png", as_attachment=True,
                     download_name=f"qr-{rnd.code}-{agency.code}{'-' + point.code if point else ''}.png")


@bp.route("/rounds/<code>/paper-forms")
@roles_required(Role.ADMIN, Role.SURVEYOR)
def paper_forms(code: str):
    """Blank A4 forms to print: each copy has its serial and a QR code of the serial."""
    rnd = round_or_404(code)
    start = whole_number(request.args.get("start", "1"), low=1)
    copies = whole_number(request.args.get("copies", "1"), low=1, high=500)
    if start is None or copies is None:
        abort(400)
    profile = surveys.load(rnd.profile_key)
    if request.args.get("sampled") == "1":
        # One form per sampled dossier, printed with its invitation serial (mail merge with the invitation list).
        serials = list(get_session().scalars(select(Invitation.serial).where(Invitation.round_id == rnd.id)
                                             .order_by(Invitation.id).offset(start - 1).limit(copies)))
    else:
        serials = [serial_for(rnd, n) for n in range(start, start + copies)]
    if not serials:
        abort(404)
    codes = {s: Markup(segno.make(s, error="m").svg_inline(scale=3, border=1)) for s in serials if s is not None}
    return render_template("admin/paper_forms.html", round=rnd, profile=profile, sections=sections(profile),
                           serials=serials, codes=codes,
                           offered=lambda scale, value: offered_on_map(scale, value, rnd.admin_map))

