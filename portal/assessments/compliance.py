"""Compliance figures from the tallies (`AssessmentTally` per batch × hospital, `AssessmentDistrictTally` per
batch × district), never from the assessments.

A batch page reads its district rows (totals, the district filter, how many hospitals each filter shows) and
the tally rows of the hospitals shown, in the order of an index, so it costs the same for 120 thousand or 2.4
million assessments. "Overdue" depends on the time of the request: a pair (or a district) is overdue as a whole
once its latest due date has passed (in practice every assessment of a batch shares one due date); only rows
whose due dates straddle `now` are counted one by one.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from portal.assessments import tally
from portal.assessments.models import Assessment, AssessmentDistrictTally, AssessmentTally
from portal.assessments.tally import OPEN_STATES
from portal.catalogue.models import Batch, Catalogue
from portal.core import timeutil
from portal.core.paging import RowsPage, clamp
from portal.directory.models import Hospital
from portal.extensions import db

T = AssessmentTally
D = AssessmentDistrictTally


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
    return _overdue_of(T, now, straddling)


def _overdue_of(tally, now: datetime, straddling):
    """A tally row's overdue open assessments: all of its open ones once its latest due date has passed, none
    before its earliest, else `straddling` (counted one by one)."""
    return sa.case((tally.open == 0, 0), (tally.due_max < now, tally.open), (tally.due_min >= now, 0), else_=straddling)


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


# A batch's figures: from its district rows ----------------------------------------------------------------


def district_overdue(now: datetime):
    """Overdue open assessments of one district row (_overdue_of); only a district whose due dates straddle
    `now` counts its hospitals' rows."""
    straddling = (
        sa.select(sa.func.coalesce(sa.func.sum(overdue(now)), 0))
        .where(T.batch_id == D.batch_id, T.district == D.district)
        .scalar_subquery()
    )
    return _overdue_of(D, now, straddling)


def _summed_districts(now: datetime) -> tuple:
    """Progress columns summed over a batch's district rows."""
    return (
        *(sa.func.coalesce(sa.func.sum(getattr(D, n)), 0).label(n) for n in ("total", "decided", "on_time", "late")),
        sa.func.coalesce(sa.func.sum(D.open), 0).label("open"),
        sa.func.coalesce(sa.func.sum(district_overdue(now)), 0).label("overdue"),
        sa.func.coalesce(sa.func.sum(D.closed), 0).label("closed"),
        sa.func.max(D.due_max).label("due_at"),
    )


@dataclass
class DistrictFigures:
    """One district row of a batch: what the hospital table's count and order need to know of it."""

    district: str
    hospitals: int
    hospitals_open: int
    hospitals_late: int
    open: int
    due_min: datetime
    due_max: datetime


@dataclass
class BatchFigures:
    totals: Progress
    districts: list[DistrictFigures]

    @property
    def names(self) -> list[str]:
        """The districts of the batch's hospitals, for the filter."""
        return [d.district for d in self.districts]

    def within(self, district: str) -> list[DistrictFigures]:
        return [d for d in self.districts if not district or d.district == district]


def batch_figures(batch: Batch, now: datetime | None = None) -> BatchFigures:
    """The batch's totals and districts, in one read of its district rows (as many as districts)."""
    now = now or timeutil.utcnow()
    rows = db.session.execute(
        sa.select(D, district_overdue(now).label("overdue")).where(D.batch_id == batch.id).order_by(D.district)
    ).all()
    counts = {name: sum(getattr(row.AssessmentDistrictTally, name) for row in rows) for name in tally.COUNTS}
    totals = Progress(
        **{name: counts[name] for name in ("total", "decided", "on_time", "late", "open", "closed")},
        overdue=sum(row.overdue for row in rows),
        due_at=max((row.AssessmentDistrictTally.due_max for row in rows), default=None),
    )
    return BatchFigures(totals, [_district(row.AssessmentDistrictTally) for row in rows])


