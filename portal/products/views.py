"""The company's products: list, create, edit, attachments; and the attachment download for everyone allowed."""

import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.applications.models import Application
from portal.applications.services import open_batches_for
from portal.catalogue.models import Entry, EntryStatus
from portal.core.access import PUBLIC, public, roles
from portal.core.errors import DomainError, NotFound
from portal.core.forms import attach_error, choices
from portal.core.persistence import parse_version
from portal.core.unit import perform, run, submit
from portal.extensions import db
from portal.products.forms import FORM_UPLOADS, AttachmentForm, ProductForm
from portal.products.models import Attachment, Product
from portal.products.permissions import can_download
from portal.products.services import (
    ProductInput,
    ProductInvalid,
    add_attachment,
    attachment_kinds,
    get_own_product,
    retire_attachment,
    save_product,
)
from portal.products.storage import is_stored, limit_label, send_attachment

log = logging.getLogger(__name__)
bp = Blueprint("products", __name__)
COMPANY = {Role.MANUFACTURER}

ACCESS = {
    "products.index": COMPANY,
    "products.new": COMPANY,
    "products.show": COMPANY,
    "products.edit": COMPANY,
    "products.upload": COMPANY,
    "products.retire_attachment": COMPANY,
    "products.attachment": PUBLIC,  # checked inside: 404 unless can_download
}


def _own_product(product_id: int) -> Product:
    """The user's company's product; anything else (another company's, or none) is a plain 404, also on POST."""
    try:
        return get_own_product(current_user, product_id)
    except NotFound:
        abort(404)


def _show_errors(form, exc: DomainError) -> None:
    if isinstance(exc, ProductInvalid):
        for field, message in exc.errors.items():
            attach_error(form, DomainError(message, field=field))
    else:
        attach_error(form, exc)


def _input(form: ProductForm) -> ProductInput:
    return ProductInput(
        name=form.name.data or "",
        model=form.model.data or "",
        product_type=form.product_type.data or "",
        registration_no=form.registration_no.data or "",
        device_class=form.device_class.data or "",
        first_approved_on=form.first_approved_on.data,
        key_area=form.key_area.data or "",
        departments=tuple(form.departments.data or ()),
        indications=form.indications.data or "",
        description=form.description.data or "",
        innovative_review=form.innovative_review.data or "",
        track=form.track.data or "",
        price=form.price.data or None,
        insurance_code=form.insurance_code.data or "",
    )


def _allow_form_uploads() -> None:
    """The product form carries up to three PDFs, each within the limit; store_pdf checks each one."""
    request.max_content_length = len(FORM_UPLOADS) * current_app.config["PORTAL_UPLOAD_MAX_BYTES"] + 1024 * 1024


def _upload_limit() -> str:
    return limit_label(current_app.config["PORTAL_UPLOAD_MAX_BYTES"])


@bp.route("/products")
@roles(Role.MANUFACTURER)
def index():
    query = select(Product).where(Product.company_id == current_user.company_id).order_by(Product.name, Product.id)
    if request.args.get("q"):
        term = request.args["q"].strip()
        query = query.where(Product.name.contains(term) | Product.registration_no.contains(term.upper()))
    page = db.paginate(query, per_page=current_app.config["PORTAL_PAGE_SIZE"], max_per_page=200)
    ids = [p.id for p in page.items]
    # Two GROUP BY queries for the whole page, not one per row.
    applied = dict(
        db.session.execute(
            select(Application.product_id, func.count(Application.id))
            .where(Application.product_id.in_(ids))
            .group_by(Application.product_id)
        ).all()
    )
    listed = dict(
        db.session.execute(
            select(Entry.product_id, func.count(Entry.id))
            .where(Entry.product_id.in_(ids), Entry.status == EntryStatus.LISTED)
            .group_by(Entry.product_id)
        ).all()
    )
    rows = [(p, applied.get(p.id, 0), listed.get(p.id, 0)) for p in page.items]
    return render_template("products/index.html", rows=rows, page=page)


