"""Adoption figures, aggregated in SQL (DESIGN §4, §6): per entry, district, hospital and month.

Every figure counts assessments of public hospitals (one hospital × one listed entry) within a `Scope`
(catalogue, batch, district, hospital, entry). One GROUP BY per table, so a dashboard over 12,000 hospitals
× 200 entries reads a handful of aggregates, never the rows.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from portal.adoption.models import Equipping, HospitalRollup, MonthRollup, UsageReport
from portal.adoption.permissions import require_product_adoption
from portal.assessments.models import Assessment, Outcome
from portal.assessments.services import OPEN_STATES
from portal.catalogue.models import Batch, Entry
from portal.core import timeutil
from portal.core.paging import RowsPage, paginate_rows
from portal.directory.models import Hospital
from portal.extensions import db
from portal.workflow import AssessmentState

COUNT_KEYS = (
    "hospitals",
    "decided",
    "admitted",
    "declined",
    "not_applicable",
    "on_time",
    "late",
    "open",
    "overdue",
    "equipped",
    "in_use",
    "uses",
)


@dataclass(frozen=True)
class Scope:
    catalogue_id: int | None = None
    batch_id: int | None = None
    district: str | None = None
    hospital_id: int | None = None
    entry_id: int | None = None

    def apply(self, query):
        if self.catalogue_id:
            query = query.where(Batch.catalogue_id == self.catalogue_id)
        if self.batch_id:
            query = query.where(Assessment.batch_id == self.batch_id)
        if self.district:
            query = query.where(Hospital.district == self.district)
        if self.hospital_id:
            query = query.where(Assessment.hospital_id == self.hospital_id)
        if self.entry_id:
            query = query.where(Assessment.entry_id == self.entry_id)
        return query


def _sum(condition):
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def count_columns(now: datetime) -> list:
    decided = Assessment.state == AssessmentState.DECIDED
    admitted = sa.and_(decided, Assessment.outcome == Outcome.ADMITTED)
    is_open = Assessment.state.in_(OPEN_STATES)
    return [
        sa.func.count(Assessment.id).label("hospitals"),
        _sum(decided).label("decided"),
        _sum(admitted).label("admitted"),
        _sum(sa.and_(decided, Assessment.outcome == Outcome.DECLINED)).label("declined"),
        _sum(sa.and_(decided, Assessment.outcome == Outcome.NOT_APPLICABLE)).label("not_applicable"),
        _sum(sa.and_(decided, Assessment.is_late.is_(False))).label("on_time"),
        _sum(sa.and_(decided, Assessment.is_late.is_(True))).label("late"),
        _sum(is_open).label("open"),
        _sum(sa.and_(is_open, Assessment.due_at < now)).label("overdue"),
        _sum(sa.and_(admitted, Equipping.id.is_not(None))).label("equipped"),
        _sum(Equipping.uses_total > 0).label("in_use"),
        sa.func.coalesce(sa.func.sum(Equipping.uses_total), 0).label("uses"),
    ]


def base_query(columns, scope: Scope, *, adoption: bool = True):
    """Assessments of public hospitals in `scope`, with equipping (and so total uses) joined when `adoption`."""
    query = (
        sa.select(*columns)
        .select_from(Assessment)
        .join(Hospital, Hospital.id == Assessment.hospital_id)
        .join(Batch, Batch.id == Assessment.batch_id)
        .where(Hospital.is_public.is_(True))
    )
    if adoption:
        query = query.outerjoin(Equipping, Equipping.assessment_id == Assessment.id)
    return scope.apply(query)


def counts(row) -> dict:
    """The counts of a result row, with the on-time rate: on-time decisions ÷ (decided + overdue), as in the
    reviewers' compliance pages; None while nothing is due yet."""
    return _with_rate({key: int(getattr(row, key) or 0) for key in COUNT_KEYS})


# Tables -----------------------------------------------------------------------------------------------------


REPORT_KEYS = (
    "entry_id",
    "registration_no",
    "product_name",
    "hospitals",
    "decided",
    "admitted",
    "declined",
    "not_applicable",
    "late",
    "open",
    "equipped",
    "in_use",
    "uses",
)


def entry_counts(scope: Scope, now: datetime | None = None) -> list[dict]:
    """Per entry in scope: every count, by entry id."""
    now = now or timeutil.utcnow()
    query = (
        base_query([Entry.id, Entry.registration_no, Entry.product_name, *count_columns(now)], scope)
        .join(Entry, Entry.id == Assessment.entry_id)
        .group_by(Entry.id, Entry.registration_no, Entry.product_name)
        .order_by(Entry.id)
    )
    return [
        {"entry_id": row.id, "registration_no": row.registration_no, "product_name": row.product_name, **counts(row)}
        for row in db.session.execute(query)
    ]


