"""Index changes are recorded in the same transaction as the data they mirror; each node's index reads them
from its own cursor (portal.search.journal).

The outbox lives in core so that every area can record a change; search, above them all, applies it.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.types import UTCDateTime, now_default
from portal.extensions import db


class IndexChange(db.Model):
    """An entry of the index log, recorded in the same transaction as the change it mirrors.

    Every node's index reads the log from its own cursor (search.models.SearchIndexCursor); rows are pruned
    behind them all.
    """

    __tablename__ = "index_change"
    # Readers keep cursors on the id: SQLite must never hand out an id again once the rows are pruned.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(sa.String(16))  # entry | application
    doc_id: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_default)


ENTRY = "entry"
APPLICATION = "application"


def queue(doc_type: str, doc_id: int) -> None:
    """Note that document `doc_id` of `doc_type` must be (re)indexed or removed; the caller commits."""
    db.session.add(IndexChange(doc_type=doc_type, doc_id=doc_id))
