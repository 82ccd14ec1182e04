"""After 同意配备: the equipping of an admitted product, its monthly use, and the supervisors' chasing."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.types import LabelledEnum, UTCDateTime, enum_column, now_default
from portal.extensions import db


class ProcurementRoute(LabelledEnum):
    ONLINE = ("online", "挂网采购")
    TENDER = ("tender", "招标采购")
    NEGOTIATED = ("negotiated", "院内议价")
    LEASE = ("lease", "租赁/以租代购")
    OTHER = ("other", "其他")


class Equipping(db.Model):
    """配备: the date an admitted product became available in the hospital and how it was procured."""

    __tablename__ = "equipping"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment.id", ondelete="CASCADE"), unique=True)
    equipped_on: Mapped[date] = mapped_column(sa.Date)
    route: Mapped[ProcurementRoute] = mapped_column(enum_column(ProcurementRoute))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # The sum of the use reports, kept by the service that writes them, so that the dashboards aggregate one
    # row per equipped assessment instead of every monthly report.
    uses_total: Mapped[int] = mapped_column(default=0)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)

    assessment = relationship("Assessment")


class UsageReport(db.Model):
    """使用情况: one admitted assessment × one month (YYYY-MM); reporting a month again replaces it."""

    __tablename__ = "usage_report"
    __table_args__ = (
        sa.UniqueConstraint("assessment_id", "month"),
        sa.CheckConstraint("uses >= 0", name="uses_not_negative"),
        sa.Index("ix_usage_report_month", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment.id", ondelete="CASCADE"))
    month: Mapped[str] = mapped_column(sa.String(7))
    uses: Mapped[int] = mapped_column()
    reported_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)


class Chase(db.Model):
    """催办: a supervisor chased an overdue assessment; the unique key makes the hospital hear it once."""

    __tablename__ = "chase"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment.id", ondelete="CASCADE"), unique=True)
    chased_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    chased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)


class UsageReminder(db.Model):
    """A monthly reminder sent for a missing use report; unique so each goes out once."""

    __tablename__ = "usage_reminder"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment.id", ondelete="CASCADE"))
    month: Mapped[str] = mapped_column(sa.String(7))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)


class HospitalRollup(db.Model):
    """The counts of one batch × one hospital, refreshed in the transaction that changes them (see rollup.py):
    the dashboards read these 12,000 rows per batch instead of 2.4 million assessments. Overdue is not stored:
    all assessments of a batch share one due date, so the open ones are overdue once it has passed."""

    __tablename__ = "hospital_rollup"

    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id", ondelete="CASCADE"), primary_key=True)
    hospital_id: Mapped[int] = mapped_column(sa.ForeignKey("hospital.id", ondelete="CASCADE"), primary_key=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hospitals: Mapped[int] = mapped_column(default=0)  # assessments: one per entry the hospital must assess
    decided: Mapped[int] = mapped_column(default=0)
    admitted: Mapped[int] = mapped_column(default=0)
    declined: Mapped[int] = mapped_column(default=0)
    not_applicable: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)
    late: Mapped[int] = mapped_column(default=0)
    open: Mapped[int] = mapped_column(default=0)
    equipped: Mapped[int] = mapped_column(default=0)
    in_use: Mapped[int] = mapped_column(default=0)
    uses: Mapped[int] = mapped_column(default=0)


class MonthRollup(db.Model):
    """Decisions made and uses reported per batch × hospital × month (Shanghai), for the trend charts."""

    __tablename__ = "month_rollup"

    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id", ondelete="CASCADE"), primary_key=True)
    hospital_id: Mapped[int] = mapped_column(sa.ForeignKey("hospital.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    decisions: Mapped[int] = mapped_column(default=0)
    uses: Mapped[int] = mapped_column(default=0)
