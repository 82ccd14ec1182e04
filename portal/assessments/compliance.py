"""Compliance figures from the per batch × hospital tally (`AssessmentTally`), never from the assessments.

A page reads one tally row per hospital shown, so it costs the same for 120 thousand or 2.4 million
assessments. "Overdue" depends on the time of the request: a pair is overdue as a whole once its latest due
date has passed (in practice every assessment of a batch shares one due date); only a pair whose due dates
straddle `now` is counted one by one.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from portal.assessments.models import Assessment, AssessmentTally
from portal.assessments.tally import OPEN_STATES
from portal.catalogue.models import Batch, Catalogue
from portal.core import timeutil
from portal.core.paging import RowsPage, paginate_rows
from portal.directory.models import Hospital
from portal.extensions import db

T = AssessmentTally


@dataclass
class Progress:
    total: int = 0
    decided: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    overdue: int = 0
    closed: int = 0
    due_at: datetime | None = None
    extra: dict = field(default_factory=dict)

    @property
    def required(self) -> int:
        """Assessments that had to be done: closed ones (entry delisted) do not count."""
        return self.total - self.closed

    @property
    def on_time_rate(self) -> float | None:
        """On-time decisions among the assessments that are decided or already overdue: items still within
        their deadline are not counted yet, so the rate is meaningful while a batch is running."""
        due = self.decided + self.overdue
        return self.on_time / due if due else None

    @property
    def percent_done(self) -> int:
        return round(100 * self.decided / self.required) if self.required else 100


def overdue(now: datetime):
    """Overdue open assessments of one tally row."""
    straddling = (
        sa.select(sa.func.count())
        .where(
            Assessment.batch_id == T.batch_id,
            Assessment.hospital_id == T.hospital_id,
            Assessment.state.in_(OPEN_STATES),
            Assessment.due_at < now,
        )
        .scalar_subquery()
    )
    return sa.case((T.open == 0, 0), (T.due_max < now, T.open), (T.due_min >= now, 0), else_=straddling)


def summed(now: datetime) -> tuple:
    """Progress columns summed over a group of tally rows."""
    return (
        *(sa.func.coalesce(sa.func.sum(getattr(T, n)), 0).label(n) for n in ("total", "decided", "on_time", "late")),
        sa.func.coalesce(sa.func.sum(T.open), 0).label("open"),
        sa.func.coalesce(sa.func.sum(overdue(now)), 0).label("overdue"),
        sa.func.coalesce(sa.func.sum(T.closed), 0).label("closed"),
        sa.func.max(T.due_max).label("due_at"),
    )


def single(now: datetime) -> tuple:
    """Progress columns of one tally row."""
    return (
        T.total,
        T.decided,
        T.on_time,
        T.late,
        T.open,
        overdue(now).label("overdue"),
        T.closed,
        T.due_max.label("due_at"),
    )


def progress(row) -> Progress:
    return Progress(
        total=row.total,
        decided=row.decided,
        on_time=row.on_time,
        late=row.late,
        open=row.open,
        overdue=row.overdue,
        closed=row.closed,
        due_at=row.due_at,
    )


def batch_totals(batch: Batch, now: datetime | None = None) -> Progress:
    now = now or timeutil.utcnow()
    return progress(db.session.execute(sa.select(*summed(now)).where(T.batch_id == batch.id)).one())


def totals_by_batch(batches, now: datetime | None = None) -> list[tuple[Batch, Progress]]:
    """(batch, totals) for each of `batches`, in one grouped read."""
    now = now or timeutil.utcnow()
    ids = [b.id for b in batches]
    rows = db.session.execute(sa.select(T.batch_id, *summed(now)).where(T.batch_id.in_(ids)).group_by(T.batch_id)).all()
    by_id = {row.batch_id: progress(row) for row in rows}
    return [(b, by_id.get(b.id, Progress())) for b in batches]


@dataclass
class HospitalFilters:
    district: str = ""
    only: str = ""  # "" | "overdue" | "late"

    ONLY = {"": "全部医疗机构", "overdue": "有逾期未完成", "late": "有逾期完成"}

    @classmethod
    def parse(cls, args) -> "HospitalFilters":
        only = args.get("only", "")
        return cls(district=(args.get("district") or "").strip()[:16], only=only if only in cls.ONLY else "")


def batch_compliance(
    batch: Batch, filters: HospitalFilters, page: int, per_page: int, now: datetime | None = None
) -> RowsPage:
    """A page of (hospital, Progress) of the batch: most overdue first, then most late, by district and name."""
    now = now or timeutil.utcnow()
    query = _hospital_rows(batch, filters, now).order_by(
        sa.desc("overdue"), T.late.desc(), Hospital.district, Hospital.name, Hospital.id
    )
    result = paginate_rows(query, page, per_page)
    result.items = [(row.Hospital, progress(row)) for row in result.items]
    return result


def all_hospitals(batch: Batch, now: datetime | None = None) -> list[tuple[Hospital, Progress]]:
    """Every hospital of the batch, for the export."""
    now = now or timeutil.utcnow()
    query = _hospital_rows(batch, HospitalFilters(), now).order_by(
        sa.desc("overdue"), T.late.desc(), Hospital.district, Hospital.name, Hospital.id
    )
    return [(row.Hospital, progress(row)) for row in db.session.execute(query)]


def _hospital_rows(batch: Batch, filters: HospitalFilters, now: datetime) -> sa.Select:
    query = sa.select(Hospital, *single(now)).join(T, T.hospital_id == Hospital.id).where(T.batch_id == batch.id)
    if filters.district:
        query = query.where(Hospital.district == filters.district)
    if filters.only == "overdue":
        query = query.where(T.open > 0, T.due_min < now)
    elif filters.only == "late":
        query = query.where(T.late > 0)
    return query


def districts(batch: Batch) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Hospital.district)
            .join(T, T.hospital_id == Hospital.id)
            .where(T.batch_id == batch.id)
            .distinct()
            .order_by(Hospital.district)
        )
    )


def overdue_items(batch: Batch, now: datetime | None = None, limit: int | None = None):
    """(assessment, hospital, entry) rows overdue, by district, hospital and product.

    With a limit, the hospitals are picked from the tally first, so only their assessments are read."""
    from portal.catalogue.models import Entry

    now = now or timeutil.utcnow()
    query = (
        sa.select(Assessment, Hospital, Entry)
        .join(Hospital, Hospital.id == Assessment.hospital_id)
        .join(Entry, Entry.id == Assessment.entry_id)
        .where(Assessment.batch_id == batch.id, Assessment.state.in_(OPEN_STATES), Assessment.due_at < now)
        .order_by(Hospital.district, Hospital.name, Hospital.id, Entry.product_name, Assessment.id)
    )
    if limit is None:
        return db.session.execute(query).all()
    hospital_ids, counted = [], 0
    late_hospitals = (
        sa.select(T.hospital_id, overdue(now).label("overdue"))
        .join(Hospital, Hospital.id == T.hospital_id)
        .where(T.batch_id == batch.id, T.open > 0, T.due_min < now, overdue(now) > 0)
        .order_by(Hospital.district, Hospital.name, Hospital.id)
        .limit(limit)  # each has at least one overdue item
    )
    for hospital_id, count in db.session.execute(late_hospitals):
        hospital_ids.append(hospital_id)
        counted += count
        if counted >= limit:
            break
    return db.session.execute(query.where(Assessment.hospital_id.in_(hospital_ids)).limit(limit)).all()


# Built once: the queue page asks it on every request, and building it (the overdue subquery, the loader
# option) cost more than running it.
_HOSPITAL_UPDATES = (
    sa.select(Batch, *single(sa.bindparam("now")))
    .join(T, T.batch_id == Batch.id)
    .where(T.hospital_id == sa.bindparam("hospital_id"))
    .options(joinedload(Batch.catalogue))  # each card names its catalogue
)


def hospital_updates(hospital_id: int, now: datetime | None = None, *, open_only: bool = True) -> list:
    """(batch, Progress) per update the hospital has to assess; overdue first, then soonest due."""
    now = now or timeutil.utcnow()
    rows = db.session.execute(_HOSPITAL_UPDATES, {"hospital_id": hospital_id, "now": now}).all()
    result = [(row.Batch, progress(row)) for row in rows if row.open or not open_only]
    result.sort(key=lambda item: (item[1].overdue == 0, item[1].due_at))
    return result


def status_rows(catalogue: Catalogue | None, batch_name: str | None, now: datetime | None = None) -> list[dict]:
    """`flask assessments status`: per hospital over the selected batches. due_at is the earliest due date of
    the hospital's open assessments, or the latest due date when nothing is open."""
    now = now or timeutil.utcnow()
    next_due = sa.func.min(sa.case((T.open > 0, T.due_min))).label("next_due")
    query = (
        sa.select(Hospital.name, Hospital.district, next_due, *summed(now))
        .join(T, T.hospital_id == Hospital.id)
        .join(Batch, Batch.id == T.batch_id)
        .group_by(Hospital.id, Hospital.name, Hospital.district)
        .order_by(Hospital.district, Hospital.name)
    )
    if catalogue is not None:
        query = query.where(Batch.catalogue_id == catalogue.id)
    if batch_name:
        query = query.where(Batch.name == batch_name)
    return [_status(row) for row in db.session.execute(query)]


def _status(row) -> dict:
    due = _aware(row.next_due) or row.due_at
    return {
        "hospital": row.name,
        "district": row.district,
        "total": row.total,
        "decided": row.decided,
        "on_time": row.on_time,
        "late": row.late,
        "open": row.open,
        "due_at": timeutil.to_shanghai(due).isoformat(timespec="seconds") if due else None,
    }


def _aware(value) -> datetime | None:
    """A MIN over a CASE comes back untyped on SQLite (text, naive); make it an aware UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
