"""Hospital assessment pages (queue, assessment, calendar feed) and reviewers' compliance pages."""

from dataclasses import astuple

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from portal.accounts.models import Role
from portal.assessments import calendar, compliance, exports, reads, services
from portal.assessments.forms import BulkForm, DecisionForm, EventForm
from portal.assessments.models import Assessment, EventKind
from portal.assessments.permissions import can_decide
from portal.assessments.queue import QueueRow, queue_page
from portal.catalogue.models import Batch
from portal.catalogue.services import public_attachments
from portal.core import links, spreadsheet, timeutil
from portal.core.access import PUBLIC, public, roles
from portal.core.errors import NotFound
from portal.core.forms import ConfirmForm
from portal.core.fragments import FragmentMemo
from portal.core.inputs import parse_int
from portal.core.reference import DEPARTMENTS, KEY_AREAS
from portal.core.unit import perform, submit
from portal.core.web import found
from portal.extensions import db

bp = Blueprint("assessments", __name__)

HOSPITAL = {Role.HOSPITAL}
COMPLIANCE = {Role.REVIEWER, Role.ADMIN}
OVERDUE_SHOWN = 200  # the page lists this many overdue items; the export has them all
ACCESS = {
    "assessments.queue": HOSPITAL,
    "assessments.bulk": HOSPITAL,
    "assessments.export": HOSPITAL,
    "assessments.show": HOSPITAL,
    "assessments.add_event": HOSPITAL,
    "assessments.decide": HOSPITAL,
    "assessments.calendar_settings": HOSPITAL,
    "assessments.calendar_feed": PUBLIC,
    "assessments.compliance_index": COMPLIANCE,
    "assessments.compliance_batch": COMPLIANCE,
    "assessments.compliance_hospital": COMPLIANCE,
    "assessments.compliance_export": COMPLIANCE,
}


def _page(query, per_page=None):
    return db.paginate(
        query, per_page=per_page or current_app.config["PORTAL_PAGE_SIZE"], max_per_page=200, error_out=False
    )


# The queue --------------------------------------------------------------------------------------------------

# A row's HTML is a function of the values it shows and its check box (badge and overdue follow from them).
QUEUE_ROWS = FragmentMemo("assessments/_queue_row.html", size=4096)


def _queue_row(row: QueueRow, checked: bool) -> Markup:
    return QUEUE_ROWS((tuple(row.item), row.days_left, row.overdue, checked), lambda: {"row": row, "checked": checked})


# The filter form shows the filters and the hospital's batches; the lists it offers are constants.
QUEUE_FILTER_FORMS = FragmentMemo("assessments/_queue_filters.html", size=1024)
_FILTER_CHOICES = {
    "key_areas": KEY_AREAS,
    "departments": DEPARTMENTS,
    "state_filters": services.STATE_FILTERS,
    "sorts": services.SORTS,
}


def _filter_form(filters: services.QueueFilters, updates) -> Markup:
    batches = tuple((batch.id, batch.catalogue.name, batch.name) for batch, _ in updates)
    return QUEUE_FILTER_FORMS(
        (astuple(filters), batches), lambda: {"filters": filters, "batches": batches, **_FILTER_CHOICES}
    )


# The page's content: the same for this user and these arguments until the next write or the next day.
QUEUE_BODIES = FragmentMemo("assessments/_queue_body.html", size=64)  # up to 200 rows, ~160 KB each


def _render_queue(bulk_form: BulkForm | None = None, selected=(), status: int = 200):
    if bulk_form is None:
        key = (current_user.id, tuple(request.args.items(multi=True)))
        body = QUEUE_BODIES.for_data(key, _queue_context)
    else:  # a refused bulk action: its errors and ticked rows are this request's own
        body = QUEUE_BODIES.render(_queue_context(bulk_form, selected))
    return render_template("assessments/queue.html", body=body), status


