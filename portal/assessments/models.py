"""One assessment per public hospital in scope and new entry, with its dated events and reminders."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.types import LabelledEnum, UTCDateTime, enum_column, now_default
from portal.extensions import db
from portal.workflow import AssessmentState


class Outcome(LabelledEnum):
    ADMITTED = ("admitted", "同意配备")
    DECLINED = ("declined", "暂不配备")
    NOT_APPLICABLE = ("not_applicable", "不适用")


class EventKind(LabelledEnum):
    DEPARTMENT_REQUEST = ("department_request", "科室申请")
    COMMITTEE_REVIEW = ("committee_review", "委员会审议")
    NOTE = ("note", "备注")
    DECISION = ("decision", "决定")


class ReminderKind(LabelledEnum):
    DUE_IN_7 = ("due_in_7", "7天内到期")
    DUE_IN_3 = ("due_in_3", "3天内到期")
    OVERDUE = ("overdue", "已逾期")


class Assessment(db.Model):
    __tablename__ = "assessment"
    __table_args__ = (
        sa.UniqueConstraint("hospital_id", "entry_id"),
        sa.Index("ix_assessment_hospital_state_due", "hospital_id", "state", "due_at"),
        sa.Index("ix_assessment_batch_hospital", "batch_id", "hospital_id"),
        sa.CheckConstraint(
            "(state = 'decided') = (outcome IS NOT NULL AND decided_at IS NOT NULL AND decided_by_id IS NOT NULL)",
            name="decision_complete",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(sa.ForeignKey("hospital.id"))
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id"), index=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id"))
    # active_history: the tally needs the value a change replaces, even when it was not loaded before.
    state: Mapped[AssessmentState] = mapped_column(
        enum_column(AssessmentState), default=AssessmentState.PENDING, active_history=True
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    is_late: Mapped[bool] = mapped_column(default=False, active_history=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)
    version_id: Mapped[int] = mapped_column(default=1)

    hospital = relationship("Hospital")
    entry = relationship("Entry")
    batch = relationship("Batch")
    decided_by = relationship("User")
    events = relationship("AssessmentEvent", back_populates="assessment", order_by="AssessmentEvent.id")

    __mapper_args__ = {"version_id_col": version_id}


class AssessmentEvent(db.Model):
    __tablename__ = "assessment_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind))
    occurred_on: Mapped[date] = mapped_column(sa.Date)
    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)

    assessment = relationship("Assessment", back_populates="events")
    created_by = relationship("User")


class Reminder(db.Model):
    """A reminder sent; the unique constraint makes each kind go out once per assessment."""

    __tablename__ = "reminder"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment.id", ondelete="CASCADE"))
    kind: Mapped[ReminderKind] = mapped_column(enum_column(ReminderKind))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)


class TallyCounts:
    """The counts kept per batch × hospital and per batch × district (a mixin of both tables)."""

    total: Mapped[int] = mapped_column(default=0)
    decided: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)
    late: Mapped[int] = mapped_column(default=0)
    open: Mapped[int] = mapped_column(default=0)
    closed: Mapped[int] = mapped_column(default=0)
    due_min: Mapped[datetime] = mapped_column(UTCDateTime)
    due_max: Mapped[datetime] = mapped_column(UTCDateTime)


class AssessmentTally(TallyCounts, db.Model):
    """Counts of one hospital's assessments of one batch, kept in step with every assessment change.

    Compliance pages read these (one row per hospital shown) instead of grouping millions of assessments;
    `portal.assessments.tally` maintains them in the same transaction as the change. `due_min`/`due_max`
    bound the due dates of the pair (one date in practice), so "overdue" needs no per-assessment scan.
    `district` and `name` copy the hospital's (tally.py follows its changes) so that a page of the hospital
    table is read in the order of an index below instead of sorting every hospital of the batch.
    """

    __tablename__ = "assessment_tally"

    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id", ondelete="CASCADE"), primary_key=True)
    hospital_id: Mapped[int] = mapped_column(sa.ForeignKey("hospital.id", ondelete="CASCADE"), primary_key=True)
    district: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(128))

    hospital = relationship("Hospital")


T = AssessmentTally
# The hospital table's orders (compliance.py): once the batch is past due (overdue = open), while nothing is
# due yet (overdue = 0), and within one district; the overdue list walks the hospitals with open items.
sa.Index("ix_assessment_tally_hospital", T.hospital_id)
sa.Index("ix_assessment_tally_past_due", T.batch_id, T.open.desc(), T.late.desc(), T.district, T.name, T.hospital_id)
sa.Index("ix_assessment_tally_ahead", T.batch_id, T.late.desc(), T.district, T.name, T.hospital_id)
sa.Index("ix_assessment_tally_district", T.batch_id, T.district, T.open.desc(), T.late.desc(), T.name, T.hospital_id)
sa.Index(
    "ix_assessment_tally_late",
    T.batch_id,
    T.open.desc(),
    T.late.desc(),
    T.district,
    T.name,
    T.hospital_id,
    sqlite_where=T.late > 0,
    postgresql_where=T.late > 0,
)
sa.Index(
    "ix_assessment_tally_open",
    T.batch_id,
    T.district,
    T.name,
    T.hospital_id,
    sqlite_where=T.open > 0,
    postgresql_where=T.open > 0,
)


class AssessmentDistrictTally(TallyCounts, db.Model):
    """The tally rows of one batch and one district summed, kept in the same flush as they are.

    A batch page reads its few district rows for the totals, the district filter's options and the number of
    hospitals each filter shows, instead of summing 12,000 hospital rows. `hospitals` counts the batch ×
    hospital rows; `hospitals_open` and `hospitals_late` those with open or late assessments.
    """

    __tablename__ = "assessment_district_tally"

    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id", ondelete="CASCADE"), primary_key=True)
    district: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    hospitals: Mapped[int] = mapped_column(default=0)
    hospitals_open: Mapped[int] = mapped_column(default=0)
    hospitals_late: Mapped[int] = mapped_column(default=0)
