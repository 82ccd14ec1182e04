"""Search bookkeeping: each index's cursor on the index log (`portal.core.outbox`, which the areas write to),
and the admin-edited synonym table."""

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


class SearchIndexCursor(db.Model):
    """How far one node's index has applied the IndexChange log (its own copy is kept in the index folder).

    Rows of the log are pruned once every index listed here has passed them (or after the horizon); an index
    whose row is gone, or is behind its own copy (a restored database), rebuilds itself.
    """

    __tablename__ = "search_index_cursor"

    index_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    position: Mapped[int] = mapped_column()
    label: Mapped[str] = mapped_column(sa.String(300), default="")  # host and folder, for operators
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)
