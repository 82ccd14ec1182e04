"""Adoption pages: the hospital's 配备 and 使用情况, the company's per-hospital list, the public figures; the
supervisors' dashboard routes live in `dashboard_views` on the same blueprint."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.adoption import dashboard_views, figures, rollup, services  # noqa: F401  (rollup: its listeners)
from portal.adoption.blueprint import bp, page_number, per_page, xlsx
from portal.adoption.forms import EquipForm, MonthForm, UsageForm
from portal.adoption.months import month_of, month_or_none, parse_month
from portal.adoption.tables import PRODUCT_HEADERS, product_rows
from portal.assessments.services import get_assessment
from portal.core import timeutil
from portal.core.access import PUBLIC, public, roles
from portal.core.paging import paginate_rows
from portal.core.unit import run, submit
from portal.core.web import found

HOSPITAL = {Role.HOSPITAL}
ACCESS = {
    "adoption.assessment": HOSPITAL,
    "adoption.equip": HOSPITAL,
    "adoption.usage": HOSPITAL,
    "adoption.bulk_usage": HOSPITAL,
    "adoption.product": {Role.MANUFACTURER},
    "adoption.product_export": {Role.MANUFACTURER},
    "adoption.figures": PUBLIC,
    **dashboard_views.ACCESS,
}


# Hospital: one admitted product -------------------------------------------------------------------------------


def _render(assessment, equip_form=None, usage_form=None, status=200):
    equipping = services.equipping_of(assessment)
    if equip_form is None:
        equip_form = EquipForm(formdata=None, obj=equipping)
        if equipping is not None:
            equip_form.route.data = equipping.route.value
    if usage_form is None:
        usage_form = UsageForm(formdata=None, month=month_of(timeutil.today_shanghai()))
    page = render_template(
        "adoption/assessment.html",
        assessment=assessment,
        entry=assessment.entry,
        admitted=services.is_admitted(assessment),
        equipping=equipping,
        reports=services.usage_of(assessment),
        equip_form=equip_form,
        usage_form=usage_form,
    )
    return page, status


@bp.route("/adoption/assessments/<int:assessment_id>")
@roles(Role.HOSPITAL)
def assessment(assessment_id):
    return _render(found(get_assessment, assessment_id))


@bp.route("/adoption/assessments/<int:assessment_id>/equipped", methods=["POST"])
@roles(Role.HOSPITAL)
def equip(assessment_id):
    item = found(get_assessment, assessment_id)
    form = EquipForm()
    if form.validate_on_submit():
        outcome = submit(
            form, services.record_equipped, current_user, item, form.equipped_on.data, form.route.data, form.note.data
        )
        if outcome.ok:
            flash(f"已登记配备：{form.equipped_on.data:%Y-%m-%d}。", "success")
            return redirect(url_for("adoption.assessment", assessment_id=item.id))
    return _render(item, equip_form=form, status=400)


@bp.route("/adoption/assessments/<int:assessment_id>/usage", methods=["POST"])
@roles(Role.HOSPITAL)
def usage(assessment_id):
    item = found(get_assessment, assessment_id)
    form = UsageForm()
    if form.validate_on_submit():
        outcome = submit(form, services.report_usage, current_user, item, form.month.data, form.uses.data)
        if outcome.ok:
            flash(f"已填报 {outcome.value.month} 使用 {outcome.value.uses} 例。", "success")
            return redirect(url_for("adoption.assessment", assessment_id=item.id))
    return _render(item, usage_form=form, status=400)


# Hospital: many products at once ------------------------------------------------------------------------------


@bp.route("/adoption/usage", methods=["GET", "POST"])
@roles(Role.HOSPITAL)
def bulk_usage():
    form = MonthForm(month=request.args.get("month") or month_of(timeutil.today_shanghai()))
    rows = services.reportable(current_user)
    status = 200
    if form.validate_on_submit():
        values = {a: request.form.get(f"uses_{a.id}", "") for a, equipping in rows if equipping is not None}
        outcome = run(services.bulk_report, current_user, form.month.data, values)
        if not outcome.ok:  # shown beside the month: the rows' inputs are not fields of the form
            form.month.errors = [*form.month.errors, outcome.error.message]
            status = 400
        else:
            flash(f"已填报 {parse_month(form.month.data)} 的使用情况：{outcome.value} 个产品。", "success")
            return redirect(url_for("adoption.bulk_usage", month=parse_month(form.month.data)))
    elif request.method == "POST":
        status = 400
    month = month_or_none(form.month.data)
    current = {}
    if month:
        ids = [a.id for a, _ in rows]
        current = {aid: dict(months).get(month) for aid, months in figures.usage_by_month(ids).items()}
    return render_template("adoption/bulk_usage.html", form=form, rows=rows, current=current, month=month), status


# Company: per-hospital adoption of a listed product -----------------------------------------------------------


@bp.route("/adoption/entries/<int:entry_id>")
@roles(Role.MANUFACTURER)
def product(entry_id):
    entry = found(figures.company_entry, entry_id)
    scope = figures.Scope(entry_id=entry.id)
    page = paginate_rows(figures.assessment_rows(scope), page_number(), per_page())
    return render_template(
        "adoption/product.html",
        entry=entry,
        totals=(figures.entry_counts(scope) or [None])[0],
        page=page,
        months=figures.usage_by_month([row[0].id for row in page.items]),
    )


@bp.route("/adoption/entries/<int:entry_id>/export.xlsx")
@roles(Role.MANUFACTURER)
def product_export(entry_id):
    entry = found(figures.company_entry, entry_id)
    rows = figures.export_rows(figures.Scope(entry_id=entry.id))
    months = figures.usage_by_month([row[0].id for row in rows])
    name = f"入院应用情况-{entry.product_name}-{timeutil.today_shanghai():%Y%m%d}"
    return xlsx([("各医疗机构", PRODUCT_HEADERS, product_rows(rows, months))], name)


# Public: headline figures -------------------------------------------------------------------------------------


@bp.route("/figures", endpoint="figures")
@public
def figures_page():
    choices = dashboard_views.selection_choices()
    catalogue, batch = dashboard_views.selection()
    scope = figures.Scope(catalogue_id=catalogue.id if catalogue else None, batch_id=batch.id if batch else None)
    hospital_rows = figures.hospital_counts(scope)
    districts = sorted(figures.by_district(hospital_rows), key=lambda r: r["district"])
    return render_template(
        "adoption/figures.html",
        choices=choices,
        catalogue=catalogue,
        batch=batch,
        reach=figures.reach(scope, hospital_rows),
        totals=figures.totals(districts),
        districts=districts,
        district_data=dashboard_views.district_chart(districts, public=True),
    )
