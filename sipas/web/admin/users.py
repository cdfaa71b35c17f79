"""User accounts and the audit log."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy import select

from sipas.db import discard_changes, get_session
from sipas.errors import ValidationFailed
from sipas.inputs import whole_number
from sipas.models import AdminMap, AdminUnit, Agency, AuditEvent, Level, Role, User
from sipas.services import accounts, audit
from sipas.web.admin.common import CsrfOnly, bp
from sipas.web.authz import current_scope, roles_required
from sipas.web.problems import localise_all


@bp.route("/users", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users():
    """Create users, change their roles and scope, deactivate them. Every change is audited."""
    session = get_session()
    form = CsrfOnly()
    problems: dict = {}
    if request.method == "POST" and form.validate_on_submit():
        roles = [Role(r) for r in request.form.getlist("roles") if r in {x.value for x in Role}]
        action = request.form.get("action", "create")
        agency = _form_agency(session, problems)
        unit_id = _form_province(session, action, problems)
        if agency is None and current_scope().agency_scoped and action in ("create", "roles"):
            problems["agency"] = _("You may only give accounts within your agency.")
        try:
            if problems:
                raise ValidationFailed(problems)
            if action == "create":
                user = _create_user(session, roles, agency, unit_id)
            else:
                user = _change_user(session, action, roles, agency)
            if user.id == current_user.id and action in ("roles", "reset_password", "reset_totp"):
                login_user(user)  # an admin changing their own account stays logged in here
            return redirect(url_for(".users"))
        except ValidationFailed as exc:
            discard_changes()
            problems = localise_all(exc.problems)
    all_users = [u for u in session.scalars(select(User).order_by(User.username)) if current_scope().sees_user(u)]
    return render_template("admin/users.html", form=form, users=all_users, roles=list(Role), problems=problems), \
        (422 if problems else 200)


def _form_agency(session, problems: dict) -> Agency | None:
    """The agency the form names (None: none named, or a problem noted)."""
    if not request.form.get("agency"):
        return None
    agency = session.scalar(select(Agency).where(Agency.code == request.form["agency"].strip()))
    if agency is None:
        problems["agency"] = _("Unknown agency code.")
    elif not current_scope().sees_agency(agency.id):
        problems["agency"] = _("This agency is outside your jurisdiction.")
    return agency


def _form_province(session, action: str, problems: dict) -> int | None:
    """The unit a new account belongs to: the province the form names, else the admin's own."""
    unit_id = current_user.unit_id  # a province's admin gives accounts of their province
    province_code = (request.form.get("province") or "").strip()
    if not province_code or action != "create":
        return unit_id
    unit = session.scalar(select(AdminUnit).where(AdminUnit.admin_map == AdminMap.NEW_34,
                                                  AdminUnit.level == Level.PROVINCE,
                                                  AdminUnit.code == province_code))
    if unit is None:
        problems["province"] = _("Unknown province code.")
    elif not current_scope().national and unit.id not in (current_scope().provinces or ()):
        problems["province"] = _("This province is outside your jurisdiction.")
    else:
        unit_id = unit.id
    return unit_id


def _create_user(session, roles: list[Role], agency: Agency | None, unit_id: int | None) -> User:
    user = accounts.create_user(session, request.form.get("username", "").strip(),
                                request.form.get("password", ""), roles,
                                full_name=request.form.get("full_name", "").strip()[:160],
                                unit_id=unit_id, agency_id=agency.id if agency else None)
    audit.record(session, "user_created", actor=current_user, object_type="user", object_id=user.id,
                 ip=request.remote_addr, detail={"roles": [r.value for r in roles]})
    return user


def _change_user(session, action: str, roles: list[Role], agency: Agency | None) -> User:
    """Roles, activation, password or second factor of an account the admin sees."""
    user_id = whole_number(request.form.get("user_id", ""))
    user = session.get(User, user_id) if user_id is not None else None
    if user is None:
        abort(404)
    if not current_scope().sees_user(user):
        abort(403)
    if action == "roles":
        before = sorted(r.value for r in user.role_set)
        accounts.set_roles(session, user, roles, agency.id if agency else None)
        user.end_sessions()  # the user logs in again under the new roles and scope
        audit.record(session, "roles_changed", actor=current_user, object_type="user", object_id=user.id,
                     ip=request.remote_addr, detail={"before": before, "after": [r.value for r in roles]})
    elif action in ("deactivate", "activate"):
        if user.id == current_user.id:
            raise ValidationFailed({"user": _("You cannot deactivate your own account.")})
        user.active = action == "activate"
        user.end_sessions()  # reactivation never revives a session from before
        audit.record(session, f"user_{action}d", actor=current_user, object_type="user",
                     object_id=user.id, ip=request.remote_addr)
    elif action == "reset_password":
        accounts.reset_password(session, user, request.form.get("password", ""))
        audit.record(session, "password_reset", actor=current_user, object_type="user",
                     object_id=user.id, ip=request.remote_addr)
    elif action == "reset_totp":
        accounts.reset_totp(session, user)
        audit.record(session, "totp_reset", actor=current_user, object_type="user",
                     object_id=user.id, ip=request.remote_addr)
    return user


@bp.route("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    """The latest audit events (append-only)."""
    events = get_session().scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(500)).all()
    return render_template("admin/audit.html", events=events)

