"""Server-side authorisation helpers shared by the staff blueprints.

Who may see which rounds and agencies is decided by sipas.services.scope (one rule); these helpers apply it to
the logged-in user, once per request.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, g
from flask_login import current_user, login_required

from sipas.db import get_session
from sipas.errors import NotFound
from sipas.models import Agency, Role, Round
from sipas.services import catalog
from sipas.services.scope import Scope, user_scope


def roles_required(*roles: Role):
    """Allow the view only to users holding one of `roles` (403 otherwise; login first)."""
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def current_scope() -> Scope:
    """The logged-in user's scope, computed once per request."""
    if "sipas_scope" not in g:
        g.sipas_scope = user_scope(get_session(), current_user)
    return g.sipas_scope


def can_see_agency(agency: Agency) -> bool:
    """True when the agency lies within the user's scope (jurisdiction, narrowed by their agency)."""
    return current_scope().sees_agency(agency.id)


def require_agency(agency: Agency | None) -> Agency:
    """404 for an unknown agency, 403 for one outside the user's scope."""
    if agency is None:
        abort(404)
    if not can_see_agency(agency):
        abort(403)
    return agency


def require_round(rnd: Round | None) -> Round:
    """404 for an unknown round, 403 for one outside the user's scope."""
    if rnd is None:
        abort(404)
    if not current_scope().sees_round(rnd):
        abort(403)
    return rnd


def round_in_scope(code: str) -> Round:
    """A round by code: 404 when unknown, 403 when outside the user's scope."""
    try:
        return require_round(catalog.get_round(get_session(), code))
    except NotFound:
        abort(404)
