"""The supervisors' dashboard (监管部门; administrators see it too): per catalogue and batch, the funnel, the
30-day compliance by district and hospital, monthly trends, the overdue list with 催办, drill-downs and XLSX
exports. Read-only except for 催办. Charts get their numbers from data-* attributes (the CSP allows no inline
script), and every chart has its table beside it."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.adoption import figures, supervision, tables
from portal.adoption.blueprint import bp, page_number, per_page, xlsx
from portal.adoption.forms import ConfirmForm
from portal.adoption.months import recent_months
from portal.adoption.permissions import scope_district
from portal.catalogue.models import Batch, Catalogue
from portal.catalogue.services import get_entry
from portal.core import timeutil
from portal.core.access import roles, safe_next
from portal.core.paging import paginate_rows
from portal.core.unit import run
from portal.core.web import found

WATCHERS = {Role.SUPERVISOR, Role.ADMIN}
ACCESS = {
    "adoption.dashboard": WATCHERS,
    "adoption.dashboard_export": WATCHERS,
    "adoption.hospital": WATCHERS,
    "adoption.hospital_export": WATCHERS,
    "adoption.entry": WATCHERS,
    "adoption.entry_export": WATCHERS,
    "adoption.chase": {Role.SUPERVISOR},
}
TREND_MONTHS = 12


def selection() -> tuple[Catalogue | None, Batch | None]:
    """?catalogue=CODE&batch=ID; unknown values select everything rather than failing the page."""
    return supervision.selected((request.args.get("catalogue") or "").strip(), request.args.get("batch", ""))


def selection_choices():
    return supervision.catalogue_choices()


def _selection_args(catalogue, batch) -> dict:
    return {
        k: v
        for k, v in (("catalogue", catalogue.code if catalogue else None), ("batch", batch.id if batch else None))
        if v
    }


def _scope(**extra) -> tuple:
    catalogue, batch = selection()
    scope = found(supervision.scope_for, catalogue.id if catalogue else None, batch.id if batch else None, **extra)
    return scope, catalogue, batch


def funnel_chart(totals: dict) -> dict:
    return {
        "kind": "funnel",
        "title": "应配尽配漏斗",
        "labels": [label for _, label in tables.FUNNEL],
        "series": [{"name": "数量", "values": [totals[key] for key, _ in tables.FUNNEL]}],
    }


def district_chart(rows: list[dict], *, public: bool = False) -> dict:
    series = [
        {"name": "同意配备", "values": [r["admitted"] for r in rows]},
        {"name": "已配备", "values": [r["equipped"] for r in rows]},
        {"name": "已使用", "values": [r["in_use"] for r in rows]},
    ]
    if not public:
        rates = [round(100 * r["on_time_rate"], 1) if r["on_time_rate"] is not None else None for r in rows]
        series = [{"name": "按时完成率（%）", "values": rates}]
    return {
        "kind": "bar",
        "title": "各区" + ("入院应用" if public else "按时完成率"),
        "labels": [r["district"] for r in rows],
        "series": series,
    }


def trend_chart(rows: list[dict]) -> dict:
    return {
        "kind": "line",
        "title": "月度趋势",
        "labels": [r["month"] for r in rows],
        "series": [
            {"name": "作出决定", "values": [r["decisions"] for r in rows]},
            {"name": "使用例数", "values": [r["uses"] for r in rows]},
        ],
    }


@bp.route("/supervision")
@roles(Role.SUPERVISOR, Role.ADMIN)
def dashboard():
    scope, catalogue, batch = _scope()
    now = timeutil.utcnow()
    hospital_rows = figures.hospital_counts(scope, now)
    districts = figures.by_district(hospital_rows)
    totals = figures.totals(districts)
    trend = figures.trends(scope, recent_months(timeutil.today_shanghai(now), TREND_MONTHS))
    return render_template(
        "adoption/dashboard.html",
        choices=selection_choices(),
        catalogue=catalogue,
        batch=batch,
        args=_selection_args(catalogue, batch),
        district=scope_district(current_user),
        totals=totals,
        reach=figures.reach(scope, hospital_rows),
        districts=districts,
        hospitals=figures.ranked(hospital_rows, page_number(), per_page()),
        trend=trend,
        overdue=figures.overdue_page(scope, totals["overdue"], page_number("opage"), per_page(), now),
        charts={"funnel": funnel_chart(totals), "district": district_chart(districts), "trend": trend_chart(trend)},
        chase_form=ConfirmForm(formdata=None),
        can_chase=current_user.role is Role.SUPERVISOR,
        funnel=tables.FUNNEL,
        now=now,
    )


@bp.route("/supervision/export.xlsx")
@roles(Role.SUPERVISOR, Role.ADMIN)
def dashboard_export():
    scope, catalogue, batch = _scope()
    now = timeutil.utcnow()
    hospital_rows = figures.hospital_counts(scope, now)
    districts = figures.by_district(hospital_rows)
    hospitals = figures.ranked(hospital_rows, 1, len(hospital_rows) or 1).items
    trend = figures.trends(scope, recent_months(timeutil.today_shanghai(now), TREND_MONTHS))
    overdue = figures.overdue_rows(scope, now)
    label = "-".join(
        part for part in (catalogue.name if catalogue else "全部目录", batch.name if batch else "") if part
    )
    return xlsx(
        [
            ("漏斗", ("环节", "数量"), tables.funnel_rows(figures.totals(districts))),
            ("各区", tables.DISTRICT_HEADERS, tables.district_rows(districts)),
            ("各医疗机构", tables.HOSPITAL_HEADERS, tables.hospital_rows(hospitals)),
            ("各产品", tables.ENTRY_HEADERS, tables.entry_rows(figures.entry_counts(scope, now))),
            ("月度趋势", tables.TREND_HEADERS, tables.trend_rows(trend)),
            ("逾期清单", tables.OVERDUE_HEADERS, tables.overdue_rows(overdue, now)),
        ],
        f"应配尽配监管-{label}-{timeutil.today_shanghai(now):%Y%m%d}",
    )


@bp.route("/supervision/hospitals/<int:hospital_id>")
@roles(Role.SUPERVISOR, Role.ADMIN)
def hospital(hospital_id):
    item = found(supervision.get_hospital, hospital_id)
    scope, catalogue, batch = _scope(hospital_id=item.id)
    subtitle = f"{item.district} · {item.level.label}"
    export = url_for("adoption.hospital_export", hospital_id=item.id, **_selection_args(catalogue, batch))
    return _drill(scope, catalogue, batch, item.name, subtitle, export, show_hospital=False)


@bp.route("/supervision/hospitals/<int:hospital_id>/export.xlsx")
@roles(Role.SUPERVISOR, Role.ADMIN)
def hospital_export(hospital_id):
    item = found(supervision.get_hospital, hospital_id)
    scope, _catalogue, _batch = _scope(hospital_id=item.id)
    return _rows_export(scope, f"入院应用情况-{item.name}")


@bp.route("/supervision/entries/<int:entry_id>")
@roles(Role.SUPERVISOR, Role.ADMIN)
def entry(entry_id):
    item = found(get_entry, entry_id)
    scope, catalogue, batch = _scope(entry_id=item.id)
    subtitle = f"{item.manufacturer} · {item.registration_no} · {item.catalogue.name}{item.batch.name}"
    export = url_for("adoption.entry_export", entry_id=item.id, **_selection_args(catalogue, batch))
    return _drill(scope, catalogue, batch, item.product_name, subtitle, export, show_hospital=True)


@bp.route("/supervision/entries/<int:entry_id>/export.xlsx")
@roles(Role.SUPERVISOR, Role.ADMIN)
def entry_export(entry_id):
    item = found(get_entry, entry_id)
    scope, _catalogue, _batch = _scope(entry_id=item.id)
    return _rows_export(scope, f"入院应用情况-{item.product_name}")


def _drill(scope, catalogue, batch, title: str, subtitle: str, export_url: str, *, show_hospital: bool):
    """One hospital's or one product's assessments in the selection, a page at a time, with their use."""
    page = paginate_rows(figures.assessment_rows(scope), page_number(), per_page())
    return render_template(
        "adoption/drill.html",
        title=title,
        subtitle=subtitle,
        totals=figures.totals(figures.by_district(figures.hospital_counts(scope))),
        page=page,
        months=figures.usage_by_month([row[0].id for row in page.items]),
        export_url=export_url,
        args=_selection_args(catalogue, batch),
        show_hospital=show_hospital,
    )


def _rows_export(scope, name):
    rows = figures.export_rows(scope)
    months = figures.usage_by_month([row[0].id for row in rows])
    body = [
        (
            "明细",
            ("产品名称", *tables.PRODUCT_HEADERS),
            [[r[2].product_name, *p] for r, p in zip(rows, tables.product_rows(rows, months), strict=True)],
        )
    ]
    return xlsx(body, f"{name}-{timeutil.today_shanghai():%Y%m%d}")


@bp.route("/supervision/assessments/<int:assessment_id>/chase", methods=["POST"])
@roles(Role.SUPERVISOR)
def chase(assessment_id):
    assessment = found(supervision.get_chaseable, assessment_id)
    if not ConfirmForm().validate_on_submit():
        flash("表单已过期，请刷新页面后重试。", "error")
    else:
        outcome = run(supervision.chase, current_user, assessment)
        if not outcome.ok:
            flash(outcome.error.message, "error")
        else:
            flash(
                f"已催办：{assessment.hospital.name}「{assessment.entry.product_name}」，医院用户已收到通知。",
                "success",
            )
    return redirect(safe_next(request.form.get("next"), url_for("adoption.dashboard")))
