"""Supervisors' and reviewers' view: needs, responses, meetings and outcomes by district and department, and how
many led to an admission (the linked assessment decided 同意配备)."""

from dataclasses import dataclass

import sqlalchemy as sa

from portal.assessments.models import Assessment, Outcome
from portal.directory.models import Hospital
from portal.extensions import db
from portal.matchmaking.models import Match, MatchOutcome, MatchSession, Meeting, Need
from portal.matchmaking.states import MeetingState

SESSION_THEME = "（医企面对面活动）"


@dataclass
class Row:
    district: str
    department: str
    needs: int = 0
    responses: int = 0
    meetings: int = 0
    assessment: int = 0
    trial: int = 0
    declined: int = 0
    admitted: int = 0


def overview(district: str | None = None) -> tuple[list[Row], Row]:
    """One row per (hospital district, department), and the totals; `district` limits it to one district."""
    rows: dict[tuple[str, str], Row] = {}

    def row(d, dept) -> Row:
        return rows.setdefault((d, dept), Row(d, dept))

    needs = (
        sa.select(Hospital.district, Need.department, sa.func.count(Need.id))
        .join(Hospital)
        .group_by(Hospital.district, Need.department)
    )
    if district:
        needs = needs.where(Hospital.district == district)
    for d, dept, n in db.session.execute(needs):
        row(d, dept).needs = n
    matches = (
        sa.select(
            Hospital.district,
            Need.department,
            MatchSession.department,
            Match.outcome,
            Meeting.state,
            Assessment.outcome,
        )
        .join(Hospital, Hospital.id == Match.hospital_id)
        .outerjoin(Need, Need.id == Match.need_id)
        .outerjoin(MatchSession, MatchSession.id == Match.session_id)
        .outerjoin(Meeting, Meeting.match_id == Match.id)
        .outerjoin(Assessment, Assessment.id == Match.assessment_id)
    )
    if district:
        matches = matches.where(Hospital.district == district)
    for d, need_dept, session_dept, outcome, meeting_state, decision in db.session.execute(matches):
        r = row(d, need_dept or session_dept or SESSION_THEME)
        r.responses += need_dept is not None
        r.meetings += meeting_state is MeetingState.CONFIRMED
        if outcome is not None:
            setattr(r, outcome.value, getattr(r, outcome.value) + 1)
        r.admitted += outcome is MatchOutcome.ASSESSMENT and decision is Outcome.ADMITTED
    ordered = [rows[k] for k in sorted(rows)]
    total = Row("合计", "")
    for r in ordered:
        for name in ("needs", "responses", "meetings", "assessment", "trial", "declined", "admitted"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    return ordered, total