def _district(row: AssessmentDistrictTally) -> DistrictFigures:
    return DistrictFigures(
        row.district, row.hospitals, row.hospitals_open, row.hospitals_late, row.open, row.due_min, row.due_max
    )


def batch_totals(batch: Batch, now: datetime | None = None) -> Progress:
    return batch_figures(batch, now).totals


def totals_by_batch(batches, now: datetime | None = None) -> list[tuple[Batch, Progress]]:
    """(batch, totals) for each of `batches`, in one grouped read of their district rows."""
    now = now or timeutil.utcnow()
    ids = [b.id for b in batches]
    rows = db.session.execute(
        sa.select(D.batch_id, *_summed_districts(now)).where(D.batch_id.in_(ids)).group_by(D.batch_id)
    ).all()
    by_id = {row.batch_id: progress(row) for row in rows}
    return [(b, by_id.get(b.id, Progress())) for b in batches]


# The hospital table: read in the order of an index, counted from the district rows --------------------------


@dataclass
class HospitalFilters:
    district: str = ""
    only: str = ""  # "" | "overdue" | "late"

    ONLY = {"": "全部医疗机构", "overdue": "有逾期未完成", "late": "有逾期完成"}

    @classmethod
    def parse(cls, args) -> "HospitalFilters":
        only = args.get("only", "")
        return cls(district=(args.get("district") or "").strip()[:16], only=only if only in cls.ONLY else "")


TIES = (T.district, T.name, T.hospital_id)  # the hospital's district and name, copied into the tally row


def table_order(districts: list[DistrictFigures], now: datetime) -> tuple:
    """Most overdue first, then most late, by district and name. Once every open assessment shown is past due,
    overdue equals open, and while none is due it is 0: both orders are indexes of the tally (models.py), so a
    page reads its own rows. Only when due dates straddle `now` is every row's overdue worked out and sorted."""
    if all(d.open == 0 or d.due_max < now for d in districts):
        return (T.open.desc(), T.late.desc(), *TIES)
    if all(d.open == 0 or d.due_min >= now for d in districts):
        return (T.late.desc(), *TIES)
    return (sa.desc(overdue(now)), T.late.desc(), *TIES)


def _conditions(batch: Batch, filters: HospitalFilters, districts: list[DistrictFigures], now: datetime) -> list:
    conditions = [T.batch_id == batch.id]
    if filters.district:
        conditions.append(T.district == filters.district)
    if filters.only == "overdue":
        conditions.append(T.open > 0)
        if not all(d.due_max < now for d in districts):  # else every row's due dates have passed
            conditions.append(T.due_min < now)  # a column the ordered indexes lack: each row is read
    elif filters.only == "late":
        conditions.append(T.late > 0)
    return conditions


def _count(districts: list[DistrictFigures], filters: HospitalFilters, now: datetime) -> int | None:
    """The hospitals the filters keep, from the district rows; None when due dates straddle `now`."""
    if filters.only == "late":
        return sum(d.hospitals_late for d in districts)
    if filters.only == "overdue":
        counts = [d.hospitals_open if d.due_max < now else 0 if d.due_min >= now else None for d in districts]
        return None if None in counts else sum(counts)
    return sum(d.hospitals for d in districts)


def batch_compliance(
    batch: Batch,
    filters: HospitalFilters,
    page: int,
    per_page: int,
    now: datetime | None = None,
    figures: BatchFigures | None = None,
) -> RowsPage:
    """A page of (hospital, Progress) of the batch: most overdue first, then most late, by district and name."""
    now = now or timeutil.utcnow()
    figures = figures or batch_figures(batch, now)
    districts = figures.within(filters.district)
    conditions = _conditions(batch, filters, districts, now)
    total = _count(districts, filters, now)
    if total is None:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(T).where(*conditions))
    page = clamp(page, per_page, total)
    if not total:
        return RowsPage([], page, per_page, total)
    order = table_order(districts, now)
    # The page's hospitals first, from the index alone; then only their rows, named by id so that no plan
    # reads the whole hospital table to join 50 of them.
    ids = db.session.scalars(
        sa.select(T.hospital_id).where(*conditions).order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).all()
    rows = db.session.execute(
        _hospital_rows(now).where(T.batch_id == batch.id, T.hospital_id.in_(ids), Hospital.id.in_(ids))
    )
    by_id = {row.Hospital.id: (row.Hospital, progress(row)) for row in rows}
    return RowsPage([by_id[i] for i in ids if i in by_id], page, per_page, total)  # (a row gone in between)


