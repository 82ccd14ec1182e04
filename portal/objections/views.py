"""The public objection form (公示期异议, no login); reviewers resolve objections on the batch page."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from portal.catalogue.batches import get_noticed_batch, notice_running
from portal.core.access import PUBLIC, public
from portal.core.forms import choices
from portal.core.unit import submit
from portal.core.web import found
from portal.objections import forms, services

bp = Blueprint("objections", __name__)

ACCESS = {"objections.objection_new": PUBLIC}


def _objection_form(batch):
    form = forms.ObjectionForm()
    form.application_id.choices = choices(
        [("", "（请选择）")]
        + [(str(a.id), f"{a.product.name}（{a.company.name}）") for a in services.recommended_applications(batch)]
    )
    return form


@bp.route("/notices/<int:batch_id>/objection", methods=["GET", "POST"])
@public
def objection_new(batch_id):
    batch = found(get_noticed_batch, batch_id)
    form = _objection_form(batch)
    if request.method == "GET" and request.args.get("application_id"):
        form.application_id.data = request.args["application_id"]
    running = notice_running(batch)
    status = 200
    if request.method == "POST":
        if not running:
            form.form_errors.append(f"{batch.name}当前不在公示期内，不受理异议。")
            status = 409
        elif form.validate_on_submit():
            outcome = submit(
                form,
                services.file_objection,
                batch,
                application_id=form.application_id.data,
                name=form.name.data,
                phone=form.phone.data,
                organisation=form.organisation.data,
                reason=form.reason.data,
                ip=request.remote_addr,
                evidence=form.evidence.data,
            )
            if outcome.ok:
                flash("您的异议已提交。审核人员将在公示期结束前核实处理，必要时通过您留下的电话联系您。", "success")
                return redirect(url_for("publishing.notice", batch_id=batch.id))
            status = outcome.status  # 429 when the same network files too often
        else:
            status = 400
    return render_template("objections/objection_form.html", batch=batch, form=form, running=running), status
