"""The IndexChange log as seen by one node's index: what is new to it, its row in the cursor table, pruning.

Every node keeps its own index and reads the whole log from its own cursor (cursor.py); nobody deletes what
it applied. Rows go when every live index has passed them, or after the horizon; an index that is not live
any more (not seen within the horizon) or that the horizon overtook loses its cursor row and, seeing that,
rebuilds itself. A cursor row behind the index's own copy means the database was restored from a backup:
the sequence goes back too, so that index rebuilds as well.
"""

from __future__ import annotations

import logging
import socket
import time
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from portal.core.outbox import IndexChange
from portal.core.timeutil import utcnow
from portal.search import index as idx
from portal.search.cursor import GRACE_SECONDS, Cursor
from portal.search.models import SearchIndexCursor

log = logging.getLogger(__name__)
PAGE = 2000
# A live index refreshes its row at least this often, so `seen_at` tells live from gone.
REFRESH = timedelta(seconds=60)


def new_changes(session: Session | Connection, cursor: Cursor):
    """Pages of (id, doc_type, doc_id) rows that `cursor` has not applied, oldest first."""
    after = cursor.position
    while True:
        rows = session.execute(
            select(IndexChange.id, IndexChange.doc_type, IndexChange.doc_id)
            .where(IndexChange.id > after)
            .order_by(IndexChange.id)
            .limit(PAGE)
        ).all()
        if not rows:
            return
        after = rows[-1].id
        fresh = [r for r in rows if cursor.is_new(r.id)]
        if fresh:
            yield fresh


def has_new(connection, cursor: Cursor) -> bool:
    """Whether `new_changes` would yield anything."""
    if not cursor.gaps:
        return connection.scalar(select(IndexChange.id).where(IndexChange.id > cursor.high).limit(1)) is not None
    return any(True for _ in new_changes(connection, cursor))


def snapshot(session: Session) -> Cursor:
    """Before a rebuild reads any data: the cursor the rebuilt index will have."""
    settled = utcnow() - timedelta(seconds=GRACE_SECONDS)
    floor = session.scalar(select(func.max(IndexChange.id)).where(IndexChange.created_at < settled)) or 0
    visible = list(session.scalars(select(IndexChange.id).where(IndexChange.id > floor).order_by(IndexChange.id)))
    return Cursor.after_snapshot(visible, floor, time.time())


def in_step(session: Session, app, cursor: Cursor | None) -> bool:
    """False when this index must be rebuilt: its cursor row was pruned, or the database went back in time."""
    if cursor is None:  # an index from before cursors: the old drain deleted what it applied, so all is new
        return True
    row = session.get(SearchIndexCursor, idx.index_id(app))
    if row is None:
        log.warning("search index %s lost its cursor row (pruned or restored): rebuilding", idx.base_dir(app))
        return False
    if row.position < cursor.position:
        log.warning("search index %s is ahead of the database (restored?): rebuilding", idx.base_dir(app))
        return False
    return True


def record(session: Session, app, cursor: Cursor) -> None:
    """Write this index's position to its cursor row (when it moved, or to show it is alive), and commit."""
    now = utcnow()
    row = session.get(SearchIndexCursor, idx.index_id(app))
    if row is None:
        label = f"{socket.gethostname()}:{idx.base_dir(app)}"[:300]
        session.add(SearchIndexCursor(index_id=idx.index_id(app), position=cursor.position, label=label, seen_at=now))
    elif row.position != cursor.position or row.seen_at < now - REFRESH:
        row.position, row.seen_at = cursor.position, now
    session.commit()


def prune(session: Session, horizon: timedelta) -> int:
    """Delete the log rows every live index has applied, and those older than the horizon; commits."""
    cutoff = utcnow() - horizon
    session.execute(delete(SearchIndexCursor).where(SearchIndexCursor.seen_at < cutoff))
    slowest = session.scalar(select(func.min(SearchIndexCursor.position)))
    expired = session.scalar(select(func.max(IndexChange.id)).where(IndexChange.created_at < cutoff))
    cut = max(slowest or 0, expired or 0)
    deleted = session.execute(delete(IndexChange).where(IndexChange.id <= cut)).rowcount
    # An index the horizon overtook misses rows it never read: without its row it rebuilds (in_step).
    session.execute(delete(SearchIndexCursor).where(SearchIndexCursor.position < cut))
    session.commit()
    return deleted
