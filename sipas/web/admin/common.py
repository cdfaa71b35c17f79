"""What the admin pages share: the blueprint, round lookup, the user's own agency, the CSRF-only form."""
from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user
from flask_wtf import FlaskForm

from sipas.db import get_session
from sipas.errors import NotFound
from sipas.models import Agency, Role
from sipas.services import catalog, scope

STAFF = (Role.ADMIN, Role.ANALYST, Role.AGENCY_MANAGER)


bp = Blueprint("admin", __name__, url_prefix="/admin")


def own_agency_or_none(session):
    """For exports: None for jurisdiction-wide staff; the user's agency for an agency manager (403 without one)."""
    if not scope.is_agency_scoped(current_user):
        return None
    own = session.get(Agency, current_user.agency_id) if current_user.agency_id else None
    if own is None:
        abort(403)
    return own


def round_or_404(code: str):
    try:
        return catalog.get_round(get_session(), code)
    except NotFound:
        abort(404)


class CsrfOnly(FlaskForm):
    """Carries the CSRF token of the small admin forms below."""

