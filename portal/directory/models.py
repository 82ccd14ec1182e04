"""Companies (applicants) and hospitals (assessors)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.types import LabelledEnum, UTCDateTime, enum_column, now_default
from portal.extensions import db


class HospitalLevel(LabelledEnum):
    TERTIARY = ("tertiary", "三级")
    SECONDARY = ("secondary", "二级")
    PRIMARY = ("primary", "一级")

    @classmethod
    def from_label(cls, text: str) -> "HospitalLevel":
        for member in cls:
            if text.strip() in (member.label, member.value):
                return member
        raise ValueError(text)


class Company(db.Model):
    __tablename__ = "company"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(sa.String(18), unique=True)  # 统一社会信用代码
    name: Mapped[str] = mapped_column(sa.String(128), unique=True)
    short_name: Mapped[str] = mapped_column(sa.String(32), default="")
    district: Mapped[str | None] = mapped_column(sa.String(16))  # None: outside Shanghai
    address: Mapped[str] = mapped_column(sa.String(256), default="")
    contact_name: Mapped[str] = mapped_column(sa.String(64), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(32), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)

    users = relationship("User", back_populates="company")


class Hospital(db.Model):
    __tablename__ = "hospital"
    __table_args__ = (sa.Index("ix_hospital_scope", "is_public", "district"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128), unique=True)
    district: Mapped[str] = mapped_column(sa.String(16))
    level: Mapped[HospitalLevel] = mapped_column(enum_column(HospitalLevel))
    is_public: Mapped[bool] = mapped_column()
    # Secret for the calendar feed URL; only its hash is kept.
    calendar_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)

    users = relationship("User", back_populates="hospital")
