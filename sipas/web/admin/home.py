"""Staff landing page: rounds and agencies within the user's scope."""
from __future__ import annotations

from flask import render_template
from flask_login import login_required

from sipas.db import get_session
from sipas.services import catalog, scope
from sipas.web.admin.common import bp
from sipas.web.authz import current_scope


@bp.route("/")
@login_required
def index():
    """Rounds (with response counts) and the agencies the user may see."""
    session = get_session()
    mine = current_scope()
    rounds = scope.visible_rounds(mine, catalog.list_rounds(session))
    agencies = scope.visible_agencies(mine, catalog.list_agencies(session))
    return render_template("admin/index.html", rounds=rounds, agencies=agencies)

