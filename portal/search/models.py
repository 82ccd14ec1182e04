"""Search bookkeeping: the index outbox (written with the data) and the admin-edited synonym table."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.types import UTCDateTime, now_default
from portal.extensions import db


class IndexChange(db.Model):
    """A pending index update, recorded in the same transaction as the change it mirrors."""

    __tablename__ = "index_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(sa.String(16))  # entry | application
    doc_id: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)


class Synonym(db.Model):
    """A colloquial term and what it stands for, e.g. 彩超 → 彩色多普勒超声."""

    __tablename__ = "synonym"

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expansions: Mapped[list] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)
