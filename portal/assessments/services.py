"""Assessments: recording steps and decisions, the hospital's queue, compliance figures and reminders.

Every function takes its actor explicitly; views, the command line and the API call the same functions. State
changes go through `portal.workflow.transition` (which writes the audit log); the caller commits.
"""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import contains_eager

from portal.assessments import compliance
from portal.assessments.models import Assessment, AssessmentEvent, AssessmentTally, EventKind, Outcome
from portal.assessments.permissions import require_assess
from portal.audit.services import record
from portal.catalogue.models import Batch, Catalogue, Entry
from portal.catalogue.signals import entry_delisted
from portal.core import timeutil
from portal.core.errors import DomainError, IllegalTransition, NotFound
from portal.core.inputs import parse_int
from portal.core.persistence import check_version
from portal.extensions import db
from portal.products.identifiers import normalise
from portal.workflow import ASSESSMENT, AssessmentState, transition

OPEN_STATES = (AssessmentState.PENDING, AssessmentState.IN_REVIEW)
NEEDS_REASON = (Outcome.DECLINED, Outcome.NOT_APPLICABLE)
REASON_MAX = 2000
NOTE_MAX = 2000

# The two committees that review admissions: devices go to the equipment committee, drugs to the pharmacy one.
COMMITTEES = ("医学装备委员会", "药事管理与药物治疗学委员会")
LOGGABLE_EVENTS = (EventKind.DEPARTMENT_REQUEST, EventKind.COMMITTEE_REVIEW, EventKind.NOTE)


def default_committee(assessment) -> str:
    return COMMITTEES[1] if assessment.entry.product_type == "drug" else COMMITTEES[0]


# Loading ----------------------------------------------------------------------------------------------------


def get_assessment(actor, assessment_id) -> Assessment:
    """The actor's own assessment, or NotFound (also for another hospital's)."""
    assessment = db.session.get(Assessment, assessment_id) if assessment_id is not None else None
    require_assess(actor, assessment)
    return assessment


# Actions ----------------------------------------------------------------------------------------------------


def start_assessment(actor, assessment, *, comment: str | None = None) -> Assessment:
    """pending → in_review without a dated step (matchmaking: the hospital agreed to a product's trial)."""
    require_assess(actor, assessment)
    transition(ASSESSMENT, assessment, "start", actor, comment=comment)
    return assessment


def add_event(
    actor,
    assessment,
    kind,
    occurred_on: date | None,
    note: str = "",
    *,
    committee: str | None = None,
    version=None,
    now: datetime | None = None,
) -> AssessmentEvent:
    """Log a dated step (科室申请, 委员会审议) or a note. A step on a pending assessment starts it."""
    require_assess(actor, assessment)
    check_version(assessment, version, required=False)
    try:
        kind = EventKind(kind)
    except ValueError:
        raise DomainError("请选择记录类型。", field="kind") from None
    if kind not in LOGGABLE_EVENTS:
        raise DomainError("决定请通过「作出决定」表单记录。", field="kind")
    if assessment.state is AssessmentState.CLOSED:
        raise IllegalTransition("该产品已调出目录，评估任务已关闭，不能再添加记录。")
    today = timeutil.today_shanghai(now)
    if occurred_on is None:
        raise DomainError("请填写日期。", field="occurred_on")
    if occurred_on > today:
        raise DomainError(f"日期不能晚于今天（{today:%Y-%m-%d}）。", field="occurred_on")
    published_on = assessment.batch.published_on
    if published_on and occurred_on < published_on:
        raise DomainError(f"日期不能早于目录发布日期（{published_on:%Y-%m-%d}）。", field="occurred_on")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(f"说明不能超过 {NOTE_MAX} 字。", field="note")
    if kind is EventKind.NOTE and not note:
        raise DomainError("请填写备注内容。", field="note")
    if kind is EventKind.COMMITTEE_REVIEW:
        committee = committee or default_committee(assessment)
        if committee not in COMMITTEES:
            raise DomainError(f"审议机构应为 {'或'.join(COMMITTEES)}。", field="committee")
        note = f"{committee}审议" + (f"：{note}" if note else "")
    event = AssessmentEvent(
        assessment=assessment, kind=kind, occurred_on=occurred_on, note=note, created_by_id=actor.id
    )
    db.session.add(event)
    if assessment.state is AssessmentState.PENDING and kind is not EventKind.NOTE:
        transition(ASSESSMENT, assessment, "start", actor, comment=f"{kind.label}：{note}" if note else kind.label)
    else:
        db.session.flush()
        record("assessment.event", actor=actor, obj=assessment, comment=note, data={"kind": kind.value})
    return event


