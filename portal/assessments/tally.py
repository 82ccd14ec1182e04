"""Keeps `AssessmentTally` and `AssessmentDistrictTally` in step with the assessments, in the same transaction.

ORM changes are caught in the session's flush: before it, each new, changed or deleted assessment's
contribution (old counts subtracted, new ones added) is summed per batch × hospital; after it, the sums are
applied as increments (`count = count + delta`), which the database serialises per row, so two decisions
committed at once both count. Each pair row's update returns its new counts, from which its district row's
hospital counts (with any, with open, with late assessments) follow. A hospital renamed or moved to another
district carries its pair rows (and their share of the district rows) along.

The district rows are shared by every hospital of a district, so their increments are gathered over the
transaction and written just before it commits, in key order: a row lock is then held for the commit only,
not for the rest of a long transaction (an import deciding thousands of rows, flushing as it goes) that would
hold up every decision of the district, and two transactions take those locks in one order after all of their
other writes, so they cannot deadlock on them. Increments gathered in a savepoint that rolls back are dropped.
Set-based inserts (publishing) bypass the ORM and call `refresh_batch`.
"""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal.assessments.models import Assessment, AssessmentDistrictTally, AssessmentTally
from portal.directory.models import Hospital
from portal.workflow import AssessmentState

COUNTS = ("total", "decided", "on_time", "late", "open", "closed")
HOSPITAL_COUNTS = ("hospitals", "hospitals_open", "hospitals_late")
OPEN_STATES = (AssessmentState.PENDING, AssessmentState.IN_REVIEW)
_PENDING_KEY = "assessment_tally_deltas"
_HOSPITALS_KEY = "assessment_tally_hospitals"
_DISTRICTS_KEY = "assessment_tally_districts"  # [(savepoint or None, {(batch id, district): _Delta})]
_SETTLED_KEY = "assessment_tally_settled"  # the commit has written them: a later flush writes its own at once

T = AssessmentTally
D = AssessmentDistrictTally


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


def hospital_flags(total: int, open_: int, late: int) -> dict[str, int]:
    """What one pair row with these counts adds to its district row's hospital counts."""
    return {"hospitals": int(total > 0), "hospitals_open": int(open_ > 0), "hospitals_late": int(late > 0)}


@dataclass
class _Delta:
    due_min: datetime
    due_max: datetime
    counts: dict = field(default_factory=lambda: dict.fromkeys(COUNTS + HOSPITAL_COUNTS, 0))

    def add(self, values: dict, sign: int = 1) -> None:
        for name, value in values.items():
            self.counts[name] += sign * value

    def widen(self, due_min, due_max) -> None:
        self.due_min, self.due_max = min(self.due_min, due_min), max(self.due_max, due_max)


def _slot(deltas: dict, key, due_min, due_max) -> _Delta:
    """The delta of `key` in `deltas`, its due dates widened to take in due_min..due_max."""
    item = deltas.setdefault(key, _Delta(due_min, due_max))
    item.widen(due_min, due_max)
    return item


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
        elif isinstance(obj, Hospital) and _renamed_or_moved(obj):
            session.info.setdefault(_HOSPITALS_KEY, set()).add(obj.id)
    for obj in session.deleted:
        if isinstance(obj, Assessment):
            changes.append((obj, _before(obj, "state"), _before(obj, "is_late"), -1))


def _renamed_or_moved(hospital: Hospital) -> bool:
    state = inspect(hospital)
    return state.attrs.name.history.has_changes() or state.attrs.district.history.has_changes()


def _deltas(changes) -> dict[tuple[int, int], _Delta]:
    deltas: dict[tuple[int, int], _Delta] = {}
    for a, state, is_late, sign in changes:
        _slot(deltas, (a.batch_id, a.hospital_id), a.due_at, a.due_at).add(contribution(state, is_late), sign)
    return deltas


def _apply(session: Session, flush_context) -> None:
    changes = session.info.pop(_PENDING_KEY, None)
    hospitals = session.info.pop(_HOSPITALS_KEY, None)
    if not changes and not hospitals:
        return
    connection = session.connection()
    districts: dict[tuple[int, str], _Delta] = {}
    if changes:
        _apply_pairs(connection, _deltas(changes), districts)
    for hospital_id in sorted(hospitals or ()):
        _follow_hospital(connection, hospital_id, districts)
    if session.info.get(_SETTLED_KEY):
        _apply_districts(connection, districts)
    elif districts:
        session.info.setdefault(_DISTRICTS_KEY, []).append((session.get_nested_transaction(), districts))


