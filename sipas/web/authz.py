"""Server-side authorisation helpers shared by the staff blueprints."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from sipas.db import get_session
from sipas.models import Agency, Role
from sipas.services.scope import agency_scope


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


def can_see_agency(agency: Agency) -> bool:
    """Agency managers see their agency and those under it; other staff roles their whole jurisdiction."""
    allowed = agency_scope(get_session(), current_user)
    return allowed is None or agency.id in allowed


def require_agency(agency: Agency | None) -> Agency:
    """404 for an unknown agency, 403 for one outside the user's scope."""
    if agency is None:
        abort(404)
    if not can_see_agency(agency):
        abort(403)
    return agency
