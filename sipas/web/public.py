"""Public pages: what the platform is."""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("public", __name__)


@bp.route("/")
def home():
    """The home page."""
    return render_template("public/home.html")


@bp.route("/healthz")
def healthz():
    """Liveness for load balancers (no database access)."""
    return {"status": "ok"}
