"""The sample design of a round: dossier list, preview, draw, weights (the same steps as the CLI)."""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from flask import abort, current_app, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import func, select

from sipas import jobs
from sipas.db import after_commit, discard_changes, get_session
from sipas.errors import SipasError, ValidationFailed
from sipas.inputs import whole_number
from sipas.models import FrameUnit, Role, Round
from sipas.reports.xlsx import XLSX_MIMETYPE
from sipas.services import audit
from sipas.services import sampling as sampling_service
from sipas.services.sampling import invitation_list_bytes
from sipas.web.admin.common import CsrfOnly, bp, round_or_404
from sipas.web.authz import current_scope, roles_required


@dataclass
class _Design:
    """The design parameters as the preview form (GET) or a draw (POST) gives them."""

    total: int | None
    method: str
    previous: str | None
    params: dict[str, str]

    @classmethod
    def read(cls, args) -> _Design:
        return cls(whole_number(args.get("total", "")), args.get("allocation", "proportional"),
                   args.get("previous") or None,
                   {name: args.get(name, "").strip() for name in ("e", "deff", "minimum", "level_totals")})

    def parameters(self) -> dict:
        """What the draw records in the sample plan."""
        by_level = sampling_service.parse_level_totals(self.params["level_totals"])
        return {"total": self.total, "allocation": self.method, "e": _number(self.params, "e", 0.05),
                "deff": _number(self.params, "deff", 1.5),
                "minimum": int(_number(self.params, "minimum", 0, whole=True)), "previous_round": self.previous,
                **({"level_totals": by_level} if by_level else {})}

    def plan(self, session, rnd: Round) -> list:
        p = self.parameters()
        return sampling_service.preview(session, rnd, total=self.total, method=self.method, e=p["e"],
                                        deff=p["deff"], minimum=p["minimum"], level_totals=p.get("level_totals"),
                                        previous=round_or_404(self.previous) if self.previous else None)


@bp.route("/rounds/<code>/sample", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.ANALYST)
def sample(code: str):
    """The sample design of a round: load the dossier list, preview, draw, weights (same steps as the CLI)."""
    rnd = round_or_404(code)
    if not current_scope().may_sample(rnd):
        abort(403)  # an agency scope never reaches a round's frame and contacts, whatever the roles
    session = get_session()
    form = CsrfOnly()
    design = _Design.read(request.form if request.method == "POST" else request.args)
    problems: list[str] = []
    outcome: dict = {}
    plan = None
    try:
        if request.method == "POST" and form.validate_on_submit():
            action = _ACTIONS.get(request.form.get("action", ""))
            done = action(session, rnd, design) if action else {}
            if not isinstance(done, dict):
                return done  # a download or a redirect to the background job
            outcome = done
        if session.scalar(select(func.count()).select_from(FrameUnit).where(FrameUnit.round_id == rnd.id)):
            plan = design.plan(session, rnd)
    except (SipasError, ValueError) as exc:
        discard_changes()
        problems = (exc.lines() if isinstance(exc, ValidationFailed) else []) or [str(exc)]
    return _render(session, rnd, form, design, plan, problems, outcome), (422 if problems else 200)


def _render(session, rnd: Round, form, design: _Design, plan, problems: list[str], outcome: dict) -> str:
    mine = current_scope()
    earlier = [r for r in session.scalars(select(Round).where(Round.id != rnd.id, Round.year < rnd.year)
                                          .order_by(Round.year.desc(), Round.code)) if mine.may_sample(r)]
    sampled = sampling_service.sampled_count(session, rnd)
    return render_template("admin/sample.html", round=rnd, form=form, plan=plan, problems=problems,
                           message=outcome.get("message"), drawn=sampled, design=rnd.design or {},
                           fieldwork=sampling_service.fieldwork(session, rnd) if sampled else [],
                           held=_held_by_stratum(session, rnd) if sampled else {},
                           is_admin=current_user.has_role(Role.ADMIN), weights=outcome.get("weights"),
                           total=design.total, method=design.method, params=design.params, previous=design.previous,
                           earlier=earlier,
                           stratified_by=",".join((rnd.design or {}).get("stratified_by") or ["agency"]),
                           stratifiers=sampling_service.STRATIFIERS)


