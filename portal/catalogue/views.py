"""Public catalogue pages: the catalogues, an entry, the update history; the reviewers' delisting. One catalogue
searched with facets is a search page (search/views.py, above the catalogue)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.catalogue import forms, services
from portal.catalogue.services import get_by_code
from portal.core import timeutil
from portal.core.access import PUBLIC, public, roles
from portal.core.fragments import FragmentMemo, Memo
from portal.core.unit import submit
from portal.core.web import found
from portal.products.identifiers import IdentifierError, parse_registration_no
from portal.products.models import DeviceClass, InnovativeReview, ProductType

bp = Blueprint("catalogue", __name__)

ACCESS = {
    "catalogue.index": PUBLIC,
    "catalogue.entry": PUBLIC,
    "catalogue.history": PUBLIC,
    "catalogue.entry_delist": {Role.REVIEWER},
}


@bp.route("/catalogues")
@public
def index():
    return render_template("catalogue/index.html", catalogues=services.catalogue_sizes(current_user))


@bp.route("/catalogues/<code>/history")
@public
def history(code):
    """Each published batch (an update of the catalogue): when, how many listed, how many since delisted."""
    catalogue = get_by_code(code) or abort(404)
    rows, delisted = services.catalogue_history(current_user, catalogue)
    return render_template("catalogue/history.html", catalogue=catalogue, rows=rows, delisted=delisted)


# The page's content is a function of EntryPage.key; the frame (navigation, who is logged in) is not. The
# read itself is the same for everyone until the next write.
ENTRY_BODIES = FragmentMemo("catalogue/_entry.html", size=1024)
ENTRY_PAGES = Memo(size=4096)


@bp.route("/entries/<int:entry_id>")
@public
def entry(entry_id):
    page = ENTRY_PAGES.for_data((entry_id,), lambda: found(services.entry_page, entry_id))
    body = ENTRY_BODIES(page.key, lambda: _entry_context(page))
    return render_template("catalogue/entry.html", entry=page.entry, body=body)


def _entry_context(page: services.EntryPage) -> dict:
    item = page.entry
    try:
        registration = parse_registration_no(item.registration_no, today=item.listed_on).summary_zh
    except IdentifierError:
        registration = None
    labels = {
        "category": dict(ProductType.choices()).get(item.product_type, item.product_type),
        "device_class": dict(DeviceClass.choices()).get(item.device_class, item.device_class or "—"),
        "innovative": dict(InnovativeReview.choices()).get(item.innovative_review, item.innovative_review),
    }
    return {
        "entry": item,
        "registration": registration,
        "labels": labels,
        "company_district": page.company_district,
        "certificate_ids": page.certificate_ids,
    }


# Delisting (reviewers) ---------------------------------------------------------------------------------


@bp.route("/review/entries/<int:entry_id>/delist", methods=["GET", "POST"])
@roles(Role.REVIEWER)
def entry_delist(entry_id):
    entry = found(services.get_entry, entry_id, delist=True)
    form = forms.DelistForm()
    if request.method == "GET":
        form.delisted_on.data = timeutil.today_shanghai()
    if form.validate_on_submit():
        outcome = submit(
            form, services.delist_entry, current_user, entry, reason=form.reason.data, delisted_on=form.delisted_on.data
        )
        if outcome.ok:
            flash(f"已将「{entry.product_name}」调出目录，关闭了 {outcome.value} 项未完成的入院评估。", "success")
            return redirect(url_for("catalogue.entry", entry_id=entry.id))
    return render_template("catalogue/delist.html", entry=entry, form=form)
