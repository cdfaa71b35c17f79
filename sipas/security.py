"""CSRF, login sessions, rate limits and security headers."""
from __future__ import annotations

from flask import Flask, jsonify, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from sipas.db import get_session
from sipas.inputs import INT_MAX
from sipas.models import User
from sipas.services import accounts

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address)

#: No inline script anywhere: pages load their scripts from /static.
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """The user of a session "id:generation", only while that generation is current and the user active."""
    user_id, _, generation = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit() and generation.isascii() and generation.isdigit()) \
            or len(user_id) > 12 or len(generation) > 12:
        return None
    user = get_session().get(User, int(user_id))
    if user is None or not user.active or user.session_generation != int(generation):
        return None
    return user


#: Deepest JSON nesting accepted: the API's documents are 3 levels deep; parsers and walkers recurse.
MAX_JSON_DEPTH = 32


def _bad_text(value: str) -> bool:
    """True for text no database can store: a NUL byte, or a lone surrogate (not encodable as UTF-8)."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def json_depth(raw: bytes) -> int:
    """The bracket nesting of a JSON text, counted without parsing (so without recursion), skipping strings."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def _has_nul(value) -> bool:
    """True when any text in a parsed JSON value (keys included) is bad text. Iterative: no RecursionError."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _bad_text(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def refuse_nul_bytes():
    """No legitimate input contains a NUL byte, and PostgreSQL refuses them in text: stop them at the door.
    JSON bodies nested deeper than MAX_JSON_DEPTH are refused before they are parsed."""
    problem = None
    if _bad_text(request.path) or any(_bad_text(k) or _bad_text(v) for k, v in request.args.items(multi=True)):
        problem = "contains a NUL byte or invalid text"
    elif request.method in ("POST", "PUT", "PATCH"):
        if any(_bad_text(k) or _bad_text(v) for k, v in request.form.items(multi=True)):
            problem = "contains a NUL byte or invalid text"
        elif request.is_json:
            if json_depth(request.get_data(cache=True)) > MAX_JSON_DEPTH:
                problem = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
            elif _has_nul(request.get_json(silent=True)):
                problem = "contains a NUL byte or invalid text"
    if problem is None:
        return None
    if request.path.startswith("/api/"):
        return jsonify({"error": "invalid input", "errors": {"body": problem}}), 422
    return f"Dữ liệu không hợp lệ / invalid input ({problem})", 400


#: Blueprints whose every response is private to the person who asked (never stored by a cache).
PRIVATE_BLUEPRINTS = frozenset({"auth", "admin", "entry", "dashboard"})


class BoundedInt(IntegerConverter):
    """`<int:...>` in every route: ids beyond a PostgreSQL integer are no match (404), never an overflow."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's parameter name
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Wire CSRF, Flask-Login, Flask-Limiter, the input guard and the response headers."""
    app.url_map.converters["int"] = BoundedInt  # before any blueprint adds its routes
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,  # type: ignore[method-assign]
                                x_port=hops)
    accounts.bound_password_checks(int(app.config.get("PASSWORD_CHECKS_AT_ONCE") or 4))
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
        if request.blueprint in PRIVATE_BLUEPRINTS:
            # Staff pages show secrets once (API keys, device tokens, TOTP secrets) and unpublished data:
            # no browser or proxy cache may keep them.
            response.headers.setdefault("Cache-Control", "no-store")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