def _held_by_stratum(session, rnd: Round) -> dict[str, int]:
    """Reserve dossiers not yet invited, per stratum (what the release form offers)."""
    held: dict[str, int] = {}
    for unit in sampling_service.held_reserve(session, rnd):
        held[unit.stratum] = held.get(unit.stratum, 0) + 1
    return held


def _load_frame(session, rnd: Round, design: _Design):
    """A dossier list: read now, or (a province's year of dossiers) in the background with a progress page."""
    sampling_service.ensure_frame_open(session, rnd)
    upload = request.files.get("file")
    suffix = Path(upload.filename or "").suffix.lower() if upload else ""
    if upload is None or suffix not in (".csv", ".xlsx"):
        raise SipasError("only .csv and .xlsx files are accepted")
    by = ",".join(sampling_service.parse_stratifiers(request.form.get("stratify_by") or "agency"))
    upload.stream.seek(0, 2)
    size = upload.stream.tell()
    upload.stream.seek(0)
    if size > current_app.config["SAMPLE_INLINE_MAX_BYTES"]:
        job, start = jobs.enqueue_frame_import(session, round_code=rnd.code, upload=upload, suffix=suffix,
                                               stratify_by=by, user_id=current_user.id)
        audit.record(session, "frame_import_started", actor=current_user, object_type="job",
                     object_id=job.id, ip=request.remote_addr, detail={"round": rnd.code, "bytes": size})
        after_commit(start)
        return redirect(url_for(".job_page", job_id=job.id))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"frame{suffix}"
        upload.save(path)
        n = sampling_service.import_frame(session, rnd, path, stratify_by=by,
                                          dossier_key=current_app.config["DOSSIER_HASH_KEY"])
    audit.record(session, "frame_imported", actor=current_user, object_type="round", object_id=rnd.id,
                 ip=request.remote_addr, detail={"rows": n})
    return {"message": f"{n:,}"}


def _stratify(session, rnd: Round, design: _Design) -> dict:
    sampling_service.restratify(session, rnd, request.form.get("stratify_by") or "agency")
    return {}


def _draw(session, rnd: Round, design: _Design):
    raw_seed = request.form.get("seed", "").strip()
    if not raw_seed.isdigit():
        raise ValidationFailed({"seed": f"{raw_seed!r}: a whole number, e.g. 20261121"})
    seed = int(raw_seed)
    stages = sampling_service.parse_two_stage(request.form.get("two_stage", ""))
    fmt = _list_format()
    reserve = sampling_service.parse_reserve_percent(request.form.get("reserve"))
    parameters = {**design.parameters(), **({"reserve_percent": reserve} if reserve else {})}
    drawn = sampling_service.draw(session, rnd, design.plan(session, rnd), seed=seed, two_stage=stages,
                                  parameters=parameters, reserve_percent=reserve)
    rows = sampling_service.invitation_rows(session, drawn, _link,
                                            reserve=sampling_service.held_reserve(session, rnd))
    audit.record(session, "sample_drawn", actor=current_user, object_type="round", object_id=rnd.id,
                 ip=request.remote_addr, detail={"seed": seed, "n": len(drawn)})
    return _invitation_list(rnd, rows, fmt)


def _invitations(session, rnd: Round, design: _Design):
    fmt = _list_format()
    drawn = sampling_service.reissue_invitation_list(session, rnd, actor=current_user, ip=request.remote_addr)
    return _invitation_list(rnd, sampling_service.invitation_rows(
        session, drawn, _link, reserve=sampling_service.held_reserve(session, rnd)), fmt)