def _queue_context(bulk_form: BulkForm | None = None, selected=()) -> dict:
    filters = services.parse_filters(request.args)
    updates = compliance.hospital_updates(current_user.hospital_id, open_only=False)
    per_page = parse_int(request.args.get("per_page"), high=200) or current_app.config["PORTAL_PAGE_SIZE"]
    page_number = parse_int(request.args.get("page"), high=100_000) or 1
    return {
        "page": queue_page(current_user, filters, page_number, per_page, updates=updates),
        "filters": filters,
        "queue_args": services.queue_args(request.args),
        "updates": updates,
        "filter_form": _filter_form(filters, updates),
        "bulk_form": bulk_form or BulkForm(formdata=None),
        "selected": {int(i) for i in selected},
        "queue_row": _queue_row,
        "now": timeutil.utcnow(),
    }


@bp.route("/assessments")
@roles(Role.HOSPITAL)
def queue():
    return _render_queue()


@bp.route("/assessments/bulk", methods=["POST"])
@roles(Role.HOSPITAL)
def bulk():
    form = BulkForm()
    ids = [i for i in map(parse_int, request.form.getlist("ids")) if i is not None]
    if form.validate_on_submit():
        items = found(reads.own_assessments, ids)
        outcome = submit(form, services.bulk_not_applicable, current_user, items, form.reason.data)
        if isinstance(outcome.error, NotFound):
            abort(404)
        if outcome.ok:
            flash(f"已将 {outcome.value} 项标记为「不适用」。", "success")
            return redirect(url_for("assessments.queue", **services.queue_args(request.args)))
    return _render_queue(form, ids, 400)


@bp.route("/assessments/export.xlsx", defaults={"fmt": "xlsx"})
@bp.route("/assessments/export.csv", defaults={"fmt": "csv"})
@roles(Role.HOSPITAL)
def export(fmt):
    """The hospital's own queue with the current filters (never another hospital's rows)."""
    filters = services.parse_filters(request.args)
    items = reads.queue_items(current_user, filters)
    name = f"入院评估-{current_user.hospital.name}-{timeutil.today_shanghai():%Y%m%d}"
    return spreadsheet.respond(fmt, name, [exports.item_sheet(items)])


# One assessment ---------------------------------------------------------------------------------------------


def _own(assessment_id) -> Assessment:
    """The user's own assessment; anything else is a plain 404 (also on POST, where DomainErrors redirect)."""
    return found(services.get_assessment, assessment_id)


def _render_show(assessment, event_form=None, decision_form=None, status=200):
    if event_form is None:
        event_form = EventForm(formdata=None, occurred_on=timeutil.today_shanghai())
        event_form.committee.data = services.default_committee(assessment)
    if decision_form is None:
        decision_form = DecisionForm(
            formdata=None,
            outcome=assessment.outcome.value if assessment.outcome else None,
            reason=assessment.reason or "",
        )
    event_form.version.data = assessment.version_id
    decision_form.version.data = decision_form.version.data or assessment.version_id
    from portal.audit.services import history

    return (
        render_template(
            "assessments/show.html",
            assessment=assessment,
            row=QueueRow.of(assessment, timeutil.utcnow()),
            entry=assessment.entry,
            attachments=public_attachments(assessment.entry.product),
            events=assessment.events,
            history=history(assessment),
            event_form=event_form,
            decision_form=decision_form,
            can_decide=can_decide(current_user, assessment),
            EventKind=EventKind,
        ),
        status,
    )


@bp.route("/assessments/<int:assessment_id>")
@roles(Role.HOSPITAL)
def show(assessment_id):
    assessment = _own(assessment_id)
    return _render_show(assessment)[0]


@bp.route("/assessments/<int:assessment_id>/events", methods=["POST"])
@roles(Role.HOSPITAL)
def add_event(assessment_id):
    assessment = _own(assessment_id)
    form = EventForm()
    if form.validate_on_submit():
        added = submit(
            form,
            services.add_event,
            current_user,
            assessment,
            form.kind.data,
            form.occurred_on.data,
            form.note.data,
            committee=form.committee.data,
            version=form.version.data,
        )
        if added.ok:
            flash("已添加评估记录。", "success")
            return redirect(url_for("assessments.show", assessment_id=assessment.id))
    return _render_show(_own(assessment_id), event_form=form, status=400)


