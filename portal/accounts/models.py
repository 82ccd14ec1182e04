"""Users, their role and scope, and personal API tokens."""

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.types import LabelledEnum, UTCDateTime, enum_column, now_default
from portal.extensions import db


class Role(LabelledEnum):
    MANUFACTURER = ("manufacturer", "企业用户")
    REVIEWER = ("reviewer", "审核人员")
    HOSPITAL = ("hospital", "医院用户")
    ADMIN = ("admin", "管理员")
    SUPERVISOR = ("supervisor", "监管部门")


reviewer_catalogue = sa.Table(
    "reviewer_catalogue",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("catalogue_id", sa.ForeignKey("catalogue.id", ondelete="CASCADE"), primary_key=True),
)


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    __tablename__ = "user"
    __table_args__ = (
        sa.CheckConstraint("(role = 'manufacturer') = (company_id IS NOT NULL)", name="company_scope"),
        sa.CheckConstraint("(role = 'hospital') = (hospital_id IS NOT NULL)", name="hospital_scope"),
        sa.CheckConstraint("role = 'supervisor' OR district IS NULL", name="district_scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("company.id"), index=True)
    hospital_id: Mapped[int | None] = mapped_column(sa.ForeignKey("hospital.id"), index=True)
    # A supervisor's scope: one district (区卫健委), or the whole city when empty (市卫健委, 申康).
    district: Mapped[str | None] = mapped_column(sa.String(16))
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the login cookie: rotating it ends every session and remember-me cookie of this user.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    company = relationship("Company", back_populates="users")
    hospital = relationship("Hospital", back_populates="users")
    catalogues = relationship("Catalogue", secondary=reviewer_catalogue, order_by="Catalogue.id")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def scope_label(self) -> str:
        if self.role is Role.MANUFACTURER and self.company:
            return self.company.name
        if self.role is Role.HOSPITAL and self.hospital:
            return self.hospital.name
        if self.role is Role.REVIEWER:
            return "、".join(c.name for c in self.catalogues) or "（未分配目录）"
        if self.role is Role.SUPERVISOR:
            return self.district or "全市"
        return ""


class ApiToken(db.Model):
    """A personal API token; only its SHA-256 is stored, the token itself is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")


class LoginThrottle(db.Model):
    """Login attempts counted per bucket (e-mail and address, e-mail, address) in a fixed window.

    `key` is a hash of the bucket, so neither e-mail addresses nor IP addresses are stored here.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
