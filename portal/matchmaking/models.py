"""Needs, responses (matches) and their meetings, and themed 医企面对面 sessions with sign-ups and attendance."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.types import LabelledEnum, UTCDateTime, enum_column, now_default
from portal.extensions import db
from portal.matchmaking.states import MatchState, MeetingState, NeedState, SessionState


class MatchOutcome(LabelledEnum):
    ASSESSMENT = ("assessment", "进入入院评估")
    TRIAL = ("trial", "试用")
    DECLINED = ("declined", "暂不考虑")


class Need(db.Model):
    """A hospital department's clinical need; `district` empty means every company of the city sees it."""

    __tablename__ = "need"
    __table_args__ = (sa.Index("ix_need_state_until", "state", "valid_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(sa.ForeignKey("hospital.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    department: Mapped[str] = mapped_column(sa.String(32))
    title: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.Text)
    key_area: Mapped[str | None] = mapped_column(sa.String(32))
    valid_until: Mapped[date] = mapped_column(sa.Date)
    district: Mapped[str | None] = mapped_column(sa.String(16))
    state: Mapped[NeedState] = mapped_column(enum_column(NeedState), default=NeedState.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)
    version_id: Mapped[int] = mapped_column(default=1)

    hospital = relationship("Hospital")
    created_by = relationship("User")
    matches = relationship("Match", back_populates="need", order_by="Match.id")

    __mapper_args__ = {"version_id_col": version_id}


class MatchSession(db.Model):
    """A themed 医企面对面 session run by a district (`district`) or the city (empty)."""

    __tablename__ = "match_session"
    __table_args__ = (sa.CheckConstraint("capacity BETWEEN 1 AND 500", name="capacity_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(100))
    department: Mapped[str | None] = mapped_column(sa.String(32))
    key_area: Mapped[str | None] = mapped_column(sa.String(32))
    district: Mapped[str | None] = mapped_column(sa.String(16))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(sa.String(200))
    capacity: Mapped[int] = mapped_column()
    organiser_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    state: Mapped[SessionState] = mapped_column(enum_column(SessionState), default=SessionState.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)
    version_id: Mapped[int] = mapped_column(default=1)

    organiser = relationship("User")
    signups = relationship("SessionSignup", back_populates="session", order_by="SessionSignup.id")
    attendances = relationship("SessionAttendance", order_by="SessionAttendance.id")

    __mapper_args__ = {"version_id_col": version_id}


class SessionSignup(db.Model):
    """A company's product signed up to a session; each takes one of the session's places."""

    __tablename__ = "session_signup"
    __table_args__ = (sa.UniqueConstraint("session_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("match_session.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)

    session = relationship("MatchSession", back_populates="signups")
    company = relationship("Company")
    product = relationship("Product")


class SessionAttendance(db.Model):
    __tablename__ = "session_attendance"
    __table_args__ = (sa.UniqueConstraint("session_id", "hospital_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("match_session.id", ondelete="CASCADE"))
    hospital_id: Mapped[int] = mapped_column(sa.ForeignKey("hospital.id"))
    department: Mapped[str] = mapped_column(sa.String(32))
    registered_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)

    hospital = relationship("Hospital")


class Match(db.Model):
    """A company's product put forward to a hospital: a response to a need, or a session's follow-up."""

    __tablename__ = "need_match"
    __table_args__ = (
        sa.CheckConstraint("(need_id IS NULL) <> (session_id IS NULL)", name="one_origin"),
        sa.CheckConstraint("(state = 'concluded') = (outcome IS NOT NULL)", name="outcome_complete"),
        sa.UniqueConstraint("need_id", "product_id"),
        sa.UniqueConstraint("session_id", "hospital_id", "product_id"),
        sa.Index("ix_need_match_company", "company_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int | None] = mapped_column(sa.ForeignKey("need.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("match_session.id"))
    hospital_id: Mapped[int] = mapped_column(sa.ForeignKey("hospital.id"), index=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    attachment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attachment.id"))
    state: Mapped[MatchState] = mapped_column(enum_column(MatchState), default=MatchState.RESPONDED)
    outcome: Mapped[MatchOutcome | None] = mapped_column(enum_column(MatchOutcome))
    outcome_note: Mapped[str] = mapped_column(sa.Text, default="")
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assessment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessment.id"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)
    version_id: Mapped[int] = mapped_column(default=1)

    need = relationship("Need", back_populates="matches")
    session = relationship("MatchSession")
    hospital = relationship("Hospital")
    company = relationship("Company")
    product = relationship("Product")
    attachment = relationship("Attachment")
    assessment = relationship("Assessment")
    meeting = relationship("Meeting", back_populates="match", uselist=False)

    __mapper_args__ = {"version_id_col": version_id}


class Meeting(db.Model):
    """The 医企面对面 meeting of a match: one row, rescheduled in place (`sequence` counts the changes for ICS)."""

    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("need_match.id", ondelete="CASCADE"), unique=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    minutes: Mapped[int] = mapped_column(default=60)
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    online_link: Mapped[str] = mapped_column(sa.String(500), default="")
    state: Mapped[MeetingState] = mapped_column(enum_column(MeetingState), default=MeetingState.PROPOSED)
    sequence: Mapped[int] = mapped_column(default=0)
    # Claimed by the reminder command so the day-before reminder goes out once; cleared when the time changes.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)
    version_id: Mapped[int] = mapped_column(default=1)

    match = relationship("Match", back_populates="meeting")

    __mapper_args__ = {"version_id_col": version_id}
