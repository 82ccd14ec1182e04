"""The supervisor's home page board: the scope's headline figures and where to look first."""

from flask import url_for

from portal.adoption.figures import Scope, by_district, hospital_counts, reach, totals
from portal.main.dashboard import Board


def supervisor_board(user) -> Board:
    board = Board(role="supervisor", partial="adoption/_home.html")
    scope = Scope(district=user.district)
    hospitals = hospital_counts(scope)
    figures = totals(by_district(hospitals))
    rate = figures["on_time_rate"]
    board.stats += [
        ("公立医疗机构", figures["hospital_count"], ""),
        ("按时完成率", f"{rate:.1%}" if rate is not None else "—", ""),
        ("已逾期未完成", figures["overdue"], "warning" if figures["overdue"] else ""),
        ("同意配备", figures["admitted"], ""),
        ("已使用", figures["in_use"], ""),
    ]
    board.data["reach"] = reach(scope, hospitals)
    if figures["overdue"]:
        board.actions.append((f"催办 {figures['overdue']} 项已逾期的评估", url_for("adoption.dashboard") + "#overdue"))
    return board