def by_entry(scope: Scope, now: datetime | None = None) -> list[dict]:
    """`adoption report`: one row per entry, exactly the keys of DESIGN §6."""
    return [{key: row[key] for key in REPORT_KEYS} for row in entry_counts(scope, now)]


def _rollup_scope(query, scope: Scope, model):
    if scope.catalogue_id:
        query = query.join(Batch, Batch.id == model.batch_id).where(Batch.catalogue_id == scope.catalogue_id)
    if scope.batch_id:
        query = query.where(model.batch_id == scope.batch_id)
    if scope.district:
        query = query.where(Hospital.district == scope.district)
    if scope.hospital_id:
        query = query.where(model.hospital_id == scope.hospital_id)
    return query


def hospital_counts(scope: Scope, now: datetime | None = None) -> list[dict]:
    """Every count per hospital in scope, read from the rollup (one row per batch × hospital); districts, the
    funnel and the ranking are summed from these rows. An entry's scope is counted from its assessments."""
    if scope.entry_id:
        return _live_hospital_counts(scope, now)
    now = now or timeutil.utcnow()
    r = HospitalRollup
    stored = [sa.func.coalesce(sa.func.sum(getattr(r, key)), 0).label(key) for key in COUNT_KEYS if key != "overdue"]
    overdue = sa.func.coalesce(sa.func.sum(sa.case((r.due_at < now, r.open), else_=0)), 0).label("overdue")
    query = (
        sa.select(Hospital.id, Hospital.name, Hospital.district, *stored, overdue)
        .select_from(r)
        .join(Hospital, Hospital.id == r.hospital_id)
        .group_by(Hospital.id, Hospital.name, Hospital.district)
    )
    rows = db.session.execute(_rollup_scope(query, scope, r))
    return [{"hospital_id": x.id, "hospital": x.name, "district": x.district, **counts(x)} for x in rows]


def _live_hospital_counts(scope: Scope, now: datetime | None) -> list[dict]:
    now = now or timeutil.utcnow()
    query = base_query([Hospital.id, Hospital.name, Hospital.district, *count_columns(now)], scope)
    rows = db.session.execute(query.group_by(Hospital.id, Hospital.name, Hospital.district))
    return [{"hospital_id": r.id, "hospital": r.name, "district": r.district, **counts(r)} for r in rows]


def _with_rate(values: dict) -> dict:
    due = values["decided"] + values["overdue"]
    values["on_time_rate"] = values["on_time"] / due if due else None
    return values


def _rank_key(row: dict):
    """Best on-time rate first; rows with nothing due yet last; then fewer overdue, then by name."""
    rate = row["on_time_rate"]
    return (rate is None, -(rate or 0), row["overdue"], row["district"], row.get("hospital", ""))


def by_district(hospital_rows: list[dict]) -> list[dict]:
    """Per district, summed from the hospital rows, ranked by on-time rate."""
    districts: dict[str, dict] = {}
    for row in hospital_rows:
        target = districts.setdefault(
            row["district"], {"district": row["district"], "hospital_count": 0, **dict.fromkeys(COUNT_KEYS, 0)}
        )
        target["hospital_count"] += 1
        for key in COUNT_KEYS:
            target[key] += row[key]
    return sorted((_with_rate(d) for d in districts.values()), key=_rank_key)


def totals(district_rows: list[dict]) -> dict:
    """The funnel over the whole scope, summed from the district rows."""
    result = {key: sum(r[key] for r in district_rows) for key in COUNT_KEYS}
    result["hospital_count"] = sum(r["hospital_count"] for r in district_rows)
    return _with_rate(result)


def reach(scope: Scope, hospital_rows: list[dict]) -> dict:
    """ "N 款产品已进入 M 家医疗机构": entries admitted somewhere in scope (an indexed probe per entry, never a
    scan of the assessments), hospitals that admitted something, and the catalogue products selected."""
    admitted = sa.and_(Assessment.state == AssessmentState.DECIDED, Assessment.outcome == Outcome.ADMITTED)

    def probe(*conditions):
        query = base_query([sa.literal(1)], scope, adoption=False).where(Assessment.entry_id == Entry.id, *conditions)
        # LIMIT keeps PostgreSQL from turning the probe into a hash semi-join over every assessment: each entry
        # is looked up through the entry_id index and stops at the first match.
        return sa.exists(query.limit(1))

    entries = sa.select(sa.func.count(Entry.id))
    for column, value in ((Entry.catalogue_id, scope.catalogue_id), (Entry.batch_id, scope.batch_id)):
        entries = entries.where(column == value) if value else entries
    if scope.entry_id:
        entries = entries.where(Entry.id == scope.entry_id)
    # The selection's catalogue products, whatever the district: a count over entries, not a probe of each.
    listed = db.session.scalar(entries)
    products = db.session.scalar(entries.where(probe(admitted)))
    hospitals = sum(1 for r in hospital_rows if r["admitted"])
    return {"products": products or 0, "hospitals": hospitals, "listed": listed or 0}


