"""Paper forms: surveyors open batches and key forms twice (blind); verifiers settle the differences."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

import surveys
from sipas.db import discard_changes, get_session
from sipas.errors import ValidationFailed
from sipas.inputs import whole_number
from sipas.models import PAPER, Agency, PaperBatch, PaperForm, PaperFormStatus, Role, Round, RoundStatus
from sipas.services import audit, paper
from sipas.web.authz import current_scope, require_agency, require_round, roles_required
from sipas.web.forms import sections
from sipas.web.problems import localise

bp = Blueprint("entry", __name__, url_prefix="/entry")
KEYERS = (Role.SURVEYOR, Role.VERIFIER, Role.ADMIN)
JUDGES = (Role.VERIFIER, Role.ADMIN)


class CsrfOnly(FlaskForm):
    """The keying pages build their fields from the profile; this form only carries the CSRF token."""


def _paper_rounds():
    rounds = get_session().scalars(select(Round).where(Round.status.in_([RoundStatus.OPEN, RoundStatus.CLOSED]))
                                   .order_by(Round.year.desc())).all()
    mine = current_scope()
    return [r for r in rounds if any(c in (r.channels or []) for c in (p.value for p in PAPER)) and mine.sees_round(r)]


def _in_scope(batch: PaperBatch) -> bool:
    """A batch of a round and an agency within the user's scope."""
    mine = current_scope()
    return mine.sees_agency(batch.agency_id) and mine.sees_round(get_session().get_one(Round, batch.round_id))


def _batch(batch_id: int) -> PaperBatch:
    """A batch: 404 when unknown, 403 when outside the user's scope."""
    batch = get_session().get(PaperBatch, batch_id)
    if batch is None:
        abort(404)
    if not _in_scope(batch):
        abort(403)
    return batch


def localized(problems: dict[str, str] | list[str]) -> dict[str, str]:
    """Problems in the reader's language, each under its field (or its position in a list)."""
    items = problems.items() if isinstance(problems, dict) else enumerate(problems)
    return {str(k): localise(m) for k, m in items}


def _open_batch(session) -> PaperBatch:
    """Open the batch the form describes; the agency is chosen by its name within the chosen round."""
    rnd = session.scalar(select(Round).where(Round.code == request.form.get("round", "")))
    if rnd is None:
        raise ValidationFailed({"round": _("Choose a round from the list.")})
    require_round(rnd)
    agency = require_agency(paper.agency_named(rnd, request.form.get("agency", "")))
    expected = whole_number(request.form.get("expected_count", ""))
    if expected is None:
        raise ValidationFailed({"expected_count": _("Enter a number.")})
    batch = paper.open_batch(session, rnd, agency, request.form.get("box_number", ""), expected,
                             request.form.get("channel", "paper_post"), current_user)
    audit.record(session, "paper_batch_opened", actor=current_user, object_type="paper_batch",
                 object_id=batch.id, ip=request.remote_addr)
    return batch


def _agencies_to_choose(rounds: list[Round]) -> list[str]:
    """The names of the agencies of the paper rounds the user sees (the list under the agency box)."""
    mine = current_scope()
    seen = {a.id: a for r in rounds for a in r.agencies if mine.sees_agency(a.id)}
    return paper.agency_choices(list(seen.values()))


@bp.route("/", methods=["GET", "POST"])
@roles_required(*KEYERS)
def index():
    """Open batches and the form to open a new one."""
    session = get_session()
    form = CsrfOnly()
    problems: dict[str, str] = {}
    if request.method == "POST" and form.validate_on_submit():
        try:
            return redirect(url_for(".batch", batch_id=_open_batch(session).id))
        except ValidationFailed as exc:
            discard_changes()
            problems = localized(exc.problems)
    batches = [b for b in session.scalars(select(PaperBatch).order_by(PaperBatch.id.desc()).limit(200))
               if _in_scope(b)]
    rounds = _paper_rounds()
    return render_template("entry/index.html", form=form, rounds=rounds, batches=batches,
                           agencies=_agencies_to_choose(rounds), problems=problems,
                           progress=lambda b: paper.progress(session, b),
                           names=_names(session, batches)), (422 if problems else 200)


def _names(session, batches) -> dict:
    """The names of the batches' rounds and agencies ("round"/"agency", id): a person reads names, not ids."""
    agencies = session.execute(select(Agency.id, Agency.name).where(Agency.id.in_({b.agency_id for b in batches})))
    rounds = session.execute(select(Round.id, Round.name).where(Round.id.in_({b.round_id for b in batches})))
    return {**{("agency", i): n for i, n in agencies}, **{("round", i): n for i, n in rounds}}


@bp.route("/batches/<int:batch_id>")
@roles_required(*KEYERS)
def batch(batch_id: int):
    """Progress of a batch against its expected count."""
    b = _batch(batch_id)
    session = get_session()
    forms = session.scalars(select(PaperForm).where(PaperForm.batch_id == b.id).order_by(PaperForm.serial)).all()
    return render_template("entry/batch.html", batch=b, round=session.get(Round, b.round_id),
                           agency=session.get(Agency, b.agency_id), progress=paper.progress(session, b), forms=forms)