def _release(session, rnd: Round, design: _Design):
    fmt = _list_format()
    count = whole_number(request.form.get("count", ""), low=1)
    if count is None:
        raise ValidationFailed({"count": f"{request.form.get('count', '')!r}: a whole number, at least 1"})
    released = sampling_service.release_reserve(session, rnd, stratum=request.form.get("stratum", ""), count=count,
                                                reason=request.form.get("reason", ""), actor=current_user,
                                                ip=request.remote_addr)
    return _invitation_list(rnd, sampling_service.invitation_rows(session, released, _link), fmt,
                            name=f"invitations-{rnd.code}-reserve")


def _reset(session, rnd: Round, design: _Design) -> dict:
    if not current_user.has_role(Role.ADMIN):
        raise SipasError("only an administrator can reset a draw")
    sampling_service.reset_draw(session, rnd, actor=current_user, reason=request.form.get("reason", ""),
                                ip=request.remote_addr)
    return {}


def _weights(session, rnd: Round, design: _Design) -> dict:
    totals = None
    upload = request.files.get("totals")
    if upload and upload.filename:
        suffix = Path(upload.filename).suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            raise SipasError("control totals: only .csv and .xlsx files are accepted")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"totals{suffix}"
            upload.save(path)
            totals = sampling_service.read_control_totals(path)
    trim = sampling_service.parse_trim(request.form.get("trim", ""))
    accept = request.form.get("accept_nonconverged") == "1"
    confirm = request.form.get("confirm_below_frame") == "1"
    weights = sampling_service.compute_weights(
        session, rnd, rake_by=tuple(c for c in request.form.getlist("rake") if c), trim=trim, totals=totals,
        accept_nonconverged=accept, confirm_below_frame=confirm,
        merge=sampling_service.parse_merge(request.form.get("merge", "")))
    audit.record(session, "weights_computed", actor=current_user, object_type="round", object_id=rnd.id,
                 ip=request.remote_addr, detail={"totals": sorted(totals or {}), "trim": request.form.get("trim", ""),
                                                 "accepted_nonconverged": weights.accepted_nonconverged,
                                                 "confirmed_below_frame": confirm})
    return {"weights": weights}


#: The page's forms, by their hidden "action" field: each returns what the page shows, or a response.
_ACTIONS: dict[str, Callable] = {"frame": _load_frame, "stratify": _stratify, "draw": _draw,
                                 "invitations": _invitations, "release": _release, "reset": _reset,
                                 "weights": _weights}


def _list_format() -> str:
    fmt = request.form.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise SipasError("format: csv or xlsx")
    return fmt


def _link(token: str) -> str:
    return url_for("online.invitation", token=token, _external=True)


@bp.route("/rounds/<code>/sample/plan")
@roles_required(Role.ADMIN, Role.ANALYST)
def sample_plan(code: str):
    """The printable sample plan recorded with the draw: what a Department signs before fieldwork."""
    rnd = round_or_404(code)
    plan = (rnd.design or {}).get("plan")
    if not plan:
        return render_template("admin/sample_plan.html", round=rnd, plan=None), 404
    return render_template("admin/sample_plan.html", round=rnd, plan=plan)


def _number(params: dict, name: str, default: float, whole: bool = False) -> float:
    """A design parameter from the form (empty: the default; a decimal comma is accepted)."""
    raw = params.get(name) or ""
    if not raw:
        return default
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise ValidationFailed({name: f"{raw!r}: {'a whole number' if whole else 'a number'}"}) from None
    if whole and not value.is_integer():
        raise ValidationFailed({name: f"{raw!r}: a whole number"})
    return value


def _invitation_list(rnd, rows, fmt: str, name: str | None = None):
    """The invitation list as a CSV or XLSX download (formula-safe cells)."""
    return send_file(BytesIO(invitation_list_bytes(rows, fmt)), as_attachment=True,
                     mimetype=XLSX_MIMETYPE if fmt == "xlsx" else "text/csv",
                     download_name=f"{name or f'invitations-{rnd.code}'}.{fmt}")