def _apply_pairs(connection, deltas: dict, districts: dict) -> None:
    """Add each pair's delta to its row; what the row's change means for its district goes into `districts`."""
    deltas = {key: item for key, item in sorted(deltas.items()) if any(item.counts.values())}  # one lock order
    if not deltas:
        return
    ids = sorted({hospital_id for _, hospital_id in deltas})
    names = {row.id: row for row in connection.execute(sa.select(Hospital.id, Hospital.district, Hospital.name)
                                                        .where(Hospital.id.in_(ids)))}
    statement = _upsert(connection, T, add=True).returning(T.district, T.total, T.open, T.late)
    for (batch_id, hospital_id), item in deltas.items():
        counts = {name: item.counts[name] for name in COUNTS}
        hospital = names[hospital_id]
        row = dict(batch_id=batch_id, hospital_id=hospital_id, district=hospital.district, name=hospital.name,
                   due_min=item.due_min, due_max=item.due_max, **counts)
        new = connection.execute(statement.values(row)).one()
        old = (new.total - counts["total"], new.open - counts["open"], new.late - counts["late"])
        if new.total <= 0:  # assessments deleted: a pair left with none has no row
            connection.execute(T.__table__.delete().where(T.batch_id == batch_id, T.hospital_id == hospital_id))
        target = _slot(districts, (batch_id, new.district), item.due_min, item.due_max)
        target.add(counts)
        target.add(hospital_flags(new.total, new.open, new.late))
        target.add(hospital_flags(*old), -1)


def _follow_hospital(connection, hospital_id: int, districts: dict) -> None:
    """Copy a hospital's new name and district into its pair rows; a moved hospital's counts change district."""
    hospital = connection.execute(
        sa.select(Hospital.district, Hospital.name).where(Hospital.id == hospital_id)
    ).one()
    moved = connection.execute(
        sa.select(T).where(T.hospital_id == hospital_id, T.district != hospital.district).order_by(T.batch_id)
    ).all()
    for row in moved:
        values = {name: getattr(row, name) for name in COUNTS} | hospital_flags(row.total, row.open, row.late)
        for district, sign in ((row.district, -1), (hospital.district, +1)):
            _slot(districts, (row.batch_id, district), row.due_min, row.due_max).add(values, sign)
    connection.execute(
        T.__table__.update()
        .where(T.hospital_id == hospital_id, sa.or_(T.district != hospital.district, T.name != hospital.name))
        .values(district=hospital.district, name=hospital.name)
    )


def _settle(session: Session) -> None:
    """Before the commit: write the district rows' increments gathered over the transaction."""
    if session.in_nested_transaction():
        return  # a savepoint released: the outer transaction writes them
    session.flush()  # gather what is still pending
    gathered = session.info.pop(_DISTRICTS_KEY, [])
    session.info[_SETTLED_KEY] = True
    merged: dict[tuple[int, str], _Delta] = {}
    for _savepoint, districts in gathered:
        for key, item in districts.items():
            _slot(merged, key, item.due_min, item.due_max).add(item.counts)
    if merged:
        _apply_districts(session.connection(), merged)


def _apply_districts(connection, districts: dict) -> None:
    statement = _upsert(connection, D, add=True)
    for (batch_id, district), item in sorted(districts.items()):  # after every pair row: one lock order
        if not any(item.counts.values()):
            continue
        connection.execute(
            statement.values(batch_id=batch_id, district=district, due_min=item.due_min, due_max=item.due_max,
                             **item.counts)
        )
        if item.counts["hospitals"] < 0:  # a district left without hospitals in the batch has no row
            connection.execute(
                D.__table__.delete().where(D.batch_id == batch_id, D.district == district, D.hospitals <= 0)
            )


def _discard(session: Session, previous) -> None:
    """A rollback: forget the flush's pending changes and the district increments of what was rolled back."""
    session.info.pop(_PENDING_KEY, None)
    session.info.pop(_HOSPITALS_KEY, None)
    boundary = previous  # a failed flush rolls back to the nearest savepoint, or the whole transaction
    while boundary.parent is not None and not boundary.nested:
        boundary = boundary.parent
    gathered = session.info.get(_DISTRICTS_KEY, [])
    gathered[:] = [(sp, d) for sp, d in gathered if boundary.nested and boundary not in _enclosing(sp)]


