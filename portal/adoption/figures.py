"""Adoption figures, aggregated in SQL (DESIGN §4, §6): per entry, district, hospital and month.

Every figure counts assessments of public hospitals (one hospital × one listed entry) within a `Scope`
(catalogue, batch, district, hospital, entry). One GROUP BY per table, so a dashboard over 12,000 hospitals
× 200 entries reads a handful of aggregates, never the rows.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from portal.adoption.models import Equipping, UsageReport
from portal.assessments.models import Assessment, Outcome
from portal.assessments.services import OPEN_STATES
from portal.catalogue.models import Batch, Entry
from portal.core import timeutil
from portal.directory.models import Hospital
from portal.extensions import db
from portal.workflow import AssessmentState

USES = (
    sa.select(UsageReport.assessment_id, sa.func.sum(UsageReport.uses).label("uses"))
    .group_by(UsageReport.assessment_id)
    .subquery("uses")
)
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
        _sum(sa.func.coalesce(USES.c.uses, 0) > 0).label("in_use"),
        sa.func.coalesce(sa.func.sum(USES.c.uses), 0).label("uses"),
    ]


def base_query(columns, scope: Scope):
    """Assessments of public hospitals in `scope`, with equipping and total uses joined."""
    query = (
        sa.select(*columns)
        .select_from(Assessment)
        .join(Hospital, Hospital.id == Assessment.hospital_id)
        .join(Batch, Batch.id == Assessment.batch_id)
        .outerjoin(Equipping, Equipping.assessment_id == Assessment.id)
        .outerjoin(USES, USES.c.assessment_id == Assessment.id)
        .where(Hospital.is_public.is_(True))
    )
    return scope.apply(query)


def counts(row) -> dict:
    values = {key: int(getattr(row, key) or 0) for key in COUNT_KEYS}
    due = values["decided"] + values["overdue"]
    values["on_time_rate"] = values["on_time"] / due if due else None
    return values


def rate_expression(now):
    """On-time decisions ÷ (decided + overdue), as in the reviewers' compliance pages; NULL when nothing is due."""
    decided = Assessment.state == AssessmentState.DECIDED
    on_time = _sum(sa.and_(decided, Assessment.is_late.is_(False)))
    due = _sum(decided) + _sum(sa.and_(Assessment.state.in_(OPEN_STATES), Assessment.due_at < now))
    return sa.cast(on_time, sa.Float) / sa.func.nullif(due, 0)


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


def by_district(scope: Scope, now: datetime | None = None) -> list[dict]:
    """Per district: compliance and adoption counts, ranked by on-time rate (best first)."""
    now = now or timeutil.utcnow()
    query = base_query(
        [Hospital.district, sa.func.count(sa.distinct(Hospital.id)).label("n"), *count_columns(now)], scope
    )
    rows = [
        {"district": row.district, "hospital_count": row.n, **counts(row)}
        for row in db.session.execute(query.group_by(Hospital.district))
    ]
    rows.sort(key=lambda r: (r["on_time_rate"] is None, -(r["on_time_rate"] or 0), -r["overdue"], r["district"]))
    return rows


def totals(district_rows: list[dict]) -> dict:
    """The funnel over the whole scope, summed from the district rows (saves a scan)."""
    result = {key: sum(r[key] for r in district_rows) for key in COUNT_KEYS}
    result["hospital_count"] = sum(r["hospital_count"] for r in district_rows)
    due = result["decided"] + result["overdue"]
    result["on_time_rate"] = result["on_time"] / due if due else None
    return result


def reach(scope: Scope) -> dict:
    """ "N 款产品已进入 M 家医疗机构": entries admitted somewhere, and hospitals that admitted something."""
    admitted = sa.and_(Assessment.state == AssessmentState.DECIDED, Assessment.outcome == Outcome.ADMITTED)
    query = base_query(
        [
            sa.func.count(sa.distinct(Assessment.entry_id)).label("products"),
            sa.func.count(sa.distinct(Assessment.hospital_id)).label("hospitals"),
        ],
        scope,
    ).where(admitted)
    row = db.session.execute(query).one()
    listed = db.session.scalar(base_query([sa.func.count(sa.distinct(Assessment.entry_id))], scope))
    return {"products": row.products, "hospitals": row.hospitals, "listed": listed or 0}


@dataclass
class TablePage:
    """A page of rows for the `pager` macro."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    has_prev = property(lambda self: self.page > 1)
    has_next = property(lambda self: self.page < self.pages)
    prev_num = property(lambda self: self.page - 1)
    next_num = property(lambda self: self.page + 1)


def page_of(query, page: int, per_page: int) -> TablePage:
    """One page of a multi-entity query, with its total."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return TablePage(items, page, per_page, total or 0)


def by_hospital(scope: Scope, page: int, per_page: int, now: datetime | None = None) -> TablePage:
    """Per hospital, ranked by on-time rate (best first, nothing due last), one page; the total rides along as a
    window count so the page costs one query."""
    now = now or timeutil.utcnow()
    rate = rate_expression(now)
    query = (
        base_query(
            [
                Hospital.id,
                Hospital.name,
                Hospital.district,
                rate.label("rate"),
                sa.func.count().over().label("total_rows"),
                *count_columns(now),
            ],
            scope,
        )
        .group_by(Hospital.id, Hospital.name, Hospital.district)
        .order_by(sa.case((rate.is_(None), 1), else_=0), rate.desc(), Hospital.district, Hospital.name)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = db.session.execute(query).all()
    items = [{"hospital_id": r.id, "hospital": r.name, "district": r.district, **counts(r)} for r in rows]
    total = rows[0].total_rows if rows else 0
    for rank, item in enumerate(items, start=(page - 1) * per_page + 1):
        item["rank"] = rank
    return TablePage(items, page, per_page, total)


def _month(column):
    """YYYY-MM of a UTC timestamp, in Shanghai time, in the database's own functions."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("Asia/Shanghai", column), "YYYY-MM")
    return sa.func.strftime("%Y-%m", column, "+8 hours")


def trends(scope: Scope, months: list[str]) -> list[dict]:
    """Per month of `months`: decisions made (late ones too) and uses reported."""
    decided_month = _month(Assessment.decided_at)
    decisions = dict(
        db.session.execute(
            base_query([decided_month, sa.func.count(Assessment.id)], scope)
            .where(Assessment.state == AssessmentState.DECIDED, decided_month.in_(months))
            .group_by(decided_month)
        ).all()
    )
    uses_query = (
        sa.select(UsageReport.month, sa.func.sum(UsageReport.uses))
        .join(Assessment, Assessment.id == UsageReport.assessment_id)
        .join(Hospital, Hospital.id == Assessment.hospital_id)
        .join(Batch, Batch.id == Assessment.batch_id)
        .where(Hospital.is_public.is_(True), UsageReport.month.in_(months))
        .group_by(UsageReport.month)
    )
    uses = dict(db.session.execute(scope.apply(uses_query)).all())
    return [{"month": m, "decisions": int(decisions.get(m, 0)), "uses": int(uses.get(m, 0))} for m in months]


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
        .order_by(Assessment.due_at, Hospital.district, Hospital.name, Entry.product_name)
    )
    return scope.apply(query)


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
        base_query([Assessment, Hospital, Entry, Equipping, sa.func.coalesce(USES.c.uses, 0).label("uses")], scope)
        .join(Entry, Entry.id == Assessment.entry_id)
        .order_by(Hospital.district, Hospital.name, Entry.product_name, Assessment.id)
    )
