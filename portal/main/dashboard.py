"""What each role should do next, gathered for the home page."""

from dataclasses import dataclass, field

from sqlalchemy import func, select

from portal.accounts.models import Role, User
from portal.applications.models import Application, Objection
from portal.assessments.models import Assessment
from portal.catalogue.models import Batch, Catalogue, Entry, EntryStatus
from portal.core.timeutil import utcnow
from portal.directory.models import Company, Hospital
from portal.extensions import db
from portal.workflow import ApplicationState, AssessmentState, BatchState, ObjectionState


@dataclass
class Board:
    role: str
    stats: list = field(default_factory=list)  # (label, value, hint)
    actions: list = field(default_factory=list)  # (label, endpoint, kwargs) shown as next steps
    catalogues: list = field(default_factory=list)
    batches: list = field(default_factory=list)


def _count(query) -> int:
    return db.session.scalar(query) or 0


def _public_board(board: Board) -> Board:
    rows = db.session.execute(
        select(Catalogue, func.count(Entry.id))
        .outerjoin(Entry, (Entry.catalogue_id == Catalogue.id) & (Entry.status == EntryStatus.LISTED))
        .group_by(Catalogue.id)
        .order_by(Catalogue.id)
    ).all()
    board.catalogues = rows
    return board


def _manufacturer_board(user: User, board: Board) -> Board:
    by_state = dict(
        db.session.execute(
            select(Application.state, func.count())
            .where(Application.company_id == user.company_id)
            .group_by(Application.state)
        ).all()
    )
    for state in (
        ApplicationState.DRAFT,
        ApplicationState.RETURNED,
        ApplicationState.SUBMITTED,
        ApplicationState.RECOMMENDED,
    ):
        board.stats.append((state.label, by_state.get(state, 0), ""))
    if by_state.get(ApplicationState.RETURNED):
        board.actions.append(("有申报被退回，请修改后重新提交", None, {}))
    board.batches = db.session.scalars(
        select(Batch).where(Batch.state == BatchState.OPEN).order_by(Batch.closes_at)
    ).all()
    listed = _count(
        select(func.count(Entry.id))
        .join(Entry.product)
        .where(Entry.status == EntryStatus.LISTED)
        .where(Entry.product.has(company_id=user.company_id))
    )
    board.stats.append(("已入目录产品", listed, ""))
    return board


def _reviewer_board(user: User, board: Board) -> Board:
    catalogue_ids = [c.id for c in user.catalogues]
    board.batches = db.session.scalars(
        select(Batch)
        .where(Batch.catalogue_id.in_(catalogue_ids), Batch.state != BatchState.PUBLISHED)
        .order_by(Batch.id)
    ).all()
    in_scope = Application.batch.has(Batch.catalogue_id.in_(catalogue_ids))
    board.stats.append(
        (
            "待形式审查",
            _count(select(func.count(Application.id)).where(in_scope, Application.state == ApplicationState.SUBMITTED)),
            "",
        )
    )
    board.stats.append(
        (
            "待专家评审/决定",
            _count(
                select(func.count(Application.id)).where(
                    in_scope, Application.state == ApplicationState.FORMAL_CHECK_PASSED
                )
            ),
            "",
        )
    )
    board.stats.append(
        (
            "待处理异议",
            _count(
                select(func.count(Objection.id)).where(
                    Objection.batch.has(Batch.catalogue_id.in_(catalogue_ids)), Objection.state == ObjectionState.OPEN
                )
            ),
            "",
        )
    )
    board.catalogues = [(c, None) for c in user.catalogues]
    return board


def _hospital_board(user: User, board: Board) -> Board:
    mine = Assessment.hospital_id == user.hospital_id
    open_states = (AssessmentState.PENDING, AssessmentState.IN_REVIEW)
    now = utcnow()
    board.stats.append(
        ("待评估", _count(select(func.count(Assessment.id)).where(mine, Assessment.state.in_(open_states))), "")
    )
    board.stats.append(
        (
            "已逾期",
            _count(
                select(func.count(Assessment.id)).where(
                    mine, Assessment.state.in_(open_states), Assessment.due_at < now
                )
            ),
            "warning",
        )
    )
    board.stats.append(
        (
            "已完成",
            _count(select(func.count(Assessment.id)).where(mine, Assessment.state == AssessmentState.DECIDED)),
            "",
        )
    )
    next_due = db.session.scalar(
        select(func.min(Assessment.due_at)).where(mine, Assessment.state.in_(open_states), Assessment.due_at >= now)
    )
    if next_due:
        board.stats.append(("最近截止", next_due, "due"))
    return board


def _admin_board(board: Board) -> Board:
    for label, model in (("用户", User), ("企业", Company), ("医疗机构", Hospital), ("目录", Catalogue)):
        board.stats.append((label, _count(select(func.count(model.id))), ""))
    return _public_board(board)


def dashboard_for(user) -> Board:
    if not user.is_authenticated:
        return _public_board(Board(role="public"))
    board = Board(role=user.role.value)
    if user.role is Role.MANUFACTURER:
        return _manufacturer_board(user, board)
    if user.role is Role.REVIEWER:
        return _reviewer_board(user, board)
    if user.role is Role.HOSPITAL:
        return _hospital_board(user, board)
    return _admin_board(board)
