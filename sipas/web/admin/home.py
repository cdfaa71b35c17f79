"""Staff landing page: rounds and agencies within the user's scope."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required

from sipas.db import get_session
from sipas.services import catalog, scope
from sipas.web.admin.common import bp


@bp.route("/")
@login_required
def index():
    """Rounds (with response counts) and the agencies the user may see."""
    session = get_session()
    rounds = catalog.list_rounds(session)
    agencies = scope.visible_agencies(session, current_user, catalog.list_agencies(session))
    return render_template("admin/index.html", rounds=rounds, agencies=agencies)

