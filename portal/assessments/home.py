"""The hospital's home page board: totals, and each open update with days left and progress."""

from flask import url_for
from sqlalchemy import func, select

from portal.assessments.compliance import hospital_updates
from portal.assessments.models import Assessment
from portal.assessments.services import OPEN_STATES
from portal.core.timeutil import utcnow
from portal.extensions import db
from portal.main.dashboard import Board

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