@bp.route("/batches/<int:batch_id>/key/<int:pass_no>", methods=["GET", "POST"])
@roles_required(*KEYERS)
def key(batch_id: int, pass_no: int):
    """Key one form: the number of its serial, then one box per item; digits and Enter only."""
    if pass_no not in (1, 2):
        abort(404)
    b = _batch(batch_id)
    session = get_session()
    rnd = session.get_one(Round, b.round_id)
    profile = surveys.load(rnd.profile_key)
    form = CsrfOnly()
    problems: dict[str, str] = {}
    values = {}
    if request.method == "POST":
        values = {k: v for k, v in request.form.items() if k != "csrf_token"}
        if not form.validate_on_submit():
            problems = {"serial": _("The page expired: please key this form again.")}
        else:
            try:
                done = paper.key_form(session, b, values.get("serial", ""), values, pass_no, current_user,
                                      comment=values.get("comment", ""),
                                      blank_confirmed=values.get("confirm_blank") == "1")
                flash(_("Form %(serial)s saved (pass %(n)s).", serial=done.serial, n=pass_no), "ok")
                return redirect(url_for(".key", batch_id=b.id, pass_no=pass_no))
            except ValidationFailed as exc:
                discard_changes()
                problems = localized(exc.problems)
    return render_template("entry/key.html", batch=b, round=rnd, profile=profile, sections=sections(profile),
                           pass_no=pass_no, form=form, problems=problems, values=values,
                           progress=paper.progress(session, b)), (422 if problems else 200)


@bp.route("/batches/<int:batch_id>/key/<int:pass_no>/serial")
@roles_required(*KEYERS)
def check_serial(batch_id: int, pass_no: int):
    """The serial check the keying page asks as soon as the serial is typed (GET: it changes nothing).

    The same rule as Save (paper.serial_problems); answers {"serial": the whole serial, "ok", "message"}.
    """
    if pass_no not in (1, 2):
        abort(404)
    b = _batch(batch_id)
    session = get_session()
    rnd = session.get_one(Round, b.round_id)
    serial = paper.full_serial(rnd, request.args.get("serial", "")[:80])
    problems = localized(paper.serial_problems(session, rnd, b, serial, pass_no, current_user))
    return jsonify(serial=serial[:80], ok=not problems, message=problems.get("serial", ""))


@bp.route("/adjudicate")
@roles_required(*JUDGES)
def queue():
    """Forms whose two passes differ."""
    session = get_session()
    batches = {}
    forms = []
    for pf in session.scalars(select(PaperForm).where(PaperForm.status == PaperFormStatus.MISMATCH)
                              .order_by(PaperForm.batch_id, PaperForm.serial)):
        if pf.batch_id not in batches:
            batches[pf.batch_id] = _in_scope(session.get(PaperBatch, pf.batch_id))
        # Forms the user keyed themselves are someone else's to settle.
        if batches[pf.batch_id] and paper.may_adjudicate(pf, current_user):
            forms.append(pf)
    return render_template("entry/queue.html", forms=forms)


@bp.route("/forms/<int:form_id>", methods=["GET", "POST"])
@roles_required(*JUDGES)
def adjudicate(form_id: int):
    """Show both values of every differing field; the verifier picks or corrects each."""
    session = get_session()
    pf = session.get(PaperForm, form_id)
    if pf is None:
        abort(404)
    b = _batch(pf.batch_id)
    profile = surveys.load(session.get_one(Round, b.round_id).profile_key)
    form = CsrfOnly()
    problems: dict[str, str] = {}
    if not paper.may_adjudicate(pf, current_user):
        problems = localized({"form": paper.KEYED_IT_YOURSELF})  # said at once; the service refuses it too
    if request.method == "POST" and form.validate_on_submit():
        decisions = {k[2:]: v for k, v in request.form.items() if k.startswith("d_")}
        for k, v in request.form.items():
            if k.startswith("o_") and v.strip():
                decisions[k[2:]] = v  # a typed correction wins over a picked value
        try:
            paper.adjudicate(session, pf, decisions, current_user)
            audit.record(session, "paper_form_adjudicated", actor=current_user, object_type="paper_form",
                         object_id=pf.id, ip=request.remote_addr)
            flash(_("Form %(serial)s verified.", serial=pf.serial), "ok")
            return redirect(url_for(".queue"))
        except ValidationFailed as exc:
            discard_changes()
            problems = localized(exc.problems)
    diffs = paper.differences(pf) if pf.status is PaperFormStatus.MISMATCH else []
    labels = {i.code: i.text for i in profile.items}
    return render_template("entry/adjudicate.html", paper_form=pf, batch=b, diffs=diffs, labels=labels, form=form,
                           problems=problems), (422 if problems else 200)
