"""The hospital's home page board."""

from sqlalchemy import func, select

from portal.assessments.models import Assessment
from portal.core.timeutil import utcnow
from portal.extensions import db
from portal.main.dashboard import Board, count
from portal.workflow import AssessmentState

OPEN_STATES = (AssessmentState.PENDING, AssessmentState.IN_REVIEW)


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
    return board