def _enclosing(savepoint):
    while savepoint is not None:
        yield savepoint
        savepoint = savepoint.parent


def _forget(session: Session, transaction) -> None:
    """The whole transaction ended (committed, rolled back or closed): nothing carries over to the next."""
    if transaction.parent is None:
        session.info.pop(_DISTRICTS_KEY, None)
        session.info.pop(_SETTLED_KEY, None)


def _upsert(connection, model, *, add: bool):
    """INSERT rows of a tally table; on conflict add to (add=True) or replace (add=False) the stored counts.

    Adding leaves a pair row's copies of the hospital's name and district alone: `_follow_hospital` moves them,
    together with the district rows' counts."""
    table = model.__table__
    is_pg = connection.dialect.name == "postgresql"
    statement = (postgresql if is_pg else sqlite).insert(table)
    least, greatest = (sa.func.least, sa.func.greatest) if is_pg else (sa.func.min, sa.func.max)
    excluded = statement.excluded
    names = [name for name in COUNTS + HOSPITAL_COUNTS if name in table.c]
    values = {name: (table.c[name] + excluded[name]) if add else excluded[name] for name in names}
    values["due_min"] = least(table.c.due_min, excluded.due_min) if add else excluded.due_min
    values["due_max"] = greatest(table.c.due_max, excluded.due_max) if add else excluded.due_max
    if not add and model is T:
        values |= {"district": excluded.district, "name": excluded.name}
    keys = [column.name for column in table.primary_key.columns]
    return statement.on_conflict_do_update(index_elements=keys, set_=values)


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


def district_aggregate(pairs) -> sa.Select:
    """District rows summed from `pairs` (a subquery or table shaped like the tally, with a district column)."""
    return sa.select(
        pairs.c.batch_id,
        pairs.c.district,
        sa.func.count().label("hospitals"),
        _sum_if(pairs.c.open > 0).label("hospitals_open"),
        _sum_if(pairs.c.late > 0).label("hospitals_late"),
        *(sa.func.coalesce(sa.func.sum(pairs.c[name]), 0).label(name) for name in COUNTS),
        sa.func.min(pairs.c.due_min).label("due_min"),
        sa.func.max(pairs.c.due_max).label("due_max"),
    ).group_by(pairs.c.batch_id, pairs.c.district)


def refresh_batch(session: Session, batch_id: int) -> None:
    """Recompute a batch's tally from its assessments, after a set-based insert that the flush did not see.

    Publishing holds the batch, so no decision on its new assessments can run at the same time."""
    connection = session.connection()
    pairs = aggregate(Assessment.batch_id == batch_id).subquery()
    rows = (
        sa.select(pairs.c.batch_id, pairs.c.hospital_id, Hospital.district, Hospital.name,
                  *(pairs.c[name] for name in COUNTS), pairs.c.due_min, pairs.c.due_max)
        .select_from(pairs, Hospital.__table__)
        .where(Hospital.id == pairs.c.hospital_id)  # a WHERE, which SQLite's parser needs before an upsert clause
    )
    columns = ["batch_id", "hospital_id", "district", "name", *COUNTS, "due_min", "due_max"]
    connection.execute(_upsert(connection, T, add=False).from_select(columns, rows))
    refresh_districts(session, batch_id)


def refresh_districts(session: Session, batch_id: int) -> None:
    """Rebuild a batch's district rows from its pair rows (a few thousand, at most one per hospital). The pair
    rows already hold the increments gathered for the batch so far, which are dropped."""
    for _savepoint, districts in session.info.get(_DISTRICTS_KEY, []):
        for key in [key for key in districts if key[0] == batch_id]:
            del districts[key]
    connection = session.connection()
    connection.execute(D.__table__.delete().where(D.batch_id == batch_id))
    pairs = sa.select(T).where(T.batch_id == batch_id).subquery()
    columns = ["batch_id", "district", *HOSPITAL_COUNTS, *COUNTS, "due_min", "due_max"]
    connection.execute(sa.insert(D).from_select(columns, district_aggregate(pairs)))


def install() -> None:
    """Listen to every session's flushes (called once from the app factory)."""
    if not event.contains(Session, "before_flush", _collect):
        event.listen(Session, "before_flush", _collect)
        event.listen(Session, "after_flush", _apply)
        event.listen(Session, "after_soft_rollback", _discard)
        event.listen(Session, "before_commit", _settle)
        event.listen(Session, "after_transaction_end", _forget)
