"""The admin-edited synonym table (the index outbox the areas write to: `portal.core.outbox`)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.types import UTCDateTime, now_default
from portal.extensions import db


class Synonym(db.Model):
    """A colloquial term and what it stands for, e.g. 彩超 → 彩色多普勒超声."""

    __tablename__ = "synonym"

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expansions: Mapped[list] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)
