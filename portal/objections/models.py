"""Objections filed by the public while a batch is on notice (公示期异议)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.types import UTCDateTime, enum_column, now_default
from portal.extensions import db
from portal.workflow import ObjectionState


class Objection(db.Model):
    """A named written objection filed while the batch is on public notice."""

    __tablename__ = "objection"
    __table_args__ = (sa.Index("ix_objection_batch_state", "batch_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id"))
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    phone: Mapped[str] = mapped_column(sa.String(32))
    organisation: Mapped[str] = mapped_column(sa.String(128), default="")
    reason: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[ObjectionState] = mapped_column(enum_column(ObjectionState), default=ObjectionState.OPEN)
    resolution: Mapped[str | None] = mapped_column(sa.Text)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)
    version_id: Mapped[int] = mapped_column(default=1)

    batch = relationship("Batch")
    application = relationship("Application")

    __mapper_args__ = {"version_id_col": version_id}
