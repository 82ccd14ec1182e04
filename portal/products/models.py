"""A company's product master records and the PDF attachments that back them."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.types import LabelledEnum, UTCDateTime, enum_column, now_default
from portal.extensions import db


class ProductType(LabelledEnum):
    DEVICE = ("device", "医疗器械")
    IVD = ("ivd", "体外诊断试剂")
    DRUG = ("drug", "药品")


class DeviceClass(LabelledEnum):
    I = ("I", "第一类")  # noqa: E741 - the class is called I
    II = ("II", "第二类")
    III = ("III", "第三类")


class InnovativeReview(LabelledEnum):
    NONE = ("none", "否")
    NATIONAL = ("national", "国家创新医疗器械特别审查")
    SHANGHAI = ("shanghai", "上海市创新医疗器械特别审查")


class Track(LabelledEnum):
    INNOVATIVE = ("innovative", "创新产品")
    FAMOUS = ("famous", "名优产品")


class Product(db.Model):
    __tablename__ = "product"
    __table_args__ = (
        sa.UniqueConstraint("company_id", "registration_no"),
        sa.Index("ix_product_company_name", "company_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id"))
    name: Mapped[str] = mapped_column(sa.String(200))
    model: Mapped[str] = mapped_column(sa.String(500), default="")
    product_type: Mapped[ProductType] = mapped_column(enum_column(ProductType))
    registration_no: Mapped[str] = mapped_column(sa.String(64))  # normalised form
    device_class: Mapped[DeviceClass | None] = mapped_column(enum_column(DeviceClass))
    first_approved_on: Mapped[date | None] = mapped_column(sa.Date)
    key_area: Mapped[str | None] = mapped_column(sa.String(32))
    departments: Mapped[list] = mapped_column(sa.JSON, default=list)
    indications: Mapped[str] = mapped_column(sa.Text, default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    innovative_review: Mapped[InnovativeReview] = mapped_column(
        enum_column(InnovativeReview), default=InnovativeReview.NONE
    )
    track: Mapped[Track] = mapped_column(enum_column(Track), default=Track.INNOVATIVE)
    price: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    insurance_code: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default, onupdate=now_default)
    version_id: Mapped[int] = mapped_column(default=1)

    company = relationship("Company")
    attachments = relationship("Attachment", back_populates="product", order_by="Attachment.id")

    @property
    def current_attachments(self) -> list:
        return [a for a in self.attachments if a.retired_at is None]

    __mapper_args__ = {"version_id_col": version_id}


class Attachment(db.Model):
    """A stored PDF: its bytes are AttachmentChunk rows on PostgreSQL, a file named `stored_name` under
    PORTAL_UPLOAD_DIR on SQLite (see storage.py)."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("company.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("product.id"), index=True)
    objection_id: Mapped[int | None] = mapped_column(sa.ForeignKey("objection.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))  # 注册证, 创新性证明材料, 临床价值证明材料, 异议证据
    original_name: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)
    # Set when the company removes the file from its product: the row and file stay, because earlier
    # submission rounds (and their reviewers) still refer to them.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The newer file of the same kind that replaced this one (then retired_at is set too).
    superseded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attachment.id"))

    product = relationship("Product", back_populates="attachments")
    uploaded_by = relationship("User")

    @property
    def is_current(self) -> bool:
        return self.retired_at is None


class AttachmentChunk(db.Model):
    """One slice of an attachment's bytes, when attachments are kept in the database (PostgreSQL)."""

    __tablename__ = "attachment_chunk"

    attachment_id: Mapped[int] = mapped_column(sa.ForeignKey("attachment.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
