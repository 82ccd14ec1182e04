"""The hospital's home page board: totals, and each open update with days left and progress."""

from flask import url_for
from sqlalchemy import func, select

from portal.assessments.models import Assessment
from portal.assessments.services import OPEN_STATES, hospital_updates
from portal.core.timeutil import utcnow
from portal.extensions import db
from portal.main.dashboard import Board, count
from portal.workflow import AssessmentState

WARN_DAYS = 7


def hospital_board(user) -> Board:
    board = Board(role="hospital", partial="assessments/_home.html")
    mine = Assessment.hospital_id == user.hospital_id
    is_open = Assessment.state.in_(OPEN_STATES)
    now = utcnow()
    overdue = count(select(func.count(Assessment.id)).where(mine, is_open, Assessment.due_at < now))
    board.stats += [
        ("待评估", count(select(func.count(Assessment.id)).where(mine, is_open)), ""),
        ("已逾期", overdue, "warning" if overdue else ""),
        (
            "已完成",
            count(select(func.count(Assessment.id)).where(mine, Assessment.state == AssessmentState.DECIDED)),
            "",
        ),
    ]
    next_due = db.session.scalar(select(func.min(Assessment.due_at)).where(mine, is_open, Assessment.due_at >= now))
    if next_due:
        board.stats.append(("最近截止", next_due, "due"))
    board.data["updates"] = hospital_updates(user.hospital_id, now)
    board.data["warn_days"] = WARN_DAYS
    board.data["now"] = now
    if overdue:
        board.actions.append((f"处理 {overdue} 项已逾期的评估", url_for("assessments.queue", state="overdue")))
    return board
