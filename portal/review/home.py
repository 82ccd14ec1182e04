"""The reviewer's home page board."""

from flask import url_for
from sqlalchemy import func, select

from portal.applications.models import Application
from portal.catalogue.batches import next_step
from portal.catalogue.models import Batch
from portal.core.board import Board, count
from portal.extensions import db
from portal.objections.models import Objection
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
    batches = db.session.scalars(
        select(Batch)
        .where(Batch.catalogue_id.in_(catalogue_ids), Batch.state != BatchState.PUBLISHED)
        .order_by(Batch.id)
    ).all()
    # Each running batch with what stands in the way of its next step.
    board.data["batches"] = [(batch, next_step(batch).blockers) for batch in batches]
    board.actions.append(
        ("审核队列：待形式审查的申报", url_for("review.queue", state=ApplicationState.SUBMITTED.value))
    )
    board.actions.append(
        ("审核队列：待专家评审和决定的申报", url_for("review.queue", state=ApplicationState.FORMAL_CHECK_PASSED.value))
    )
    if open_objections:
        notice = next((b for b in batches if b.state is BatchState.PUBLIC_NOTICE), None)
        if notice is not None:
            board.actions.append(
                (f"处理公示期异议（{open_objections} 条）", url_for("publishing.batch", batch_id=notice.id))
            )
    return board
