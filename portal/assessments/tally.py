"""Keeps `AssessmentTally` in step with the assessments, in the same transaction as every change.

ORM changes are caught in the session's flush: before it, each new, changed or deleted assessment's
contribution (old counts subtracted, new ones added) is summed per batch × hospital; after it, the sums are
applied as increments (`count = count + delta`), which the database serialises per row, so two decisions
committed at once both count. Set-based inserts (publishing) bypass the ORM and call `refresh_batch`.
"""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal.assessments.models import Assessment, AssessmentTally
from portal.workflow import AssessmentState

COUNTS = ("total", "decided", "on_time", "late", "open", "closed")
OPEN_STATES = (AssessmentState.PENDING, AssessmentState.IN_REVIEW)
_PENDING_KEY = "assessment_tally_deltas"


def contribution(state, is_late) -> dict[str, int]:
    """What one assessment in `state` adds to its pair's counts."""
    decided = state == AssessmentState.DECIDED
    return {
        "total": 1,
        "decided": int(decided),
        "on_time": int(decided and not is_late),
        "late": int(decided and bool(is_late)),
        "open": int(state in OPEN_STATES),
        "closed": int(state == AssessmentState.CLOSED),
    }


@dataclass
class _Delta:
    due_min: datetime
    due_max: datetime
    counts: dict = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))

    def add(self, state, is_late, sign: int) -> None:
        for name, value in contribution(state, is_late).items():
            self.counts[name] += sign * value


def _before(obj, name):
    """The committed value of an attribute (active_history guarantees it was loaded)."""
    history = inspect(obj).attrs[name].history
    if history.deleted:
        return history.deleted[0]
    return history.unchanged[0] if history.unchanged else getattr(obj, name)


def _collect(session: Session, flush_context, instances) -> None:
    """Note each change's contributions; new rows get their ids only in the flush, so they are keyed after it."""
    changes: list = session.info.setdefault(_PENDING_KEY, [])
    for obj in session.new:
        if isinstance(obj, Assessment):
            changes.append((obj, obj.state or AssessmentState.PENDING, obj.is_late, +1))
    for obj in session.dirty:
        if isinstance(obj, Assessment) and session.is_modified(obj):
            old_state, old_late = _before(obj, "state"), _before(obj, "is_late")
            if (old_state, old_late) != (obj.state, obj.is_late):
                changes += [(obj, old_state, old_late, -1), (obj, obj.state, obj.is_late, +1)]
    for obj in session.deleted:
        if isinstance(obj, Assessment):
            changes.append((obj, _before(obj, "state"), _before(obj, "is_late"), -1))


def _deltas(changes) -> dict[tuple[int, int], _Delta]:
    deltas: dict[tuple[int, int], _Delta] = {}
    for a, state, is_late, sign in changes:
        key = (a.batch_id, a.hospital_id)
        item = deltas.setdefault(key, _Delta(a.due_at, a.due_at))
        item.due_min, item.due_max = min(item.due_min, a.due_at), max(item.due_max, a.due_at)
        item.add(state, is_late, sign)
    return deltas


def _apply(session: Session, flush_context) -> None:
    changes = session.info.pop(_PENDING_KEY, None)
    if not changes:
        return
    rows = [
        dict(batch_id=batch_id, hospital_id=hospital_id, due_min=item.due_min, due_max=item.due_max, **item.counts)
        for (batch_id, hospital_id), item in sorted(_deltas(changes).items())  # one lock order: no deadlocks
        if any(item.counts.values())
    ]
    connection = session.connection()
    table = AssessmentTally.__table__
    for row in rows:
        connection.execute(_upsert(connection, add=True).values(row))
        if row["total"] < 0:  # assessments deleted: a pair left with none has no row
            key = (table.c.batch_id == row["batch_id"]) & (table.c.hospital_id == row["hospital_id"])
            connection.execute(table.delete().where(key, table.c.total <= 0))


def _discard(session: Session, *args) -> None:
    session.info.pop(_PENDING_KEY, None)


def _upsert(connection, *, add: bool):
    """INSERT pair rows; on conflict add to (add=True) or replace (add=False) the stored counts."""
    table = AssessmentTally.__table__
    is_pg = connection.dialect.name == "postgresql"
    statement = (postgresql if is_pg else sqlite).insert(table)
    least, greatest = (sa.func.least, sa.func.greatest) if is_pg else (sa.func.min, sa.func.max)
    excluded = statement.excluded
    values = {name: (table.c[name] + excluded[name]) if add else excluded[name] for name in COUNTS}
    values["due_min"] = least(table.c.due_min, excluded.due_min) if add else excluded.due_min
    values["due_max"] = greatest(table.c.due_max, excluded.due_max) if add else excluded.due_max
    return statement.on_conflict_do_update(index_elements=["batch_id", "hospital_id"], set_=values)


def _sum_if(condition):
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def aggregate(where) -> sa.Select:
    """The tally rows recomputed from the assessments matching `where`, one per batch × hospital."""
    decided = Assessment.state == AssessmentState.DECIDED
    return (
        sa.select(
            Assessment.batch_id,
            Assessment.hospital_id,
            sa.func.count(Assessment.id).label("total"),
            _sum_if(decided).label("decided"),
            _sum_if(sa.and_(decided, Assessment.is_late.is_(False))).label("on_time"),
            _sum_if(sa.and_(decided, Assessment.is_late.is_(True))).label("late"),
            _sum_if(Assessment.state.in_(OPEN_STATES)).label("open"),
            _sum_if(Assessment.state == AssessmentState.CLOSED).label("closed"),
            sa.func.min(Assessment.due_at).label("due_min"),
            sa.func.max(Assessment.due_at).label("due_max"),
        )
        .where(where)
        .group_by(Assessment.batch_id, Assessment.hospital_id)
    )


def refresh_batch(session: Session, batch_id: int) -> None:
    """Recompute a batch's tally from its assessments, after a set-based insert that the flush did not see.

    Publishing holds the batch, so no decision on its new assessments can run at the same time."""
    connection = session.connection()
    columns = ["batch_id", "hospital_id", *COUNTS, "due_min", "due_max"]
    statement = _upsert(connection, add=False)
    # The SELECT has a WHERE, which SQLite's parser needs before an upsert clause.
    connection.execute(statement.from_select(columns, aggregate(Assessment.batch_id == batch_id)))


def install() -> None:
    """Listen to every session's flushes (called once from the app factory)."""
    if not event.contains(Session, "before_flush", _collect):
        event.listen(Session, "before_flush", _collect)
        event.listen(Session, "after_flush", _apply)
        event.listen(Session, "after_soft_rollback", _discard)
