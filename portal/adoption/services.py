"""Hospital side of adoption (DESIGN §4, 应配尽配): record 配备 and monthly 使用例数 of admitted products.

Every function takes its actor explicitly (hospital staff of the assessment's hospital, or the named system
actor of an import); the pages, the bulk form, the file import and the API call the same functions. A report is
only possible for an admitted product, never for a month before it was equipped or in the future. The caller
commits.
"""

from datetime import date, datetime

import sqlalchemy as sa

from portal.adoption.models import Equipping, ProcurementRoute, UsageReport
from portal.adoption.months import month_of, parse_month
from portal.assessments.models import Assessment, Outcome
from portal.assessments.permissions import require_assess
from portal.audit.services import record
from portal.core import timeutil
from portal.core.errors import DomainError, IllegalTransition
from portal.extensions import db
from portal.workflow import AssessmentState

MAX_USES = 1_000_000  # per hospital, product and month: far above any real count, catches typos
NOTE_MAX = 500


def is_admitted(assessment) -> bool:
    return assessment.state is AssessmentState.DECIDED and assessment.outcome is Outcome.ADMITTED


def _require_admitted(assessment) -> None:
    if not is_admitted(assessment):
        label = assessment.outcome.label if assessment.outcome else assessment.state.label
        raise IllegalTransition(
            f"「{assessment.entry.product_name}」的评估结论为「{label}」：只有「同意配备」的产品可以登记配备和使用情况。"
        )


def equipping_of(assessment) -> Equipping | None:
    return db.session.scalar(sa.select(Equipping).where(Equipping.assessment_id == assessment.id))


def parse_route(value) -> ProcurementRoute:
    for route in ProcurementRoute:
        if value in (route.value, route.label) or (value and value in route.label.split("/")):
            return route
    labels = "、".join(r.label for r in ProcurementRoute)
    raise DomainError(f"请选择采购方式：{labels}。", field="route")


def record_equipped(
    actor, assessment, equipped_on: date | None, route, note: str = "", *, now: datetime | None = None
) -> Equipping:
    """配备: the date the admitted product became available and how it was procured (changing it is allowed,
    as long as no use report would then fall before it)."""
    require_assess(actor, assessment)
    _require_admitted(assessment)
    route = parse_route(route)
    today = timeutil.today_shanghai(now)
    if equipped_on is None:
        raise DomainError("请填写配备日期。", field="equipped_on")
    if equipped_on > today:
        raise DomainError(f"配备日期不能晚于今天（{today:%Y-%m-%d}）。", field="equipped_on")
    published_on = assessment.batch.published_on
    if published_on and equipped_on < published_on:
        raise DomainError(f"配备日期不能早于目录发布日期（{published_on:%Y-%m-%d}）。", field="equipped_on")
    earliest = db.session.scalar(
        sa.select(sa.func.min(UsageReport.month)).where(UsageReport.assessment_id == assessment.id)
    )
    if earliest and earliest < month_of(equipped_on):
        raise DomainError(f"已有 {earliest} 的使用情况，配备日期不能晚于该月。", field="equipped_on")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(f"备注不能超过 {NOTE_MAX} 字。", field="note")
    equipping = equipping_of(assessment) or Equipping(assessment_id=assessment.id)
    equipping.equipped_on, equipping.route, equipping.note = equipped_on, route, note
    equipping.recorded_by_id, equipping.recorded_at = actor.id, now or timeutil.utcnow()
    db.session.add(equipping)
    record(
        "adoption.equipped",
        actor=actor,
        obj=assessment,
        comment=f"配备日期 {equipped_on:%Y-%m-%d}，{route.label}",
        data={"equipped_on": equipped_on.isoformat(), "route": route.value},
    )
    return equipping


def _uses(value) -> int:
    if isinstance(value, bool):
        raise DomainError("使用例数应为整数。", field="uses")
    try:
        uses = int(str(value).strip()) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        raise DomainError(f"使用例数「{str(value)[:20]}」应为整数。", field="uses") from None
    if uses < 0:
        raise DomainError("使用例数不能为负数。", field="uses")
    if uses > MAX_USES:
        raise DomainError(f"使用例数不能超过 {MAX_USES}。", field="uses")
    return uses


def report_usage(actor, assessment, month, uses, *, now: datetime | None = None) -> UsageReport:
    """使用例数 of one month; reporting the same month again replaces it."""
    require_assess(actor, assessment)
    _require_admitted(assessment)
    month = parse_month(month)
    uses = _uses(uses)
    current = month_of(timeutil.today_shanghai(now))
    if month > current:
        raise DomainError(f"不能填报未来月份（{month}）的使用情况；本月为 {current}。", field="month")
    equipping = db.session.scalar(
        sa.select(Equipping).where(Equipping.assessment_id == assessment.id).with_for_update()
    )  # locked: reports of one product are written one at a time, so uses_total never misses one
    if equipping is None:
        raise DomainError("请先登记配备日期，再填报使用情况。", field="equipped_on")
    if month < month_of(equipping.equipped_on):
        raise DomainError(
            f"{month} 早于配备日期（{equipping.equipped_on:%Y-%m-%d}），不能填报该月的使用情况。", field="month"
        )
    report = db.session.scalar(
        sa.select(UsageReport).where(UsageReport.assessment_id == assessment.id, UsageReport.month == month)
    )
    previous = report.uses if report else None
    report = report or UsageReport(assessment_id=assessment.id, month=month)
    report.uses, report.reported_by_id, report.reported_at = uses, actor.id, now or timeutil.utcnow()
    db.session.add(report)
    db.session.flush()
    equipping.uses_total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(UsageReport.uses), 0)).where(UsageReport.assessment_id == assessment.id)
    )
    if previous != uses:
        record(
            "adoption.usage",
            actor=actor,
            obj=assessment,
            comment=f"{month} 使用 {uses} 例" + (f"（原 {previous} 例）" if previous is not None else ""),
            data={"month": month, "uses": uses, "previous": previous},
        )
    return report


def usage_of(assessment) -> list[UsageReport]:
    return db.session.scalars(
        sa.select(UsageReport).where(UsageReport.assessment_id == assessment.id).order_by(UsageReport.month.desc())
    ).all()


def bulk_report(actor, month, values: dict, *, now: datetime | None = None) -> int:
    """The bulk form: {assessment: uses text} for one month; blanks are skipped, any error saves nothing."""
    month = parse_month(month)
    count = 0
    for assessment, raw in values.items():
        if str(raw or "").strip() == "":
            continue
        try:
            report_usage(actor, assessment, month, raw, now=now)
        except DomainError as exc:
            if assessment.entry.product_name in exc.message:
                raise
            raise DomainError(
                f"「{assessment.entry.product_name}」：{exc.message}", field=f"uses_{assessment.id}"
            ) from None
        count += 1
    if not count:
        raise DomainError("请至少填写一个产品的使用例数。", field="month")
    return count


def reportable(actor) -> list:
    """The hospital user's admitted assessments with their equipping (None when not yet equipped), by product
    name: the rows of the bulk form."""
    from portal.catalogue.models import Entry

    query = (
        sa.select(Assessment, Equipping)
        .join(Entry, Entry.id == Assessment.entry_id)
        .outerjoin(Equipping, Equipping.assessment_id == Assessment.id)
        .where(
            Assessment.hospital_id == actor.hospital_id,
            Assessment.state == AssessmentState.DECIDED,
            Assessment.outcome == Outcome.ADMITTED,
        )
        .order_by(Entry.product_name, Assessment.id)
    )
    return db.session.execute(query).all()
