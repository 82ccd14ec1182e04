from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core.access import ANY_USER, safe_next
from portal.core.inputs import parse_int
from portal.core.unit import perform
from portal.extensions import db
from portal.notifications import services

bp = Blueprint("notifications", __name__)

ACCESS = {"notifications.index": ANY_USER, "notifications.read": ANY_USER}


@bp.route("/notifications")
def index():
    page = db.paginate(services.notifications_query(current_user), per_page=30)
    return render_template("notifications/index.html", page=page)


@bp.route("/notifications/read", methods=["POST"])
def read():
    ids = [i for i in map(parse_int, request.form.getlist("id")) if i is not None] or None
    perform(services.mark_read, current_user, ids)
    return redirect(safe_next(request.form.get("next"), url_for("notifications.index")))
