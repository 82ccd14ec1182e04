"""Public catalogue pages (search and facets come with the search area)."""

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from portal.catalogue.models import Batch, Catalogue, Entry, EntryStatus
from portal.catalogue.services import get_by_code
from portal.core.access import PUBLIC, public
from portal.extensions import db
from portal.workflow import BatchState

bp = Blueprint("catalogue", __name__)

ACCESS = {
    "catalogue.index": PUBLIC,
    "catalogue.show": PUBLIC,
    "catalogue.entry": PUBLIC,
}


@bp.route("/catalogues")
@public
def index():
    catalogues = db.session.scalars(select(Catalogue).order_by(Catalogue.id)).all()
    return render_template("catalogue/index.html", catalogues=catalogues)


@bp.route("/catalogues/<code>")
@public
def show(code):
    catalogue = get_by_code(code) or abort(404)
    page = db.paginate(
        select(Entry)
        .where(Entry.catalogue_id == catalogue.id, Entry.status == EntryStatus.LISTED)
        .order_by(Entry.listed_on.desc(), Entry.id),
        per_page=current_app.config["PORTAL_PAGE_SIZE"],
        max_per_page=200,
    )
    published = db.session.scalars(
        select(Batch)
        .where(Batch.catalogue_id == catalogue.id, Batch.state == BatchState.PUBLISHED)
        .order_by(Batch.published_at.desc())
    ).all()
    return render_template(
        "catalogue/show.html", catalogue=catalogue, page=page, published=published, args=request.args
    )


@bp.route("/entries/<int:entry_id>")
@public
def entry(entry_id):
    item = db.session.get(Entry, entry_id) or abort(404)
    return render_template("catalogue/entry.html", entry=item)
