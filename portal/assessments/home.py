"""Home page boards: the hospital's (totals, each open update with days left and progress), and the adoption
of a company's listed products on the company's board."""

from flask import url_for
from sqlalchemy import and_, case, func, select

from portal.assessments.compliance import hospital_updates
from portal.assessments.models import Assessment, Outcome
from portal.assessments.services import OPEN_STATES
from portal.catalogue.models import Batch, Catalogue, Entry, EntryStatus
from portal.core import timeutil
from portal.core.board import Board
from portal.core.timeutil import utcnow
from portal.directory.models import Hospital
from portal.extensions import db
from portal.products.models import Product
from portal.workflow import AssessmentState

WARN_DAYS = 7


def hospital_board(user) -> Board:
    board = Board(role="hospital", partial="assessments/_home.html")
    now = utcnow()
    updates = hospital_updates(user.hospital_id, now, open_only=False)  # from the tally: one row per update
    overdue = sum(p.overdue for _, p in updates)
    board.stats += [
        ("待评估", sum(p.open for _, p in updates), ""),
        ("已逾期", overdue, "warning" if overdue else ""),
        ("已完成", sum(p.decided for _, p in updates), ""),
    ]
    next_due = db.session.scalar(
        select(func.min(Assessment.due_at)).where(
            Assessment.hospital_id == user.hospital_id, Assessment.state.in_(OPEN_STATES), Assessment.due_at >= now
        )
    )
    if next_due:
        board.stats.append(("最近截止", next_due, "due"))
    board.data["updates"] = [(b, p) for b, p in updates if p.open]
    board.data["warn_days"] = WARN_DAYS
    board.data["now"] = now
    if overdue:
        board.actions.append((f"处理 {overdue} 项已逾期的评估", url_for("assessments.queue", state="overdue")))
    return board


# The company's board: adoption of its listed products ----------------------------------------------------

MAX_REASONS = 200


def add_company_adoption(board: Board, user) -> Board:
    adoption = adoption_by_entry(user.company_id)
    board.data["adoption"] = adoption
    board.data["decline_reasons"] = decline_reasons(user.company_id)
    board.stats.append(("已入目录产品", len({row["product_id"] for row in adoption}), ""))
    return board


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