def _save_product(form: ProductForm, product: Product | None):
    """Validate and run the save; on a refusal the form shows again with what was typed."""
    if not form.is_submitted() or not form.validate():
        return None
    uploads = {field: (getattr(form, field).data, kind) for field, kind in FORM_UPLOADS.items()}
    version = parse_version(form.version_id.data)
    outcome = run(save_product, current_user, product, _input(form), version, uploads)
    if not outcome.ok:
        _show_errors(form, outcome.error)
        for field in FORM_UPLOADS:  # a browser cannot keep a chosen file: say so beside each
            if getattr(form, field).data and getattr(form, field).data.filename and not getattr(form, field).errors:
                getattr(form, field).errors = ["请重新选择该文件（表单未保存）。"]
        return None
    flash("产品已保存。", "success")
    return redirect(url_for("products.show", product_id=outcome.value.id))


@bp.route("/products/new", methods=["GET", "POST"])
@roles(Role.MANUFACTURER)
def new():
    _allow_form_uploads()
    form = ProductForm()
    done = _save_product(form, None)
    if done is not None:
        return done
    return render_template("products/form.html", form=form, product=None, upload_limit=_upload_limit())


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@roles(Role.MANUFACTURER)
def edit(product_id):
    product = _own_product(product_id)
    _allow_form_uploads()
    form = ProductForm(obj=product if request.method == "GET" else None)
    if request.method == "GET":
        form.product_type.data = product.product_type.value
        form.device_class.data = product.device_class.value if product.device_class else ""
        form.key_area.data = product.key_area or ""
        form.innovative_review.data = product.innovative_review.value
        form.track.data = product.track.value
        form.price.data = str(product.price) if product.price is not None else ""
        form.version_id.data = product.version_id
    done = _save_product(form, product)
    if done is not None:
        return done
    return render_template("products/form.html", form=form, product=product, upload_limit=_upload_limit())


def _attachment_form() -> AttachmentForm:
    form = AttachmentForm()
    form.kind.choices = choices([("", "（请选择）")] + [(k, k) for k in attachment_kinds()])
    return form


def _render_show(product: Product, upload_form: AttachmentForm, status: int = 200):
    applications = db.session.scalars(
        select(Application).where(Application.product_id == product.id).order_by(Application.id.desc())
    ).all()
    entries = db.session.scalars(select(Entry).where(Entry.product_id == product.id).order_by(Entry.id)).all()
    return (
        render_template(
            "products/show.html",
            product=product,
            upload_form=upload_form,
            applications=applications,
            entries=entries,
            open_batches=open_batches_for(product),
            upload_limit=_upload_limit(),
        ),
        status,
    )


@bp.route("/products/<int:product_id>")
@roles(Role.MANUFACTURER)
def show(product_id):
    product = _own_product(product_id)
    form = _attachment_form()
    if request.args.get("kind") in attachment_kinds():
        form.kind.data = request.args["kind"]
    return _render_show(product, form)


@bp.route("/products/<int:product_id>/attachments", methods=["POST"])
@roles(Role.MANUFACTURER)
def upload(product_id):
    product = _own_product(product_id)
    form = _attachment_form()
    if form.validate_on_submit():
        uploaded = submit(form, add_attachment, current_user, product, form.file.data, form.kind.data)
        if uploaded.ok:
            attachment = uploaded.value
            flash(f"已上传{attachment.kind}：{attachment.original_name}", "success")
            return redirect(url_for("products.show", product_id=product.id))
    return _render_show(product, form)


@bp.route(
    "/products/<int:product_id>/attachments/<int:attachment_id>/retire", methods=["POST"], endpoint="retire_attachment"
)
@roles(Role.MANUFACTURER)
def retire_attachment_page(product_id, attachment_id):
    product = _own_product(product_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.product_id != product.id:
        abort(404)
    perform(retire_attachment, current_user, attachment)
    flash(f"已移除附件：{attachment.original_name}（已提交的申报轮次仍保留该文件）", "success")
    return redirect(url_for("products.show", product_id=product.id))


@bp.route("/attachments/<int:attachment_id>")
@public
def attachment(attachment_id):
    """Download (or, with ?inline=1, view) a PDF: 404 for anyone not allowed, so existence is not revealed."""
    item = db.session.get(Attachment, attachment_id)
    if item is None or not can_download(current_user, item):
        abort(404)
    if not is_stored(item):
        log.error("attachment %s: bytes of %s missing from the database and the folder", item.id, item.stored_name)
        abort(404)
    return send_attachment(item, inline=request.args.get("inline") == "1")
