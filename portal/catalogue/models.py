"""Catalogues, their batches, and the entries a published batch lists."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.types import LabelledEnum, UTCDateTime, enum_column, now_default
from portal.extensions import db
from portal.workflow import BatchState, EntryStatus


class Scope(LabelledEnum):
    CITY = ("city", "市级")
    DISTRICT = ("district", "区级")


class Catalogue(db.Model):
    __tablename__ = "catalogue"
    __table_args__ = (
        sa.CheckConstraint("(scope = 'district') = (district IS NOT NULL)", name="district_scope"),
        sa.CheckConstraint("deadline_days BETWEEN 1 AND 365", name="deadline_days_range"),
        sa.CheckConstraint("notice_days BETWEEN 1 AND 60", name="notice_days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    scope: Mapped[Scope] = mapped_column(enum_column(Scope))
    district: Mapped[str | None] = mapped_column(sa.String(16))
    deadline_days: Mapped[int] = mapped_column(default=30)
    notice_days: Mapped[int] = mapped_column(default=7)
    # Eligibility rules checked at submission (DESIGN §4).
    allows_class_one: Mapped[bool] = mapped_column(default=False)
    allowed_product_types: Mapped[list] = mapped_column(sa.JSON, default=lambda: ["device", "ivd", "drug"])
    first_approval_cutoff: Mapped[date | None] = mapped_column(sa.Date)
    required_attachments: Mapped[list] = mapped_column(
        sa.JSON, default=lambda: ["注册证", "创新性证明材料", "临床价值证明材料"]
    )
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)

    batches = relationship("Batch", back_populates="catalogue", order_by="Batch.id")

    @property
    def scope_label(self) -> str:
        return self.district if self.scope is Scope.DISTRICT else "全市"


class Batch(db.Model):
    __tablename__ = "batch"
    __table_args__ = (
        sa.UniqueConstraint("catalogue_id", "name"),
        sa.Index("ix_batch_catalogue_state", "catalogue_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    catalogue_id: Mapped[int] = mapped_column(sa.ForeignKey("catalogue.id"))
    name: Mapped[str] = mapped_column(sa.String(64))  # 第六批
    state: Mapped[BatchState] = mapped_column(enum_column(BatchState), default=BatchState.DRAFT)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notice_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notice_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_on: Mapped[date | None] = mapped_column(sa.Date)  # the Shanghai date the deadline counts from
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)
    version_id: Mapped[int] = mapped_column(default=1)

    catalogue = relationship("Catalogue", back_populates="batches")

    __mapper_args__ = {"version_id_col": version_id}


class Entry(db.Model):
    """A product as listed by a published batch. Listed data is frozen: later product edits do not change it."""

    __tablename__ = "entry"
    __table_args__ = (
        # One listed entry per product and catalogue; a delisted one stays as history.
        sa.Index(
            "uq_entry_listed_product",
            "catalogue_id",
            "product_id",
            unique=True,
            sqlite_where=sa.text("status = 'listed'"),
            postgresql_where=sa.text("status = 'listed'"),
        ),
        sa.UniqueConstraint("batch_id", "product_id"),
        sa.Index("ix_entry_catalogue_status", "catalogue_id", "status", "listed_on"),
        # The latest delistings (home page, update feeds) without scanning the entries; catalogue_id inside
        # keeps it covering for the per-catalogue counts of listed entries, which would otherwise pick it and sort.
        sa.Index("ix_entry_status_catalogue_delisted", "status", "catalogue_id", "delisted_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    catalogue_id: Mapped[int] = mapped_column(sa.ForeignKey("catalogue.id"))
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("application.id"), unique=True)
    status: Mapped[EntryStatus] = mapped_column(enum_column(EntryStatus), default=EntryStatus.LISTED)
    listed_on: Mapped[date] = mapped_column(sa.Date)
    delisted_on: Mapped[date | None] = mapped_column(sa.Date)
    delist_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Frozen copy of what was published.
    product_name: Mapped[str] = mapped_column(sa.String(200))
    model: Mapped[str] = mapped_column(sa.String(500), default="")
    registration_no: Mapped[str] = mapped_column(sa.String(64), index=True)
    manufacturer: Mapped[str] = mapped_column(sa.String(128))
    product_type: Mapped[str] = mapped_column(sa.String(16))
    device_class: Mapped[str | None] = mapped_column(sa.String(4))
    key_area: Mapped[str | None] = mapped_column(sa.String(32))
    departments: Mapped[list] = mapped_column(sa.JSON, default=list)
    innovative_review: Mapped[str] = mapped_column(sa.String(16), default="none")
    indications: Mapped[str] = mapped_column(sa.Text, default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)

    catalogue = relationship("Catalogue")
    batch = relationship("Batch")
    product = relationship("Product")
    application = relationship("Application")

    @property
    def device_class_label(self) -> str:
        """「第三类」, the words the product pages use, not the stored code III."""
        from portal.products.models import DeviceClass  # at call time: the products area imports this one

        return DeviceClass(self.device_class).label if self.device_class else "—"
