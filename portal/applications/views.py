"""The company's applications: list, apply a product to an open batch, draft, submit, resubmit, withdraw."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.applications.forms import ApplicationForm, WithdrawForm
from portal.applications.models import Application
from portal.applications.permissions import (
    can_edit_application,
    can_submit_application,
    can_withdraw_application,
    is_applicant,
)
from portal.applications.progress import progress
from portal.applications.services import (
    NotEligible,
    batch_to_apply,
    company_applications,
    create_application,
    eligibility_failures,
    get_application,
    missing_attachments,
    next_action,
    return_comment,
    save_application,
    snapshot_rows,
    withdraw_application,
)
from portal.audit.services import history
from portal.core.access import roles
from portal.core.forms import attach_error
from portal.core.persistence import parse_version
from portal.core.unit import run, submit
from portal.core.web import found, paginate
from portal.products.services import get_own_product
from portal.workflow import ApplicationState

bp = Blueprint("applications", __name__)
bp.add_app_template_global(snapshot_rows, "snapshot_rows")  # the review pages show submissions too

COMPANY = {Role.MANUFACTURER}

ACCESS = {
    "applications.index": COMPANY,
    "applications.create": COMPANY,
    "applications.show": {Role.MANUFACTURER, Role.REVIEWER, Role.ADMIN},
    "applications.withdraw": COMPANY,
}


@bp.app_context_processor
def _helpers():
    return {"application_progress": progress}


def _own_product(product_id: int):
    return found(get_own_product, product_id)


def _visible_application(application_id: int) -> Application:
    """An application the user may see; anything else is a plain 404, also on POST."""
    return found(get_application, application_id)


@bp.route("/applications")
@roles(Role.MANUFACTURER)
def index():
    state = request.args.get("state", "")
    page = paginate(company_applications(current_user, state))
    return render_template(
        "applications/index.html", page=page, state=state, states=ApplicationState, next_action=next_action
    )


@bp.route("/products/<int:product_id>/apply/<int:batch_id>", methods=["POST"])
@roles(Role.MANUFACTURER)
def create(product_id, batch_id):
    """Apply an existing product to an open batch: nothing is typed twice."""
    product = _own_product(product_id)
    batch = found(batch_to_apply, batch_id)
    created = run(create_application, current_user, product, batch)
    if not created.ok:
        flash(created.error.message, "error")
        return redirect(url_for("products.show", product_id=product.id))
    application = created.value
    flash(f"已创建「{batch.catalogue.name}」{batch.name}的申报草稿，请填写申报说明后提交。", "success")
    return redirect(url_for("applications.show", application_id=application.id))


def _render(application, form, withdraw_form, failures=None, status=200):
    return (
        render_template(
            "applications/show.html",
            application=application,
            form=form,
            withdraw_form=withdraw_form,
            failures=failures,
            checklist=eligibility_failures(application) if can_edit_application(current_user, application) else [],
            missing=missing_attachments(application) if can_edit_application(current_user, application) else [],
            can_edit=can_edit_application(current_user, application),
            can_submit=can_submit_application(current_user, application),
            can_withdraw=can_withdraw_application(current_user, application),
            is_applicant=is_applicant(current_user, application),
            events=history(application),
            returned_comment=return_comment(application),
        ),
        status,
    )


def _forms(application):
    form = ApplicationForm(obj=application if request.method == "GET" else None)
    withdraw_form = WithdrawForm(formdata=None)
    if request.method == "GET":
        form.version_id.data = application.version_id
    withdraw_form.version_id.data = application.version_id
    return form, withdraw_form


@bp.route("/applications/<int:application_id>", methods=["GET", "POST"])
@roles(Role.MANUFACTURER, Role.REVIEWER, Role.ADMIN)
def show(application_id):
    application = _visible_application(application_id)
    form, withdraw_form = _forms(application)
    if request.method == "GET" or not form.validate_on_submit():
        return _render(application, form, withdraw_form)
    if not is_applicant(current_user, application):
        abort(404)
    submitting = request.form.get("action") == "submit"
    version = parse_version(form.version_id.data)
    saved = run(save_application, current_user, application, form.statement.data, version, submit=submitting)
    if not saved.ok:
        if isinstance(saved.error, NotEligible):
            return _render(application, form, withdraw_form, saved.error.failures)  # each on its own line
        attach_error(form, saved.error)
        return _render(application, form, withdraw_form)
    submission = saved.value
    if submitting:
        flash(f"已提交（第 {submission.round} 轮），请等待审核。", "success")
    else:
        flash("草稿已保存。", "success")
    return redirect(url_for("applications.show", application_id=application.id))


@bp.route("/applications/<int:application_id>/withdraw", methods=["POST"])
@roles(Role.MANUFACTURER)
def withdraw(application_id):
    application = _visible_application(application_id)
    withdraw_form = WithdrawForm()
    form = ApplicationForm(formdata=None, obj=application)
    form.version_id.data = application.version_id
    reason, version = withdraw_form.reason.data, parse_version(withdraw_form.version_id.data)
    if not submit(withdraw_form, withdraw_application, current_user, application, reason, version).ok:
        return _render(application, form, withdraw_form)
    flash("申报已撤回。", "success")
    return redirect(url_for("applications.show", application_id=application.id))