@bp.route("/assessments/<int:assessment_id>/decision", methods=["POST"])
@roles(Role.HOSPITAL)
def decide(assessment_id):
    assessment = _own(assessment_id)
    form = DecisionForm()
    if form.validate_on_submit():
        decided = submit(
            form, services.decide, current_user, assessment, form.outcome.data, form.reason.data, form.version.data
        )
        if decided.ok:
            late = "（已超过截止日期，记为逾期完成）" if assessment.is_late else ""
            flash(f"已记录评估结论：{assessment.outcome.label}{late}。", "success")
            return redirect(url_for("assessments.show", assessment_id=assessment.id))
    return _render_show(_own(assessment_id), decision_form=form, status=400)


# Calendar feed ----------------------------------------------------------------------------------------------


@bp.route("/assessments/calendar", methods=["GET", "POST"])
@roles(Role.HOSPITAL)
def calendar_settings():
    form = ConfirmForm()
    feed_url, replaced = None, False
    if form.validate_on_submit():
        replaced = current_user.hospital.calendar_token_hash is not None  # only then did an old address stop
        token = perform(calendar.regenerate_calendar_token, current_user)
        feed_url = url_for("assessments.calendar_feed", token=token, _external=True)
    return render_template(
        "assessments/calendar.html",
        form=form,
        feed_url=feed_url,
        replaced=replaced,
        has_token=current_user.hospital.calendar_token_hash is not None,
    )


@bp.route("/calendar/<token>.ics")
@public
def calendar_feed(token):
    hospital = calendar.hospital_for_token(token)
    body = calendar.feed(hospital, links.base_url())
    response = Response(body.encode(), mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


# Compliance (reviewers, administrators) ---------------------------------------------------------------------


@bp.route("/compliance")
@roles(Role.REVIEWER, Role.ADMIN)
def compliance_index():
    batches = reads.compliance_batches(current_user)
    return render_template("assessments/compliance_index.html", rows=compliance.totals_by_batch(batches))


def _batch_for_compliance(batch_id) -> Batch:
    return reads.compliance_batch(current_user, batch_id)  # NotFound: the app's error page, as before


@bp.route("/compliance/batches/<int:batch_id>")
@roles(Role.REVIEWER, Role.ADMIN)
def compliance_batch(batch_id):
    batch = _batch_for_compliance(batch_id)
    now = timeutil.utcnow()
    filters = compliance.HospitalFilters.parse(request.args)
    page = compliance.batch_page(
        batch,
        filters,
        request.args.get("page", 1, type=int),
        current_app.config["PORTAL_PAGE_SIZE"],
        overdue_shown=OVERDUE_SHOWN,
        now=now,
    )
    return render_template(
        "assessments/compliance_batch.html",
        batch=batch,
        totals=page.totals,
        hospitals=page.hospitals,
        filters=filters,
        districts=page.districts,
        overdue=page.overdue,
        overdue_count=page.totals.overdue,
        now=now,
    )


@bp.route("/compliance/batches/<int:batch_id>/hospitals/<int:hospital_id>")
@roles(Role.REVIEWER, Role.ADMIN)
def compliance_hospital(batch_id, hospital_id):
    batch = _batch_for_compliance(batch_id)
    hospital = found(reads.compliance_hospital, batch, hospital_id)
    query = services.hospital_items(batch, hospital.id)
    page = _page(query)
    if page.total == 0:
        abort(404)
    return render_template(
        "assessments/compliance_hospital.html",
        batch=batch,
        hospital=hospital,
        page=page,
        badge=services.state_badge,
        now=timeutil.utcnow(),
    )


@bp.route("/compliance/batches/<int:batch_id>/export.xlsx", defaults={"fmt": "xlsx"})
@bp.route("/compliance/batches/<int:batch_id>/export.csv", defaults={"fmt": "csv"})
@roles(Role.REVIEWER, Role.ADMIN)
def compliance_export(batch_id, fmt):
    batch = _batch_for_compliance(batch_id)
    now = timeutil.utcnow()
    hospitals = exports.compliance_sheet(compliance.all_hospitals(batch, now))
    overdue = exports.overdue_sheet(compliance.overdue_items(batch, now), now)
    name = f"入院评估完成情况-{batch.catalogue.name}-{batch.name}-{timeutil.today_shanghai(now):%Y%m%d}"
    if fmt == "csv" and request.args.get("part") == "overdue":
        return spreadsheet.respond(fmt, name + "-逾期清单", [overdue])
    return spreadsheet.respond(fmt, name, [hospitals, overdue])
