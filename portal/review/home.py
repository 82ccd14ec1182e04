"""The reviewer's home page board."""

from sqlalchemy import func, select

from portal.applications.models import Application, Objection
from portal.catalogue.models import Batch
from portal.extensions import db
from portal.main.dashboard import Board, count
from portal.workflow import ApplicationState, BatchState, ObjectionState


def reviewer_board(user) -> Board:
    board = Board(role="reviewer", partial="review/_home.html")
    catalogue_ids = [c.id for c in user.catalogues]
    in_scope = Application.batch.has(Batch.catalogue_id.in_(catalogue_ids))
    waiting = (
        ("待形式审查", Application.state == ApplicationState.SUBMITTED),
        ("待专家评审/决定", Application.state == ApplicationState.FORMAL_CHECK_PASSED),
    )
    for label, condition in waiting:
        board.stats.append((label, count(select(func.count(Application.id)).where(in_scope, condition)), ""))
    open_objections = count(
        select(func.count(Objection.id)).where(
            Objection.batch.has(Batch.catalogue_id.in_(catalogue_ids)), Objection.state == ObjectionState.OPEN
        )
    )
    board.stats.append(("待处理异议", open_objections, "warning" if open_objections else ""))
    board.data["batches"] = db.session.scalars(
        select(Batch)
        .where(Batch.catalogue_id.in_(catalogue_ids), Batch.state != BatchState.PUBLISHED)
        .order_by(Batch.id)
    ).all()
    return board