@dataclass
class BatchPage:
    totals: Progress
    districts: list[str]  # of the batch's hospitals, for the filter
    hospitals: RowsPage  # of (hospital, Progress)
    overdue: list  # the first overdue items (overdue_items)


def batch_page(
    batch: Batch, filters: HospitalFilters, page: int, per_page: int, *, overdue_shown: int, now: datetime
) -> BatchPage:
    """What a batch's compliance page shows, its district rows read once for the totals, the district filter
    and the table's count and order; the overdue list is not looked for while nothing is overdue."""
    figures = batch_figures(batch, now)
    return BatchPage(
        figures.totals,
        figures.names,
        batch_compliance(batch, filters, page, per_page, now, figures=figures),
        overdue_items(batch, now, limit=overdue_shown) if figures.totals.overdue else [],
    )


def all_hospitals(batch: Batch, now: datetime | None = None) -> list[tuple[Hospital, Progress]]:
    """Every hospital of the batch, for the export."""
    now = now or timeutil.utcnow()
    order = table_order(batch_figures(batch, now).districts, now)
    query = _hospital_rows(now).where(T.batch_id == batch.id).order_by(*order)
    return [(row.Hospital, progress(row)) for row in db.session.execute(query)]


def _hospital_rows(now: datetime) -> sa.Select:
    return sa.select(Hospital, *single(now)).join(T, T.hospital_id == Hospital.id)


def overdue_items(batch: Batch, now: datetime | None = None, limit: int | None = None):
    """(assessment, hospital, entry) rows overdue, by district, hospital and product.

    With a limit, the hospitals are picked from the tally first (in the order of its index of hospitals with
    open assessments), so only their assessments are read."""
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
        .where(T.batch_id == batch.id, T.open > 0, T.due_min < now, overdue(now) > 0)
        .order_by(*TIES)
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
    the hospital's open assessments, or the latest due date when nothing is open.

    Every hospital is a line of the report, so it reads each one's tally rows; only what it prints (no overdue
    count, which could mean counting assessments), and the batch only when it filters on it."""
    counts = (sa.func.sum(getattr(T, name)).label(name) for name in ("total", "decided", "on_time", "late", "open"))
    query = (  # the tally rows carry the hospital's name and district: no join to the hospitals
        sa.select(
            T.name,
            T.district,
            sa.func.min(sa.case((T.open > 0, T.due_min))).label("next_due"),
            sa.func.max(T.due_max).label("due_at"),
            *counts,
        )
        .group_by(T.hospital_id, T.name, T.district)
        .order_by(T.district, T.name)
    )
    if catalogue is not None or batch_name:
        query = query.join(Batch, Batch.id == T.batch_id)
    if catalogue is not None:
        query = query.where(Batch.catalogue_id == catalogue.id)
    if batch_name:
        query = query.where(Batch.name == batch_name)
    shown: dict = {}  # a batch's hospitals share its due date: format each date once
    return [_status(row, shown) for row in db.session.execute(query)]


def _status(row, shown: dict) -> dict:
    due = _aware(row.next_due) or row.due_at
    if due not in shown:
        shown[due] = timeutil.to_shanghai(due).isoformat(timespec="seconds") if due else None
    return {
        "hospital": row.name,
        "district": row.district,
        "total": row.total,
        "decided": row.decided,
        "on_time": row.on_time,
        "late": row.late,
        "open": row.open,
        "due_at": shown[due],
    }


def _aware(value) -> datetime | None:
    """A MIN over a CASE comes back untyped on SQLite (text, naive); make it an aware UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
