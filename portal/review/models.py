"""Expert opinions recorded by the reviewers on an application."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from portal.core.types import LabelledEnum, UTCDateTime, enum_column, now_default
from portal.extensions import db


class Recommendation(LabelledEnum):
    RECOMMEND = ("recommend", "推荐")
    NOT_RECOMMEND = ("not_recommend", "不推荐")


class ExpertReview(db.Model):
    __tablename__ = "expert_review"
    __table_args__ = (
        sa.CheckConstraint("score IS NULL OR score BETWEEN 1 AND 5", name="score_range"),
        sa.CheckConstraint("recused OR (score IS NOT NULL AND recommendation IS NOT NULL)", name="complete"),
        # One opinion per expert per application (a recused expert gives none).
        sa.UniqueConstraint("application_id", "expert_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"), index=True)
    expert_name: Mapped[str] = mapped_column(sa.String(64))
    recused: Mapped[bool] = mapped_column(default=False)  # declared a conflict with the company: counts for nothing
    score: Mapped[int | None] = mapped_column()
    recommendation: Mapped[Recommendation | None] = mapped_column(enum_column(Recommendation))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)

    # The backref gives Application.reviews without the applications area knowing about expert review.
    application = relationship("Application", backref=backref("reviews", order_by="ExpertReview.id"))
