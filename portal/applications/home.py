"""The company's home page board: applications by state with the next step (adoption: assessments/home.py)."""

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload

from portal.applications.models import Application
from portal.applications.services import batch_is_open, missing_attachments, next_action
from portal.catalogue.models import Batch
from portal.core.board import Board
from portal.extensions import db
from portal.workflow import ApplicationState, BatchState

# States the company still has to act on, or wait on, first.
ACTIVE_STATES = (
    ApplicationState.RETURNED,
    ApplicationState.DRAFT,
    ApplicationState.SUBMITTED,
    ApplicationState.FORMAL_CHECK_PASSED,
    ApplicationState.RECOMMENDED,
)
MAX_ACTIVE = 50


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