def ranked(hospital_rows: list[dict], page: int, per_page: int) -> RowsPage:
    """The hospitals ranked by on-time rate, numbered, one page of them."""
    rows = sorted(hospital_rows, key=_rank_key)
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return RowsPage(rows[(page - 1) * per_page : page * per_page], page, per_page, len(rows))


def _month(column):
    """YYYY-MM of a UTC timestamp, in Shanghai time, in the database's own functions."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("Asia/Shanghai", column), "YYYY-MM")
    return sa.func.strftime("%Y-%m", column, "+8 hours")


def trends(scope: Scope, months: list[str]) -> list[dict]:
    """Per month of `months`: decisions made (late ones too) and uses reported, from the month rollup."""
    r = MonthRollup
    query = (
        sa.select(r.month, sa.func.sum(r.decisions), sa.func.sum(r.uses))
        .join(Hospital, Hospital.id == r.hospital_id)
        .where(Hospital.is_public.is_(True), r.month.in_(months))
        .group_by(r.month)
    )
    found = {m: (int(d or 0), int(u or 0)) for m, d, u in db.session.execute(_rollup_scope(query, scope, r))}
    return [{"month": m, "decisions": found.get(m, (0, 0))[0], "uses": found.get(m, (0, 0))[1]} for m in months]


def overdue(scope: Scope, now: datetime | None = None):
    """Open assessments past their due date in scope (a query: the caller pages it), longest overdue first."""
    from portal.adoption.models import Chase

    now = now or timeutil.utcnow()
    query = (
        sa.select(Assessment, Hospital, Entry, Chase)
        .join(Hospital, Hospital.id == Assessment.hospital_id)
        .join(Entry, Entry.id == Assessment.entry_id)
        .join(Batch, Batch.id == Assessment.batch_id)
        .outerjoin(Chase, Chase.assessment_id == Assessment.id)
        .where(Hospital.is_public.is_(True), Assessment.state.in_(OPEN_STATES), Assessment.due_at < now)
    )
    # Oldest deadline first; within one batch every due date is the same, and the primary key alone lets a page
    # stop after its rows instead of sorting hundreds of thousands.
    order = (Assessment.id,) if scope.batch_id else (Assessment.due_at, Assessment.id)
    return scope.apply(query).order_by(*order)


def overdue_rows(scope: Scope, now: datetime | None = None) -> list:
    """Every overdue row in scope (the dashboard's export)."""
    return db.session.execute(overdue(scope, now)).all()


def overdue_page(scope: Scope, total: int, page: int, per_page: int, now: datetime | None = None) -> RowsPage:
    """A page of the overdue list; `total` comes from the rollup, so no count scans the assessments."""
    return paginate_rows(overdue(scope, now), page, per_page, total=total)


def usage_by_month(assessment_ids: list[int]) -> dict[int, list]:
    """{assessment id: [(month, uses), …] newest first} for a page of rows."""
    result: dict[int, list] = {}
    if not assessment_ids:
        return result
    rows = db.session.execute(
        sa.select(UsageReport.assessment_id, UsageReport.month, UsageReport.uses)
        .where(UsageReport.assessment_id.in_(assessment_ids))
        .order_by(UsageReport.assessment_id, UsageReport.month.desc())
    )
    for assessment_id, month, uses in rows:
        result.setdefault(assessment_id, []).append((month, uses))
    return result


def assessment_rows(scope: Scope):
    """Drill-down rows (assessment, hospital, entry, equipping, total uses) in scope: a query to page."""
    return (
        base_query(
            [Assessment, Hospital, Entry, Equipping, sa.func.coalesce(Equipping.uses_total, 0).label("uses")], scope
        )
        .join(Entry, Entry.id == Assessment.entry_id)
        .order_by(Hospital.district, Hospital.name, Entry.product_name, Assessment.id)
    )


def export_rows(scope: Scope) -> list:
    """Every row of `assessment_rows`, for a spreadsheet."""
    return db.session.execute(assessment_rows(scope)).all()


def company_entry(actor, entry_id) -> Entry:
    """A listed entry of the company's own product, whose adoption it follows; anyone else's is NotFound."""
    entry = db.session.get(Entry, entry_id) if entry_id is not None else None
    require_product_adoption(actor, entry)
    return entry
