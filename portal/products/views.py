"""The company's products: list, create, edit, attachments; and the attachment download for everyone allowed."""

import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.core.access import PUBLIC, public, roles
from portal.core.forms import choices
from portal.core.persistence import parse_version
from portal.core.unit import perform, submit
from portal.core.web import found
from portal.extensions import db
from portal.products import reads
from portal.products.forms import FORM_UPLOADS, AttachmentForm, ProductForm
from portal.products.models import Product
from portal.products.services import (
    ProductInput,
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
    page = db.paginate(
        reads.company_products(current_user, request.args.get("q", "")),
        per_page=current_app.config["PORTAL_PAGE_SIZE"],
        max_per_page=200,
    )
    return render_template("products/index.html", rows=reads.with_counts(page.items), page=page)


def _uploads(form: ProductForm) -> dict:
    return {field: (getattr(form, field).data, kind) for field, kind in FORM_UPLOADS.items()}


def _choose_files_again(form: ProductForm) -> None:
    """A browser cannot keep a chosen file when the form shows again: say so beside each."""
    for field in FORM_UPLOADS:
        if getattr(form, field).data and getattr(form, field).data.filename and not getattr(form, field).errors:
            getattr(form, field).errors = ["请重新选择该文件（表单未保存）。"]


def _saved(product: Product):
    flash("产品已保存。", "success")
    return redirect(url_for("products.show", product_id=product.id))


@bp.route("/products/new", methods=["GET", "POST"])
@roles(Role.MANUFACTURER)
def new():
    _allow_form_uploads()
    form = ProductForm()
    if form.validate_on_submit():
        version = parse_version(form.version_id.data)
        saved = submit(form, save_product, current_user, None, _input(form), version, _uploads(form))
        if saved.ok:
            return _saved(saved.value)
        _choose_files_again(form)
    return render_template("products/form.html", form=form, product=None, upload_limit=_upload_limit())


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@roles(Role.MANUFACTURER)
def edit(product_id):
    product = found(get_own_product, product_id)
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
    if form.validate_on_submit():
        version = parse_version(form.version_id.data)
        saved = submit(form, save_product, current_user, product, _input(form), version, _uploads(form))
        if saved.ok:
            return _saved(saved.value)
        _choose_files_again(form)
    return render_template("products/form.html", form=form, product=product, upload_limit=_upload_limit())


def _attachment_form() -> AttachmentForm:
    form = AttachmentForm()
    form.kind.choices = choices([("", "（请选择）")] + [(k, k) for k in attachment_kinds()])
    return form


def _render_show(product: Product, upload_form: AttachmentForm, status: int = 200):
    return (
        render_template(
            "products/show.html",
            product=product,
            upload_form=upload_form,
            upload_limit=_upload_limit(),
            **reads.product_page(current_user, product),
        ),
        status,
    )


@bp.route("/products/<int:product_id>")
@roles(Role.MANUFACTURER)
def show(product_id):
    product = found(get_own_product, product_id)
    form = _attachment_form()
    if request.args.get("kind") in attachment_kinds():
        form.kind.data = request.args["kind"]
    return _render_show(product, form)


@bp.route("/products/<int:product_id>/attachments", methods=["POST"])
@roles(Role.MANUFACTURER)
def upload(product_id):
    product = found(get_own_product, product_id)
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
    product, attachment = found(reads.own_attachment, product_id, attachment_id)
    perform(retire_attachment, current_user, attachment)
    flash(f"已移除附件：{attachment.original_name}（已提交的申报轮次仍保留该文件）", "success")
    return redirect(url_for("products.show", product_id=product.id))


@bp.route("/attachments/<int:attachment_id>")
@public
def attachment(attachment_id):
    """Download (or, with ?inline=1, view) a PDF: 404 for anyone not allowed, so existence is not revealed."""
    item = found(reads.downloadable, attachment_id)
    if not is_stored(item):
        log.error("attachment %s: bytes of %s missing from the database and the folder", item.id, item.stored_name)
        abort(404)
    return send_attachment(item, inline=request.args.get("inline") == "1")
