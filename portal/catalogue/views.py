"""Public catalogue pages: the catalogues, one catalogue searched with facets, an entry, the update history."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.catalogue import forms
from portal.catalogue.models import Batch, Catalogue, Entry, EntryStatus
from portal.catalogue.permissions import can_delist
from portal.catalogue.services import delist_entry, get_by_code
from portal.core import timeutil
from portal.core.access import PUBLIC, public, roles
from portal.core.unit import submit
from portal.extensions import db
from portal.products.identifiers import IdentifierError, parse_registration_no
from portal.products.models import DeviceClass, InnovativeReview, ProductType
from portal.products.permissions import public_attachments
from portal.search import web
from portal.search.views import render_search
from portal.workflow import BatchState

bp = Blueprint("catalogue", __name__)

ACCESS = {
    "catalogue.index": PUBLIC,
    "catalogue.show": PUBLIC,
    "catalogue.entry": PUBLIC,
    "catalogue.history": PUBLIC,
    "catalogue.export": PUBLIC,
    "catalogue.entry_delist": {Role.REVIEWER},
}


def _listed_counts() -> dict[int, int]:
    rows = db.session.execute(
        select(Entry.catalogue_id, func.count()).where(Entry.status == EntryStatus.LISTED).group_by(Entry.catalogue_id)
    )
    return dict(rows.all())


@bp.route("/catalogues")
@public
def index():
    catalogues = db.session.scalars(select(Catalogue).order_by(Catalogue.id)).all()
    return render_template("catalogue/index.html", catalogues=catalogues, counts=_listed_counts())


def _published_batches(catalogue) -> list[Batch]:
    return db.session.scalars(
        select(Batch)
        .where(Batch.catalogue_id == catalogue.id, Batch.state == BatchState.PUBLISHED)
        .order_by(Batch.published_at.desc(), Batch.id.desc())
    ).all()


@bp.route("/catalogues/<code>")
@public
def show(code):
    catalogue = get_by_code(code) or abort(404)
    return render_search(
        "catalogue/show.html",
        "catalogue.show",
        {"code": code},
        {"catalogue": str(catalogue.id)},
        catalogue=catalogue,
        published=_published_batches(catalogue),
    )


@bp.route("/catalogues/<code>/export.<fmt>")
@public
def export(code, fmt):
    catalogue = get_by_code(code) or abort(404)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    wanted = web.read_request({"catalogue": str(catalogue.id)})
    return web.export_response(fmt, wanted["text"], wanted["filters"], catalogue.code)


@bp.route("/catalogues/<code>/history")
@public
def history(code):
    """Each published batch (an update of the catalogue): when, how many listed, how many since delisted."""
    catalogue = get_by_code(code) or abort(404)
    batches = _published_batches(catalogue)
    counts = {
        (batch_id, status): n
        for batch_id, status, n in db.session.execute(
            select(Entry.batch_id, Entry.status, func.count())
            .where(Entry.catalogue_id == catalogue.id)
            .group_by(Entry.batch_id, Entry.status)
        )
    }
    rows = [
        {
            "batch": b,
            "listed": counts.get((b.id, EntryStatus.LISTED), 0) + counts.get((b.id, EntryStatus.DELISTED), 0),
            "delisted": counts.get((b.id, EntryStatus.DELISTED), 0),
        }
        for b in batches
    ]
    delisted = db.session.scalars(
        select(Entry)
        .where(Entry.catalogue_id == catalogue.id, Entry.status == EntryStatus.DELISTED)
        .order_by(Entry.delisted_on.desc(), Entry.id)
        .limit(200)
    ).all()
    return render_template("catalogue/history.html", catalogue=catalogue, rows=rows, delisted=delisted)


@bp.route("/entries/<int:entry_id>")
@public
def entry(entry_id):
    item = db.session.get(Entry, entry_id) or abort(404)
    try:
        registration = parse_registration_no(item.registration_no, today=item.listed_on).summary_zh
    except IdentifierError:
        registration = None
    labels = {
        "category": dict(ProductType.choices()).get(item.product_type, item.product_type),
        "device_class": dict(DeviceClass.choices()).get(item.device_class, item.device_class or "—"),
        "innovative": dict(InnovativeReview.choices()).get(item.innovative_review, item.innovative_review),
    }
    company = item.product.company if item.product else None
    certificates = public_attachments(item.product)
    return render_template(
        "catalogue/entry.html",
        entry=item,
        registration=registration,
        labels=labels,
        company=company,
        certificates=certificates,
    )


# Delisting (reviewers) ---------------------------------------------------------------------------------


@bp.route("/review/entries/<int:entry_id>/delist", methods=["GET", "POST"])
@roles(Role.REVIEWER)
def entry_delist(entry_id):
    entry = db.session.get(Entry, entry_id)
    if entry is None or not can_delist(current_user, entry):
        abort(404)
    form = forms.DelistForm()
    if request.method == "GET":
        form.delisted_on.data = timeutil.today_shanghai()
    if form.validate_on_submit():
        outcome = submit(
            form, delist_entry, current_user, entry, reason=form.reason.data, delisted_on=form.delisted_on.data
        )
        if outcome.ok:
            flash(f"已将「{entry.product_name}」调出目录，关闭了 {outcome.value} 项未完成的入院评估。", "success")
            return redirect(url_for("catalogue.entry", entry_id=entry.id))
    return render_template("catalogue/delist.html", entry=entry, form=form)
