"""The company's home page board."""

from sqlalchemy import func, select

from portal.applications.models import Application
from portal.catalogue.models import Batch, Entry, EntryStatus
from portal.extensions import db
from portal.main.dashboard import Board, count
from portal.workflow import ApplicationState, BatchState


def manufacturer_board(user) -> Board:
    board = Board(role="manufacturer", partial="applications/_home.html")
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
        board.stats.append(
            (
                state.label,
                by_state.get(state, 0),
                "warning" if state is ApplicationState.RETURNED and by_state.get(state) else "",
            )
        )
    listed = count(
        select(func.count(Entry.id)).where(
            Entry.status == EntryStatus.LISTED, Entry.product.has(company_id=user.company_id)
        )
    )
    board.stats.append(("已入目录产品", listed, ""))
    board.data["open_batches"] = db.session.scalars(
        select(Batch).where(Batch.state == BatchState.OPEN).order_by(Batch.closes_at)
    ).all()
    return board
