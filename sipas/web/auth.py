"""Staff login and logout."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

import pyotp
import segno
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from sipas.db import get_session
from sipas.errors import ValidationFailed
from sipas.models import Role, User
from sipas.security import limiter
from sipas.services import accounts, audit
from sipas.web.problems import localise_all

bp = Blueprint("auth", __name__, url_prefix="/auth")


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


def home_for(user) -> str:
    """Where a user starts: surveyors and verifiers (and nobody else) at paper keying, everyone else at admin."""
    if user.role_set and user.role_set <= {Role.SURVEYOR, Role.VERIFIER}:
        return url_for("entry.index")
    return url_for("admin.index")


def _safe_next(target: str | None, user) -> str:
    # Only same-site relative paths: an open redirect would help phishing.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return home_for(user)


#: How long the password step of a TOTP login stays valid.
PENDING_TOTP_SECONDS = 300


@bp.route("/login", methods=("GET", "POST"))
@limiter.limit("10 per minute", methods=["POST"])
def login():
    """Log in; failures are audited and throttled."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        session = get_session()
        user = accounts.authenticate(session, form.username.data, form.password.data)
        if user is None:
            audit.record(session, "login_failed", actor=form.username.data[:80], ip=request.remote_addr)
            flash(_("Wrong username or password."), "error")
        elif user.totp_secret:
            # Second factor: remember who passed the password, ask for the code before logging in. The state
            # names the user's session generation and last accepted TOTP step: once any login finishes (the
            # step moves on) or the sessions are ended, a copy of this cookie cannot finish another login.
            flask_session["pending_totp"] = {"user": user.id, "generation": user.session_generation,
                                             "step": user.totp_last_step, "at": int(time.time())}
            flask_session["pending_next"] = _safe_next(request.args.get("next"), user)
            return redirect(url_for(".totp"))
        else:
            audit.record(session, "login", actor=user, ip=request.remote_addr)
            login_user(user)
            return redirect(_after_login(user, request.args.get("next")))
    return render_template("auth/login.html", form=form)


def _after_login(user, target: str | None) -> str:
    return url_for(".password") if user.must_change_password else _safe_next(target, user)


class CodeForm(FlaskForm):
    """A six-digit code from an authenticator app."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(min=6, max=6)])


class SetupForm(CodeForm):
    """The first code of a new secret, and the account's password (so a borrowed session cannot replace it)."""

    password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])


def _pending_user(session):
    """The user who passed the password step in this browser, while that step is still valid."""
    pending = flask_session.get("pending_totp")
    if not isinstance(pending, dict) or not isinstance(pending.get("user"), int):
        return None
    if not isinstance(pending.get("at"), int) or time.time() - pending["at"] > PENDING_TOTP_SECONDS:
        return None
    user = session.get(User, pending["user"])
    if user is None or not user.active or not user.totp_secret:
        return None
    if user.session_generation != pending.get("generation") or user.totp_last_step != pending.get("step"):
        return None
    return user


@bp.route("/totp", methods=("GET", "POST"))
@limiter.limit("10 per minute", methods=["POST"])
def totp():
    """Second step of the login for users with TOTP."""
    session = get_session()
    user = _pending_user(session)
    if user is None:
        flask_session.pop("pending_totp", None)
        return redirect(url_for(".login"))
    form = CodeForm()
    if form.validate_on_submit():
        if accounts.accept_totp(session, user, user.totp_secret, form.code.data):
            flask_session.pop("pending_totp", None)
            audit.record(session, "login", actor=user, ip=request.remote_addr, detail={"totp": True})
            login_user(user)
            target = flask_session.pop("pending_next", None)
            return redirect(url_for(".password") if user.must_change_password else target or home_for(user))
        audit.record(session, "login_failed", actor=user.username if user else "?", ip=request.remote_addr,
                     detail={"totp": True})
        flash(_("Wrong code."), "error")
    return render_template("auth/totp.html", form=form)


@bp.route("/totp/setup", methods=("GET", "POST"))
@login_required
def totp_setup():
    """Turn on (or replace) TOTP for one's own account: scan the code, confirm with a first code and the
    password. The secret being set up is kept on the server, not in the (signed but readable) cookie."""
    session = get_session()
    user = current_user._get_current_object()
    if not user.totp_pending:
        user.totp_pending = pyotp.random_base32()
        session.flush()
    secret = user.totp_pending
    form = SetupForm()
    status = 200
    if form.validate_on_submit():
        if not accounts.check_password(user, form.password.data):
            flash(_("Wrong password."), "error")
            status = 422
        elif accounts.accept_totp(session, user, secret, form.code.data):
            replaced = bool(user.totp_secret)
            user.totp_secret, user.totp_pending = secret, None
            user.end_sessions()  # other browsers log in again, with the second step
            login_user(user)
            audit.record(session, "totp_replaced" if replaced else "totp_enabled", actor=user,
                         object_type="user", object_id=user.id, ip=request.remote_addr)
            flash(_("Two-step login is on."), "ok")
            return redirect(url_for("admin.index"))
        else:
            flash(_("Wrong code."), "error")
            status = 422
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="SIPAS")
    qr = Markup(segno.make(uri, error="m").svg_inline(scale=5, border=2))
    if status != 200:
        # The pending secret was stored by an earlier request; a refused attempt changes nothing else.
        return render_template("auth/totp_setup.html", form=form, qr=qr, secret=secret), status
    return render_template("auth/totp_setup.html", form=form, qr=qr, secret=secret)


class PasswordForm(FlaskForm):
    """Change one's own password."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("New password again"), validators=[DataRequired(), Length(max=256)])


@bp.route("/password", methods=("GET", "POST"))
@login_required
@limiter.limit("10 per minute", methods=["POST"])
def password():
    """Change one's own password (the current one is required). Every other session of the user ends."""
    form = PasswordForm()
    problems: dict = {}
    if form.validate_on_submit():
        session = get_session()
        user = current_user._get_current_object()
        try:
            accounts.change_password(session, user, form.current.data, form.new.data, form.confirm.data)
        except ValidationFailed as exc:
            problems = localise_all(exc.problems)
        else:
            login_user(user)  # this browser continues with the new session generation
            audit.record(session, "password_changed", actor=user, object_type="user", object_id=user.id,
                         ip=request.remote_addr)
            flash(_("Your password has been changed."), "ok")
            return redirect(url_for("admin.index"))
    elif request.method == "POST":
        problems = {name: "; ".join(errors) for name, errors in form.errors.items()}
    return render_template("auth/password.html", form=form, problems=problems), (422 if problems else 200)


def require_password_change():
    """After an admin reset, the user may do nothing but choose a new password (or log out)."""
    if request.endpoint in ("auth.password", "auth.logout", "static") or request.blueprint in ("api", "kiosk"):
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.password"))
    return None


bp.before_app_request(require_password_change)


@bp.route("/logout", methods=("POST",))
@login_required
def logout():
    """Log out (POST only, so a link on another site cannot log a user out)."""
    session = get_session()
    audit.record(session, "logout", actor=current_user, ip=request.remote_addr)
    current_user.end_sessions()  # a copy of the cookie saved before logout no longer opens anything
    logout_user()
    return redirect(url_for("public.home"))