def decide(
    actor, assessment, outcome, reason: str | None = None, version=None, *, now: datetime | None = None
) -> Assessment:
    """Record the hospital's decision. After the due date it is accepted and marked late. A changed decision
    replaces the current one; every decision stays in the events and the audit log."""
    require_assess(actor, assessment)
    check_version(assessment, version, required=False)
    try:
        outcome = Outcome(outcome)
    except ValueError:
        raise DomainError("请选择评估结论：同意配备、暂不配备或不适用。", field="outcome") from None
    reason = (reason or "").strip()
    if outcome in NEEDS_REASON and not reason:
        raise DomainError(f"选择「{outcome.label}」时必须填写理由。", field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(f"理由不能超过 {REASON_MAX} 字。", field="reason")
    if (
        assessment.state is AssessmentState.DECIDED
        and assessment.outcome is outcome
        and (assessment.reason or "") == reason
    ):
        return assessment  # the same decision again (a retried API call): nothing changes
    now = now or timeutil.utcnow()
    previous = assessment.outcome
    transition(
        ASSESSMENT,
        assessment,
        "decide",
        actor,
        comment=reason or outcome.label,
        data={"outcome": outcome.value, "previous_outcome": previous.value if previous else None},
    )
    assessment.outcome, assessment.reason = outcome, reason or None
    assessment.decided_at, assessment.decided_by_id = now, actor.id
    assessment.is_late = now > assessment.due_at
    db.session.add(
        AssessmentEvent(
            assessment=assessment,
            kind=EventKind.DECISION,
            occurred_on=timeutil.today_shanghai(now),
            outcome=outcome,
            note=reason or outcome.label,
            created_by_id=actor.id,
            created_at=now,
        )
    )
    return assessment


def bulk_not_applicable(actor, assessments, reason: str, *, now: datetime | None = None) -> int:
    """Mark several open assessments not applicable with one reason; all or nothing."""
    reason = (reason or "").strip()
    if not assessments:
        raise DomainError("请至少勾选一项评估任务。", field="ids")
    if not reason:
        raise DomainError("批量标记「不适用」时必须填写理由。", field="reason")
    for assessment in assessments:
        require_assess(actor, assessment)
        if assessment.state not in OPEN_STATES:
            raise DomainError(
                f"「{assessment.entry.product_name}」当前状态为「{assessment.state.label}」，"
                "批量操作只适用于待评估和评估中的任务；如需修改决定，请在详情页操作。",
                field="ids",
            )
    for assessment in assessments:
        decide(actor, assessment, Outcome.NOT_APPLICABLE, reason, now=now)
    return len(assessments)


@entry_delisted.connect
def _close_delisted(entry, *, actor, reason: str) -> int:
    return close_for_entry(actor, entry, comment=f"产品已调出目录，无需评估：{reason}")


def close_for_entry(actor, entry, *, comment: str = "产品已调出目录") -> int:
    """Close the open assessments of a delisted entry (for the reviewers' delisting); returns how many."""
    open_ones = db.session.scalars(
        sa.select(Assessment).where(Assessment.entry_id == entry.id, Assessment.state.in_(OPEN_STATES))
    ).all()
    for assessment in open_ones:
        transition(ASSESSMENT, assessment, "close", actor, comment=comment)
    return len(open_ones)


# The hospital's queue ---------------------------------------------------------------------------------------


@dataclass
class QueueFilters:
    q: str = ""
    key_area: str = ""
    department: str = ""
    state: str = ""  # a state value, or "open" / "overdue"
    batch_id: int | None = None
    sort: str = "due"  # due | name | batch


SORTS = {"due": "截止日期（逾期优先）", "name": "产品名称", "batch": "批次"}
STATE_FILTERS = [
    ("", "全部状态"),
    ("open", "未完成"),
    ("overdue", "已逾期"),
    *[(s.value, s.label) for s in AssessmentState],
]


def _has_department(department: str):
    """Entry.departments (a JSON list) contains `department`, in the database's own JSON functions."""
    if db.engine.dialect.name == "postgresql":
        return sa.cast(Entry.departments, postgresql.JSONB).contains([department])
    values = sa.func.json_each(Entry.departments).table_valued("value")
    return sa.exists(sa.select(1).select_from(values).where(values.c.value == department))


def state_badge(assessment: Assessment, now: datetime) -> tuple[str, str]:
    """(CSS class, label) of an assessment's state badge: open past its due date shows as overdue, a decided one
    shows its outcome."""
    if assessment.state in OPEN_STATES and assessment.due_at < now:
        return "state-overdue", "已逾期"
    shown = assessment.outcome or assessment.state
    return f"state-{shown.value}", shown.label


def entry_conditions(filters: QueueFilters) -> list:
    """The filters on the assessed entry: its text, key area and departments."""
    conditions = []
    if filters.q:
        text = filters.q.strip()
        compact = normalise(text)
        conditions.append(
            sa.or_(
                Entry.product_name.contains(text, autoescape=True),
                Entry.manufacturer.contains(text, autoescape=True),
                Entry.model.contains(text, autoescape=True),
                Entry.registration_no.contains(compact, autoescape=True),
            )
        )
    if filters.key_area:
        conditions.append(Entry.key_area == filters.key_area)
    if filters.department:
        conditions.append(_has_department(filters.department))
    return conditions


def queue_query(actor, filters: QueueFilters, now: datetime | None = None):
    """The actor's hospital's assessments (entry and batch loaded): open overdue first, then open by due date,
    then done. Anyone without a hospital gets none. Pages of it: `queue.queue_page`."""
    query = _queue_order(sa.select(Assessment), actor, filters, now or timeutil.utcnow())
    return query.options(contains_eager(Assessment.entry), contains_eager(Assessment.batch))


def queue_ids(actor, filters: QueueFilters, now: datetime) -> sa.Select:
    """The ids of `queue_query`, in its order."""
    return _queue_order(sa.select(Assessment.id), actor, filters, now)


def _queue_order(query: sa.Select, actor, filters: QueueFilters, now: datetime) -> sa.Select:
    query = (
        query.join(Entry, Entry.id == Assessment.entry_id)
        .join(Batch, Batch.id == Assessment.batch_id)
        .where(Assessment.hospital_id == getattr(actor, "hospital_id", None), *entry_conditions(filters))
    )
    if filters.state == "open":
        query = query.where(Assessment.state.in_(OPEN_STATES))
    elif filters.state == "overdue":
        query = query.where(Assessment.state.in_(OPEN_STATES), Assessment.due_at < now)
    elif filters.state:
        query = query.where(Assessment.state == AssessmentState(filters.state))
    if filters.batch_id:
        query = query.where(Assessment.batch_id == filters.batch_id)
    urgency = sa.case(
        (sa.and_(Assessment.state.in_(OPEN_STATES), Assessment.due_at < now), 0),
        (Assessment.state.in_(OPEN_STATES), 1),
        else_=2,
    )
    if filters.sort == "name":
        return query.order_by(Entry.product_name, Assessment.id)
    if filters.sort == "batch":
        return query.order_by(Batch.published_on.desc(), urgency, Entry.product_name, Assessment.id)
    return query.order_by(urgency, Assessment.due_at, Assessment.id)


QUEUE_ARGS = ("q", "key_area", "department", "state", "batch", "sort", "page", "per_page")


def queue_args(args) -> dict[str, str]:
    """The queue's own arguments of a request, for the links and forms that keep them (export, bulk action):
    only known names, so no argument can collide with a route's (`fmt`) or url_for's (`_external`)."""
    return {k: v for k, v in args.items() if k in QUEUE_ARGS and v}


def parse_filters(args) -> QueueFilters:
    """Query-string arguments as filters; unknown values are ignored rather than failing the page."""
    state = args.get("state", "")
    if state not in {value for value, _ in STATE_FILTERS}:
        state = ""
    batch_id = parse_int(args.get("batch"))
    sort = args.get("sort", "due")
    return QueueFilters(
        q=(args.get("q") or "").strip()[:100],
        key_area=(args.get("key_area") or "").strip(),
        department=(args.get("department") or "").strip(),
        state=state,
        batch_id=batch_id,
        sort=sort if sort in SORTS else "due",
    )


# Compliance drill-down (the figures are in portal.assessments.compliance) ------------------------------------


def hospital_items(batch: Batch, hospital_id: int):
    """Drill-down: one hospital's assessments of a batch, open overdue first."""
    return (
        sa.select(Assessment)
        .join(Entry, Entry.id == Assessment.entry_id)
        .options(contains_eager(Assessment.entry))
        .where(Assessment.batch_id == batch.id, Assessment.hospital_id == hospital_id)
        .order_by(sa.case((Assessment.state.in_(OPEN_STATES), 0), else_=1), Entry.product_name, Assessment.id)
    )


def visible_batches(user):
    """Published batches whose compliance `user` may see (reviewers: their catalogues), newest first."""
    from portal.accounts.models import Role

    query = (
        sa.select(Batch)
        .join(Catalogue, Catalogue.id == Batch.catalogue_id)
        .where(sa.exists(sa.select(1).where(AssessmentTally.batch_id == Batch.id)))  # not the millions
        .order_by(Batch.published_on.desc().nulls_last(), Batch.id.desc())
    )
    if user.role is Role.REVIEWER:
        query = query.where(Batch.catalogue_id.in_([c.id for c in user.catalogues]))
    return query


def status_report(catalogue_code: str | None = None, batch_name: str | None = None, now: datetime | None = None):
    """`flask assessments status`: per hospital over the selected catalogue and batch (NotFound for unknown)."""
    catalogue = None
    if catalogue_code:
        catalogue = db.session.scalar(sa.select(Catalogue).where(Catalogue.code == catalogue_code))
        if catalogue is None:
            raise NotFound(f"没有代码为 {catalogue_code} 的目录。")
    if batch_name:
        exists = sa.select(Batch.id).where(Batch.name == batch_name)
        if catalogue is not None:
            exists = exists.where(Batch.catalogue_id == catalogue.id)
        if db.session.scalar(exists.limit(1)) is None:
            raise NotFound(f"没有名为 {batch_name} 的批次。")
    return compliance.status_rows(catalogue, batch_name, now)
