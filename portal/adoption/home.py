"""The supervisor's home page board: the overdue count of its scope and the way to the dashboard. It stays
cheap (one indexed count), since the dashboard itself is where the scope's figures are aggregated."""

import sqlalchemy as sa
from flask import url_for

from portal.adoption.figures import Scope, overdue
from portal.core.board import Board
from portal.extensions import db


def supervisor_board(user) -> Board:
    board = Board(role="supervisor", partial="adoption/_home.html")
    late = db.session.scalar(sa.select(sa.func.count()).select_from(overdue(Scope(district=user.district)).subquery()))
    board.stats.append(("已逾期未完成的入院评估", late, "warning" if late else ""))
    if late:
        board.actions.append((f"催办 {late} 项已逾期的评估", url_for("adoption.dashboard") + "#overdue"))
    return board
