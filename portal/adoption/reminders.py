"""Monthly reminders: an admitted, equipped product without last month's use report gets one reminder per
month (the UsageReminder row is claimed with INSERT … ON CONFLICT DO NOTHING, so reruns and overlapping runs
never send it twice); one notification per hospital lists its products. The caller commits."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from portal.adoption.models import Equipping, UsageReminder, UsageReport
from portal.adoption.months import previous_month
from portal.assessments.models import Assessment, Outcome
from portal.catalogue.models import Entry, EntryStatus
from portal.core import timeutil
from portal.directory.models import Hospital
from portal.extensions import db
from portal.workflow import AssessmentState


@dataclass
class UsageReminderBatch:
    hospital: Hospital
    month: str
    products: list
    recipients: list


def _missing(month: str):
    """Admitted, listed, equipped by the end of `month`, with no report and no reminder for it."""
    return sa.and_(
        Assessment.state == AssessmentState.DECIDED,
        Assessment.outcome == Outcome.ADMITTED,
        Entry.status == EntryStatus.LISTED,
        Equipping.equipped_on < _first_day_after(month),
        ~sa.exists(sa.select(1).where(UsageReport.assessment_id == Assessment.id, UsageReport.month == month)),
        ~sa.exists(sa.select(1).where(UsageReminder.assessment_id == Assessment.id, UsageReminder.month == month)),
    )


def _first_day_after(month: str) -> date:
    year, mon = (int(part) for part in month.split("-"))
    return date(year + mon // 12, mon % 12 + 1, 1)


def send_usage_reminders(*, dry_run: bool = False, now=None) -> list[UsageReminderBatch]:
    from portal.accounts.models import Role, User
    from portal.notifications.services import notify

    month = previous_month(timeutil.today_shanghai(now))
    candidates = (
        sa.select(Assessment.id)
        .join(Entry, Entry.id == Assessment.entry_id)
        .join(Equipping, Equipping.assessment_id == Assessment.id)
        .where(_missing(month))
    )
    if dry_run:
        ids = list(db.session.scalars(candidates))
    else:
        dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
        claim = (
            dialect.insert(UsageReminder)
            .from_select(
                ["assessment_id", "month", "sent_at"],
                candidates.add_columns(sa.literal(month), sa.literal(timeutil.utcnow(), UsageReminder.sent_at.type)),
            )
            .on_conflict_do_nothing(index_elements=["assessment_id", "month"])
            .returning(UsageReminder.assessment_id)
        )
        ids = list(db.session.scalars(claim))
    by_hospital: dict[int, list] = {}
    for start in range(0, len(ids), 500):
        rows = db.session.execute(
            sa.select(Assessment.hospital_id, Entry.product_name)
            .join(Entry, Entry.id == Assessment.entry_id)
            .where(Assessment.id.in_(ids[start : start + 500]))
        )
        for hospital_id, name in rows:
            by_hospital.setdefault(hospital_id, []).append(name)
    result = []
    for hospital in db.session.scalars(sa.select(Hospital).where(Hospital.id.in_(by_hospital)).order_by(Hospital.id)):
        users = db.session.scalars(
            sa.select(User).where(User.role == Role.HOSPITAL, User.hospital_id == hospital.id, User.active)
        ).all()
        products = sorted(by_hospital[hospital.id])
        if users and not dry_run:
            notify(
                users,
                f"请填报 {month} 的使用情况：{len(products)} 个产品",
                f"{hospital.name}：以下已配备的目录产品尚未填报 {month} 的使用例数：\n"
                + "\n".join(f"· {name}" for name in products[:50]),
                f"/adoption/usage?month={month}",
            )
        result.append(UsageReminderBatch(hospital, month, products, users))
    return result
