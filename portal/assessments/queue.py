"""One page of a hospital's queue in its default order, read along the indexes.

The order "open overdue first, then open by due date, then done" is two runs: the open assessments by due
date (the overdue ones are simply the earliest) and then the done ones by due date. Each run is a range of
the (hospital, state, due date) index, so a page reads its 50 ids from the index instead of sorting the whole
queue, and then loads those 50 rows with their entry and batch. The counts come from the tally the queue
page reads anyway (its update cards) unless a filter on the entry (text, key area, department) is set.
The rows are read as plain column tuples, not as mapped objects: a row shows eleven values, and building
three mapped objects per row cost more than the rest of the page's queries together.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from portal.assessments.compliance import Progress
from portal.assessments.models import Assessment
from portal.assessments.services import OPEN_STATES, QueueFilters, entry_conditions, queue_ids, state_badge
from portal.catalogue.models import Batch, Entry
from portal.core import timeutil
from portal.core.paging import RowsPage, clamp, paginate_rows
from portal.extensions import db
from portal.workflow import AssessmentState

DONE_STATES = tuple(s for s in AssessmentState if s not in OPEN_STATES)


@dataclass(frozen=True, slots=True)
class QueueRow:
    """What one row of the queue shows, worked out once in Python rather than in the template. `item`: an
    Assessment, or a row of `_ROWS` (the same id, state, outcome, due_at and is_late, with the entry's columns
    and batch_name)."""

    item: object
    open: bool
    days_left: int
    overdue: bool
    badge: tuple[str, str]  # (CSS class, label): services.state_badge

    @classmethod
    def of(cls, item, now: datetime) -> "QueueRow":
        is_open = item.state in OPEN_STATES
        overdue = is_open and item.due_at < now
        days_left = timeutil.days_left(item.due_at, now)
        return cls(item, is_open, days_left, overdue, state_badge(item, now))


def queue_page(actor, filters: QueueFilters, page: int, per_page: int, *, updates=(), now=None) -> RowsPage:
    """Page `page` of `queue_query(actor, filters)`. `updates`: the hospital's (batch, Progress) pairs."""
    now = now or timeutil.utcnow()
    if filters.sort != "due":
        found = paginate_rows(queue_ids(actor, filters, now), page, per_page, scalars=True)
        found.items = _rows(found.items, now)
        return found
    runs = [(states, _count(actor, filters, states, updates, now)) for states in _runs(filters)]
    total = sum(count for _, count in runs)
    page = clamp(page, per_page, total)
    ids, skip = [], (page - 1) * per_page
    for states, count in runs:
        if skip >= count:
            skip -= count
            continue
        query = _ids(actor, filters, states, now).order_by(Assessment.due_at, Assessment.id)
        ids += db.session.scalars(query.limit(per_page - len(ids)).offset(skip)).all()
        skip = 0
        if len(ids) >= per_page:
            break
    return RowsPage(_rows(ids, now), page, per_page, total)


def _runs(filters: QueueFilters) -> list[tuple]:
    if filters.state in ("open", "overdue"):
        return [OPEN_STATES]
    if filters.state:
        return [(AssessmentState(filters.state),)]
    return [OPEN_STATES, DONE_STATES]


def _ids(actor, filters: QueueFilters, states, now: datetime) -> sa.Select:
    query = sa.select(Assessment.id).where(
        Assessment.hospital_id == getattr(actor, "hospital_id", None), Assessment.state.in_(states)
    )
    if filters.state == "overdue":
        query = query.where(Assessment.due_at < now)
    if filters.batch_id:
        query = query.where(Assessment.batch_id == filters.batch_id)
    conditions = entry_conditions(filters)
    if conditions:
        query = query.join(Entry, Entry.id == Assessment.entry_id).where(*conditions)
    return query


def _count(actor, filters: QueueFilters, states, updates, now: datetime) -> int:
    """From the tally when it can tell (no entry filter, and the states are ones it counts); else counted."""
    tallied = [p for batch, p in updates if not filters.batch_id or batch.id == filters.batch_id]
    counted = _tallied(tallied, filters, states) if updates and not entry_conditions(filters) else None
    if counted is not None:
        return counted
    query = _ids(actor, filters, states, now)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def _tallied(progress: list[Progress], filters: QueueFilters, states) -> int | None:
    if filters.state == "overdue":
        return sum(p.overdue for p in progress)
    counts = {
        OPEN_STATES: lambda p: p.open,
        DONE_STATES: lambda p: p.total - p.open,
        (AssessmentState.DECIDED,): lambda p: p.decided,
        (AssessmentState.CLOSED,): lambda p: p.closed,
    }
    count = counts.get(tuple(states))
    return sum(count(p) for p in progress) if count else None


# Built once: building a statement costs about as much as running it for 50 ids.
_ROWS = (
    sa.select(
        Assessment.id,
        Assessment.state,
        Assessment.outcome,
        Assessment.due_at,
        Assessment.is_late,
        Entry.product_name,
        Entry.model,
        Entry.registration_no,
        Entry.key_area,
        Entry.manufacturer,
        Batch.name.label("batch_name"),
    )
    .join(Entry, Entry.id == Assessment.entry_id)
    .join(Batch, Batch.id == Assessment.batch_id)
    .where(Assessment.id.in_(sa.bindparam("ids", expanding=True)))
)


def _rows(ids: list[int], now: datetime) -> list[QueueRow]:
    if not ids:
        return []
    by_id = {row.id: row for row in db.session.execute(_ROWS, {"ids": ids})}
    return [QueueRow.of(by_id[i], now) for i in ids]
