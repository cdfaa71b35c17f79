"""Staff login and logout."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from sipas.db import get_session
from sipas.models import Role
from sipas.security import limiter
from sipas.services import accounts, audit

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
            # Second factor: remember who passed the password, ask for the code before logging in.
            flask_session["pending_totp"] = user.id
            flask_session["pending_next"] = _safe_next(request.args.get("next"), user)
            return redirect(url_for(".totp"))
        else:
            audit.record(session, "login", actor=user, ip=request.remote_addr)
            login_user(user)
            return redirect(_safe_next(request.args.get("next"), user))
    return render_template("auth/login.html", form=form)


class CodeForm(FlaskForm):
    """A six-digit code from an authenticator app."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(min=6, max=6)])


@bp.route("/totp", methods=("GET", "POST"))
@limiter.limit("10 per minute", methods=["POST"])
def totp():
    """Second step of the login for users with TOTP."""
    import pyotp

    from sipas.models import User
    user_id = flask_session.get("pending_totp")
    if not user_id:
        return redirect(url_for(".login"))
    form = CodeForm()
    if form.validate_on_submit():
        session = get_session()
        user = session.get(User, user_id)
        if user is not None and user.active and pyotp.TOTP(user.totp_secret).verify(form.code.data, valid_window=1):
            flask_session.pop("pending_totp", None)
            audit.record(session, "login", actor=user, ip=request.remote_addr, detail={"totp": True})
            login_user(user)
            return redirect(flask_session.pop("pending_next", None) or home_for(user))
        audit.record(session, "login_failed", actor=user.username if user else "?", ip=request.remote_addr,
                     detail={"totp": True})
        flash(_("Wrong code."), "error")
    return render_template("auth/totp.html", form=form)


@bp.route("/totp/setup", methods=("GET", "POST"))
@login_required
def totp_setup():
    """Turn on TOTP for one's own account: scan the code, confirm with a first code."""
    import pyotp
    import segno
    from markupsafe import Markup
    secret = flask_session.get("totp_setup") or pyotp.random_base32()
    flask_session["totp_setup"] = secret
    form = CodeForm()
    if form.validate_on_submit():
        if pyotp.TOTP(secret).verify(form.code.data, valid_window=1):
            session = get_session()
            current_user.totp_secret = secret
            audit.record(session, "totp_enabled", actor=current_user, ip=request.remote_addr)
            flask_session.pop("totp_setup", None)
            flash(_("Two-step login is on."), "ok")
            return redirect(url_for("admin.index"))
        flash(_("Wrong code."), "error")
    uri = pyotp.TOTP(secret).provisioning_uri(name=current_user.username, issuer_name="SIPAS")
    qr = Markup(segno.make(uri, error="m").svg_inline(scale=5, border=2))
    return render_template("auth/totp_setup.html", form=form, qr=qr, secret=secret)


@bp.route("/logout", methods=("POST",))
@login_required
def logout():
    """Log out (POST only, so a link on another site cannot log a user out)."""
    session = get_session()
    audit.record(session, "logout", actor=current_user, ip=request.remote_addr)
    logout_user()
    return redirect(url_for("public.home"))
