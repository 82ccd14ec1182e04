"""Applications of a product to a batch and the rounds the company submitted."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.types import UTCDateTime, enum_column, now_default
from portal.extensions import db
from portal.workflow import ApplicationState


class Application(db.Model):
    __tablename__ = "application"
    __table_args__ = (
        sa.UniqueConstraint("product_id", "batch_id"),
        sa.Index("ix_application_batch_state", "batch_id", "state"),
        sa.Index("ix_application_company_state", "company_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id"), index=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id"))  # copied from the product, for scoping
    state: Mapped[ApplicationState] = mapped_column(enum_column(ApplicationState), default=ApplicationState.DRAFT)
    statement: Mapped[str] = mapped_column(sa.Text, default="")  # the company's case for listing
    round: Mapped[int] = mapped_column(default=0)  # how many times it was submitted
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default, onupdate=now_default)
    version_id: Mapped[int] = mapped_column(default=1)

    batch = relationship("Batch")
    product = relationship("Product")
    company = relationship("Company")
    submissions = relationship("Submission", back_populates="application", order_by="Submission.round")

    __mapper_args__ = {"version_id_col": version_id}


class Submission(db.Model):
    """What the company sent in one round: a frozen copy, so every round stays in the history."""

    __tablename__ = "submission"
    __table_args__ = (sa.UniqueConstraint("application_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column()
    snapshot: Mapped[dict] = mapped_column(sa.JSON)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)
    # The reviewer's comment when this round was returned.
    return_comment: Mapped[str | None] = mapped_column(sa.Text)

    application = relationship("Application", back_populates="submissions")
