from flask import Blueprint, jsonify, render_template
from flask_login import current_user

from portal.core.access import PUBLIC, public
from portal.core.persistence import database_answers
from portal.home.dashboard import dashboard_for

bp = Blueprint("main", __name__)

ACCESS = {
    "main.home": PUBLIC,
    "main.healthz": PUBLIC,
}


@bp.route("/")
@public
def home():
    """Each role's next actions; visitors see the published catalogues."""
    return render_template("main/home.html", board=dashboard_for(current_user))


@bp.route("/healthz")
@public
def healthz():
    if not database_answers():
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
