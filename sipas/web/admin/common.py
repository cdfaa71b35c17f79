"""What the admin pages share: the blueprint, round lookup, the user's own agency, the CSRF-only form."""
from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user
from flask_wtf import FlaskForm

from sipas.models import Agency, Role
from sipas.web.authz import current_scope, round_in_scope

STAFF = (Role.ADMIN, Role.ANALYST, Role.AGENCY_MANAGER)


bp = Blueprint("admin", __name__, url_prefix="/admin")


def own_agency_or_none(session):
    """For exports: None for jurisdiction-wide staff; the user's agency for an agency manager (403 without one)."""
    if not current_scope().agency_scoped:
        return None
    own = session.get(Agency, current_user.agency_id) if current_user.agency_id else None
    if own is None:
        abort(403)
    return own


def round_or_404(code: str):
    """A round by code: 404 when unknown, 403 when outside the user's scope (sipas.services.scope)."""
    return round_in_scope(code)


class CsrfOnly(FlaskForm):
    """Carries the CSRF token of the small admin forms below."""

