"""The company's home page board: applications by state with the next step, and each listed product's adoption."""

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload

from portal.applications.models import Application
from portal.applications.services import batch_is_open, missing_attachments, next_action
from portal.assessments.models import Assessment, Outcome
from portal.catalogue.models import Batch, Catalogue, Entry, EntryStatus
from portal.core import timeutil
from portal.directory.models import Hospital
from portal.extensions import db
from portal.main.dashboard import Board
from portal.products.models import Product
from portal.workflow import ApplicationState, AssessmentState, BatchState

# States the company still has to act on, or wait on, first.
ACTIVE_STATES = (
    ApplicationState.RETURNED,
    ApplicationState.DRAFT,
    ApplicationState.SUBMITTED,
    ApplicationState.FORMAL_CHECK_PASSED,
    ApplicationState.RECOMMENDED,
)
MAX_ACTIVE = 50
MAX_REASONS = 200


def manufacturer_board(user) -> Board:
    board = Board(role="manufacturer", partial="applications/_home.html")
    company_id = user.company_id
    by_state = dict(
        db.session.execute(
            select(Application.state, func.count())
            .join(Batch, Batch.id == Application.batch_id)
            .where(Application.company_id == company_id, ~_listed())
            .group_by(Application.state)
        ).all()
    )
    for state in ApplicationState:
        if by_state.get(state) or state in (ApplicationState.DRAFT, ApplicationState.SUBMITTED):
            hint = "warning" if state is ApplicationState.RETURNED else ""
            board.stats.append((state.label, by_state.get(state, 0), hint))
    board.data["active"] = _active_applications(company_id)
    board.data["next_action"] = next_action
    board.data["missing"] = missing_attachments
    board.data["open_batches"] = [
        b
        for b in db.session.scalars(
            select(Batch)
            .options(joinedload(Batch.catalogue))
            .where(Batch.state == BatchState.OPEN)
            .order_by(Batch.closes_at)
        )
        if batch_is_open(b)
    ]
    adoption = adoption_by_entry(company_id)
    board.data["adoption"] = adoption
    board.data["decline_reasons"] = decline_reasons(company_id)
    board.stats.append(("已入目录产品", len({row["product_id"] for row in adoption}), ""))
    return board


def _listed():
    """A recommended application of a published batch is a listed product, no longer 拟推荐 (needs Batch)."""
    return and_(Application.state == ApplicationState.RECOMMENDED, Batch.state == BatchState.PUBLISHED)


def _active_applications(company_id: int) -> list[Application]:
    """Applications needing the company or under way, those to act on first, with the batch deadline."""
    order = case({s: n for n, s in enumerate(ACTIVE_STATES)}, value=Application.state)
    return db.session.scalars(
        select(Application)
        .options(joinedload(Application.batch).joinedload(Batch.catalogue), joinedload(Application.product))
        .join(Batch, Batch.id == Application.batch_id)
        .where(Application.company_id == company_id, Application.state.in_(ACTIVE_STATES))
        .where(~_listed())
        .order_by(order, Batch.closes_at, Application.id)
        .limit(MAX_ACTIVE)
    ).all()


def adoption_by_entry(company_id: int, now=None) -> list[dict]:
    """Per listed entry (a product in one published batch): how many hospitals admitted, declined, found it
    not applicable, have not decided yet, or are overdue. One GROUP BY query."""
    now = now or timeutil.utcnow()
    open_state = Assessment.state.in_((AssessmentState.PENDING, AssessmentState.IN_REVIEW))

    def total(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows = db.session.execute(
        select(
            Entry.id,
            Entry.product_id,
            Entry.product_name,
            Entry.listed_on,
            Catalogue.name,
            Batch.name,
            func.count(Assessment.id),
            total(Assessment.outcome == Outcome.ADMITTED),
            total(Assessment.outcome == Outcome.DECLINED),
            total(Assessment.outcome == Outcome.NOT_APPLICABLE),
            total(and_(open_state, Assessment.due_at >= now)),
            total(and_(open_state, Assessment.due_at < now)),
            total(Assessment.is_late.is_(True)),
            func.min(Assessment.due_at),
        )
        .join(Product, Product.id == Entry.product_id)
        .join(Catalogue, Catalogue.id == Entry.catalogue_id)
        .join(Batch, Batch.id == Entry.batch_id)
        .outerjoin(Assessment, Assessment.entry_id == Entry.id)
        .where(Product.company_id == company_id, Entry.status == EntryStatus.LISTED)
        .group_by(Entry.id, Entry.product_id, Entry.product_name, Entry.listed_on, Catalogue.name, Batch.name)
        .order_by(Entry.listed_on.desc(), Entry.product_name)
    ).all()
    keys = (
        "entry_id",
        "product_id",
        "product_name",
        "listed_on",
        "catalogue",
        "batch",
        "total",
        "admitted",
        "declined",
        "not_applicable",
        "undecided",
        "overdue",
        "late",
        "due_at",
    )
    return [dict(zip(keys, row, strict=True)) for row in rows]


def decline_reasons(company_id: int) -> dict[int, list]:
    """The reasons hospitals gave for 暂不配备 / 不适用, per entry id."""
    rows = db.session.execute(
        select(Entry.id, Hospital.name, Assessment.outcome, Assessment.reason, Assessment.decided_at)
        .join(Assessment, Assessment.entry_id == Entry.id)
        .join(Hospital, Hospital.id == Assessment.hospital_id)
        .join(Product, Product.id == Entry.product_id)
        .where(
            Product.company_id == company_id,
            Entry.status == EntryStatus.LISTED,
            Assessment.state == AssessmentState.DECIDED,
            Assessment.outcome.in_((Outcome.DECLINED, Outcome.NOT_APPLICABLE)),
        )
        .order_by(Entry.id, Assessment.decided_at.desc())
        .limit(MAX_REASONS)
    ).all()
    reasons: dict[int, list] = {}
    for entry_id, hospital, outcome, reason, decided_at in rows:
        reasons.setdefault(entry_id, []).append(
            {"hospital": hospital, "outcome": outcome, "reason": reason, "decided_at": decided_at}
        )
    return reasons
