"""Pages of the web import: upload → preview (nothing written) → confirm (with progress) → done."""

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import Length, Optional

from portal.accounts.models import Role
from portal.core.access import roles
from portal.core.forms import PortalForm, choices
from portal.core.unit import run, submit
from portal.core.web import found
from portal.imports import services, staging

bp = Blueprint("imports", __name__)
IMPORTERS = {Role.ADMIN, Role.REVIEWER}
ACCESS = {
    "imports.new": IMPORTERS,
    "imports.preview": IMPORTERS,
    "imports.confirm": IMPORTERS,
    "imports.progress": IMPORTERS,
}


class UploadForm(PortalForm):
    kind = SelectField("导入内容")
    file = FileField("文件（.xlsx 或 .csv）")
    catalogue = SelectField("目录", validate_choice=False)
    batch = StringField("批次名称", validators=[Optional(), Length(max=64)])
    published_on = DateField("发布日期（新批次，默认今天）", validators=[Optional()])
    assess = BooleanField("为范围内公立医疗机构生成入院评估任务")


class ConfirmForm(PortalForm):
    pass


def _staged(token):
    return found(staging.load, token)


@bp.route("/imports/new", methods=["GET", "POST"])
@roles(*IMPORTERS)
def new():
    form = UploadForm()
    form.kind.choices = choices(services.kinds_for(current_user).items())
    form.catalogue.choices = choices((c.code, c.name) for c in services.catalogues_for(current_user))
    if form.validate_on_submit():
        options = {
            "catalogue_code": form.catalogue.data,
            "batch_name": form.batch.data,
            "published_on": form.published_on.data,
            "assess": form.assess.data,
        }
        started = submit(form, services.start, current_user, form.kind.data, form.file.data, **options)
        if started.status == 403:  # a kind of import the user may not run: refused, not a form error
            abort(403)
        if started.ok:
            return redirect(url_for("imports.preview", token=started.value.token))
    return render_template("imports/new.html", form=form)


@bp.route("/imports/<token>")
@roles(*IMPORTERS)
def preview(token):
    staged = _staged(token)
    return _render_preview(staged, services.preview(current_user, staged))


def _render_preview(staged, result, status=200):
    return (
        render_template(
            "imports/preview.html", staged=staged, result=result, form=ConfirmForm(), kind=services.KINDS[staged.kind]
        ),
        status,
    )


@bp.route("/imports/<token>/confirm", methods=["POST"])
@roles(*IMPORTERS)
def confirm(token):
    staged = _staged(token)
    if not ConfirmForm().validate_on_submit():
        return _render_preview(staged, services.preview(current_user, staged), 400)
    outcome = run(services.confirm, current_user, staged)
    if not outcome.ok:
        # The database changed since the preview (e.g. another import): show the file's errors as they are now.
        return _render_preview(staged, services.preview(current_user, staged), 409)
    summary = outcome.value
    staging.discard(staged)
    flash(summary, "success")
    return redirect(url_for("imports.new"))


@bp.route("/imports/<token>/progress")
@roles(*IMPORTERS)
def progress(token):
    return jsonify(staging.progress(_staged(token)))
