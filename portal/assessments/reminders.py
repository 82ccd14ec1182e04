"""Reminders to hospitals: due in 7 days, in 3 days, overdue; each sent once per assessment."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from portal.assessments.models import Assessment, Reminder, ReminderKind
from portal.assessments.services import OPEN_STATES
from portal.catalogue.models import Batch, Entry
from portal.core import timeutil
from portal.directory.models import Hospital
from portal.extensions import db

REMINDER_TITLES = {
    ReminderKind.DUE_IN_7: "入院评估提醒：{n} 项将在 7 天内到期",
    ReminderKind.DUE_IN_3: "入院评估提醒：{n} 项将在 3 天内到期",
    ReminderKind.OVERDUE: "入院评估逾期：{n} 项已超过截止日期",
}


def _reminder_conditions(kind: ReminderKind, now: datetime):
    """Which open assessments a reminder kind is for, in Shanghai calendar days."""
    today = timeutil.today_shanghai(now)
    is_open = Assessment.state.in_(OPEN_STATES)
    end_of = timeutil.end_of_day_shanghai
    if kind is ReminderKind.OVERDUE:
        return sa.and_(is_open, Assessment.due_at < now)
    if kind is ReminderKind.DUE_IN_3:  # due today .. in 3 days
        return sa.and_(is_open, Assessment.due_at >= now, Assessment.due_at <= end_of(today + timedelta(days=3)))
    return sa.and_(  # due in 4 .. 7 days
        is_open,
        Assessment.due_at > end_of(today + timedelta(days=3)),
        Assessment.due_at <= end_of(today + timedelta(days=7)),
    )


@dataclass
class ReminderBatch:
    hospital: Hospital
    kind: ReminderKind
    items: list  # (Assessment, Entry, Batch)
    recipients: list


def send_reminders(*, dry_run: bool = False, now: datetime | None = None) -> list[ReminderBatch]:
    """Each reminder kind goes out once per assessment. The Reminder rows are claimed with INSERT … ON CONFLICT
    DO NOTHING RETURNING, so two overlapping runs never both send one; one notification per hospital and kind
    lists the items. The caller commits (or, for a dry run, rolls back)."""
    from portal.accounts.models import Role, User
    from portal.notifications.services import notify

    now = now or timeutil.utcnow()
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    sent = []
    for kind in (ReminderKind.OVERDUE, ReminderKind.DUE_IN_3, ReminderKind.DUE_IN_7):
        not_sent = ~sa.exists(sa.select(1).where(Reminder.assessment_id == Assessment.id, Reminder.kind == kind))
        candidates = sa.select(Assessment.id).where(_reminder_conditions(kind, now), not_sent)
        if dry_run:
            ids = list(db.session.scalars(candidates))
        else:
            statement = (
                dialect.insert(Reminder)
                .from_select(
                    ["assessment_id", "kind", "sent_at"],
                    sa.select(
                        Assessment.id,
                        sa.literal(kind.value),
                        sa.literal(now, Reminder.sent_at.type),
                    ).where(_reminder_conditions(kind, now), not_sent),
                )
                .on_conflict_do_nothing(index_elements=["assessment_id", "kind"])
                .returning(Reminder.assessment_id)
            )
            ids = list(db.session.scalars(statement))
        if not ids:
            continue
        by_hospital: dict[int, list] = {}
        for chunk_start in range(0, len(ids), 500):
            chunk = ids[chunk_start : chunk_start + 500]
            rows = db.session.execute(
                sa.select(Assessment, Entry, Batch)
                .join(Entry, Entry.id == Assessment.entry_id)
                .join(Batch, Batch.id == Assessment.batch_id)
                .where(Assessment.id.in_(chunk))
            ).all()
            for row in rows:
                by_hospital.setdefault(row[0].hospital_id, []).append(tuple(row))
        hospitals = {h.id: h for h in db.session.scalars(sa.select(Hospital).where(Hospital.id.in_(by_hospital)))}
        for hospital_id, items in sorted(by_hospital.items()):
            items.sort(key=lambda item: (item[0].due_at, item[1].product_name))
            users = db.session.scalars(
                sa.select(User).where(User.role == Role.HOSPITAL, User.hospital_id == hospital_id, User.active)
            ).all()
            batch = ReminderBatch(hospitals[hospital_id], kind, items, users)
            if not dry_run and users:
                notify(users, REMINDER_TITLES[kind].format(n=len(items)), _reminder_body(batch, now), _link(kind))
            sent.append(batch)
    return sent


def _link(kind: ReminderKind) -> str:
    return "/assessments?state=overdue" if kind is ReminderKind.OVERDUE else "/assessments?state=open"


def _reminder_body(batch: ReminderBatch, now) -> str:
    lines = [f"{batch.hospital.name}："]
    for assessment, entry, b in batch.items[:50]:
        left = timeutil.days_left(assessment.due_at, now)
        when = f"已逾期 {-left} 天" if left < 0 else ("今天到期" if left == 0 else f"剩余 {left} 天")
        due = timeutil.to_shanghai(assessment.due_at)
        lines.append(f"· {entry.product_name}（{entry.manufacturer}，{b.name}）截止 {due:%Y-%m-%d}，{when}")
    if len(batch.items) > 50:
        lines.append(f"……另有 {len(batch.items) - 50} 项，请登录平台查看。")
    return "\n".join(lines)
