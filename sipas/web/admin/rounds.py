"""Rounds: detail page, creation, opening/closing, publishing."""
from __future__ import annotations

from datetime import date as date_type

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import surveys
from sipas import recompute
from sipas.db import after_commit, discard_changes, get_session
from sipas.errors import ValidationFailed
from sipas.inputs import whole_number
from sipas.models import Channel, Role, RoundStatus
from sipas.services import admin as admin_service
from sipas.services import audit, scope
from sipas.services.results import store
from sipas.services.results.publish import preview
from sipas.services.results.view import shown
from sipas.web.admin.common import STAFF, CsrfOnly, bp, round_or_404
from sipas.web.admin.links import public_url
from sipas.web.authz import current_scope, roles_required


@bp.route("/rounds/<code>")
@roles_required(*STAFF)
def round_detail(code: str):
    """A round: its results (published versions, provisional figures), its agencies (within the user's scope)
    with public links, posters and QR codes."""
    rnd = round_or_404(code)
    session = get_session()
    agencies = scope.visible_agencies(current_scope(), rnd.agencies)
    return render_template("admin/round.html", round=rnd, agencies=agencies, public_url=public_url,
                           seen=shown(session, rnd), versions=store.versions(session, rnd), view="")


@bp.route("/rounds/<code>/publish", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def publish_round(code: str):
    """Ask for confirmation, saying what a publication freezes; on confirmation the publication runs in the
    background (it computes) and its progress page follows. Collection goes on if the round is open."""
    rnd = round_or_404(code)
    session = get_session()
    form = CsrfOnly()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if rnd.status is RoundStatus.DRAFT:
            flash(_("A draft round cannot be published."), "error")
            return redirect(url_for(".round_detail", code=rnd.code))
        note = (request.form.get("note") or "").strip()[:300] or None
        job, start = recompute.enqueue_publication(session, rnd, user_id=current_user.id, note=note,
                                                   ip=request.remote_addr)
        audit.record(session, "publication_started", actor=current_user, object_type="round", object_id=rnd.id,
                     ip=request.remote_addr, detail={"job": job.id})
        after_commit(start)  # the job starts once its row is committed (the request boundary commits)
        return redirect(url_for(".job_page", job_id=job.id))
    return render_template("admin/publish.html", round=rnd, form=form, preview=preview(session, rnd))


@bp.route("/rounds/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_round():
    """Create a round (draft) from a form."""

    session = get_session()
    form = CsrfOnly()
    problems: dict = {}
    if request.method == "POST" and form.validate_on_submit():
        def day(name):
            value = request.form.get(name, "").strip()
            return date_type.fromisoformat(value) if value else None
        try:
            rnd = admin_service.create_round(
                session, code=request.form.get("code", ""), name=request.form.get("name", ""),
                year=whole_number(request.form.get("year", "")) or 0, profile_key=request.form.get("profile", ""),
                admin_map=request.form.get("admin_map", ""), province_code=request.form.get("province") or None,
                opens_on=day("opens_on"), closes_on=day("closes_on"), channels=request.form.getlist("channels"),
                agency_codes=[c.strip() for c in request.form.get("agencies", "").replace("\n", ",").split(",")
                              if c.strip()])
            mine = current_scope()
            if not (mine.sees_round(rnd) and all(mine.sees_agency(a.id) for a in rnd.agencies)):
                raise ValidationFailed({"province": _("The round and its agencies must lie within your "
                                                      "jurisdiction.")})
            audit.record(session, "round_created", actor=current_user, object_type="round", object_id=rnd.id,
                         ip=request.remote_addr)
            return redirect(url_for(".round_detail", code=rnd.code))
        except ValidationFailed as exc:
            discard_changes()
            problems = exc.problems
        except ValueError:
            problems = {"date": "YYYY-MM-DD", "year": "a number"}
    return render_template("admin/new_round.html", form=form, profiles=surveys.available(),
                           channels=[c.value for c in Channel], problems=problems), (422 if problems else 200)


@bp.route("/rounds/<code>/status", methods=["POST"])
@roles_required(Role.ADMIN)
def round_status(code: str):
    """Open or close a round."""

    rnd = round_or_404(code)
    if not CsrfOnly().validate_on_submit():
        abort(400)
    session = get_session()
    try:
        target = RoundStatus(request.form.get("status", ""))
        admin_service.set_status(session, rnd, target)
        audit.record(session, f"round_{target.value}", actor=current_user, object_type="round", object_id=rnd.id,
                     ip=request.remote_addr)
    except (ValidationFailed, ValueError) as exc:
        discard_changes()
        flash(str(getattr(exc, "problems", exc)), "error")
    return redirect(url_for(".round_detail", code=rnd.code))

