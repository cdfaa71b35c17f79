"""One blueprint per audience."""
from __future__ import annotations

from flask import Flask
from flask_babel import get_locale

from sipas.models import Role
from sipas.web import admin, api, auth, boundary, dashboard, entry, error_pages, kiosk, online, public, unavailable
from sipas.words import local_time, thousands


def init_app(app: Flask) -> None:
    """Register the blueprints and the template helpers they share."""
    app.register_blueprint(public.bp)
    app.register_blueprint(online.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(kiosk.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(entry.bp)
    app.register_blueprint(dashboard.bp)
    error_pages.init_app(app)
    unavailable.init_app(app)
    boundary.init_app(app)

    @app.context_processor
    def _helpers():
        return {"current_lang": str(get_locale() or "vi"), "local_time": local_time, "thousands": thousands,
                "keyer_roles": frozenset({Role.SURVEYOR, Role.VERIFIER, Role.ADMIN}),
                "kiosk_roles": frozenset({Role.ADMIN, Role.AGENCY_MANAGER}), "admin_role": Role.ADMIN,
                "analyst_roles": frozenset({Role.ADMIN, Role.ANALYST})}
