"""CSRF, login sessions, rate limits and security headers."""
from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from sipas.db import get_session
from sipas.models import User

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address)

#: No inline script anywhere: pages load their scripts from /static.
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    user = get_session().get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


def _has_nul(value) -> bool:
    """True for text no database can store: a NUL byte, or a lone surrogate (not encodable as UTF-8)."""
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def refuse_nul_bytes():
    """No legitimate input contains a NUL byte, and PostgreSQL refuses them in text: stop them at the door."""
    from flask import jsonify
    found = _has_nul(request.path) or any(_has_nul(v) for v in request.args.values())
    if not found and request.method in ("POST", "PUT", "PATCH"):
        found = any(_has_nul(v) for v in request.form.values())
        if not found and request.is_json:
            found = _has_nul(request.get_json(silent=True))
    if not found:
        return None
    if request.path.startswith("/api/"):
        return jsonify({"error": "invalid input", "errors": {"body": "contains a NUL byte or invalid text"}}), 422
    return "Dữ liệu không hợp lệ / invalid input (NUL byte or invalid text)", 400


def init_app(app: Flask) -> None:
    """Wire CSRF, Flask-Login, Flask-Limiter, the input guard and the response headers."""
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    # Flask-Limiter falls back to the previous app's `enabled` flag when the config has none: always set it.
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    app.before_request(refuse_nul_bytes)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
