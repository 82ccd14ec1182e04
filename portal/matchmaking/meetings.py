"""Shortlisting a response, arranging its 医企面对面 meeting (ICS, day-before reminder) and recording the outcome.

Meeting times are entered and shown in Asia/Shanghai and stored in UTC. The hospital proposes; the company
accepts or proposes another time, which the hospital accepts or answers with a new proposal.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa

from portal.assessments.models import Assessment
from portal.assessments.services import start_assessment
from portal.audit.services import record
from portal.catalogue.models import Entry, EntryStatus
from portal.core import timeutil
from portal.core.errors import DomainError, IllegalTransition, PermissionDenied
from portal.core.persistence import check_version
from portal.extensions import db
from portal.matchmaking import common
from portal.matchmaking.models import Match, MatchOutcome, Meeting
from portal.matchmaking.permissions import (
    is_match_company,
    is_match_hospital,
    require_match_hospital,
    require_match_party,
)
from portal.matchmaking.states import MATCH, MEETING, MatchState, MeetingState
from portal.workflow import AssessmentState, transition

MIN_MINUTES, MAX_MINUTES = 15, 480


def link_of(match) -> str:
    return f"/match/responses/{match.id}"


def ics_link(match) -> str:
    return f"/match/responses/{match.id}/meeting.ics"


def subject_of(match) -> str:
    origin = match.need.title if match.need is not None else match.session.title
    return f"{origin}（{match.product.name}）"


def when_where(meeting) -> str:
    return (
        f"{timeutil.to_shanghai(meeting.starts_at):%Y-%m-%d %H:%M}（上海时间），{meeting.place or meeting.online_link}"
    )


def get_match(actor, match_id) -> Match:
    """A response (or session follow-up) the actor is a party to; anyone else's is NotFound."""
    match = db.session.get(Match, match_id) if match_id is not None else None
    require_match_party(actor, match)
    return match


def shortlist(actor, match, *, version=None) -> Match:
    require_match_hospital(actor, match)
    check_version(match, version, required=False)
    transition(MATCH, match, "shortlist", actor, comment="列入入围")
    common.tell_company(
        match.company_id,
        f"您的响应已入围：{subject_of(match)}",
        f"{match.hospital.name}将您的响应列入入围。",
        link_of(match),
    )
    return match


def local_time(value: datetime) -> datetime:
    """A form's wall-clock time read as Shanghai time, as an aware datetime."""
    return value.replace(tzinfo=timeutil.SHANGHAI) if value.tzinfo is None else value


def _meeting_fields(starts_at, minutes, place, online_link, now) -> dict:
    if starts_at is None:
        raise DomainError("请填写会面时间（上海时间）。", field="starts_at")
    starts_at = local_time(starts_at)
    if starts_at <= now:
        raise DomainError("会面时间应晚于现在。", field="starts_at")
    if starts_at > now + timedelta(days=366):
        raise DomainError("会面时间不能晚于一年以后。", field="starts_at")
    try:
        minutes = int(minutes or 60)
    except (TypeError, ValueError):
        raise DomainError("时长应为分钟数。", field="minutes") from None
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise DomainError(f"时长应在 {MIN_MINUTES}–{MAX_MINUTES} 分钟之间。", field="minutes")
    place = common.text(place, "地点", "place", max_len=200, required=False)
    online_link = common.text(online_link, "线上会议链接", "online_link", max_len=500, required=False)
    if not place and not online_link:
        raise DomainError("请填写会面地点或线上会议链接（至少一项）。", field="place")
    if online_link and not online_link.startswith(("https://", "http://")):
        raise DomainError("线上会议链接应以 https:// 或 http:// 开头。", field="online_link")
    return {
        "starts_at": starts_at.astimezone(timeutil.SHANGHAI),
        "minutes": minutes,
        "place": place,
        "online_link": online_link,
    }


def propose_meeting(actor, match, *, starts_at, minutes=60, place="", online_link="", version=None, now=None):
    """The hospital proposes (or re-proposes) a time; the company proposes another one (counter)."""
    require_match_party(actor, match)
    check_version(match, version, required=False)
    now = now or timeutil.utcnow()
    fields = _meeting_fields(starts_at, minutes, place, online_link, now)
    meeting = match.meeting
    if is_match_hospital(actor, match):
        if match.state is not MatchState.SHORTLISTED:
            raise IllegalTransition(f"对接当前状态为「{match.state.label}」，请先将该响应列入入围再约见。")
        action = "propose"
    else:
        if meeting is None:
            raise PermissionDenied("会面由医院发起；医院提议时间后您可以接受或提议其他时间。")
        action = "counter"
    when = f"{fields['starts_at']:%Y-%m-%d %H:%M}（上海时间）"
    if meeting is None:
        meeting = Meeting(match=match, **fields)
        db.session.add(meeting)
        db.session.flush()
        record("meeting.propose", actor=actor, obj=meeting, to_state=meeting.state, comment=when)
    else:
        transition(MEETING, meeting, action, actor, comment=when)
        for key, value in fields.items():
            setattr(meeting, key, value)
        meeting.sequence += 1
        meeting.reminded_at = None
    if action == "propose":
        common.tell_company(
            match.company_id,
            f"医企面对面邀约：{subject_of(match)}",
            f"{match.hospital.name}提议 {when} 会面，请接受或提议其他时间。",
            link_of(match),
        )
    else:
        common.tell_hospital(
            match.hospital_id,
            f"企业提议新的会面时间：{subject_of(match)}",
            f"{match.company.name}提议 {when} 会面。",
            link_of(match),
        )
    return meeting


def accept_meeting(actor, match, *, version=None) -> Meeting:
    """The company accepts the hospital's proposal, or the hospital the company's; both get the invitation."""
    require_match_party(actor, match)
    meeting = match.meeting
    if meeting is None:
        raise IllegalTransition("还没有提议的会面时间。")
    check_version(meeting, version, required=False)
    waiting_for_company = meeting.state is MeetingState.PROPOSED
    if (waiting_for_company and not is_match_company(actor, match)) or (
        meeting.state is MeetingState.COUNTERED and not is_match_hospital(actor, match)
    ):
        raise PermissionDenied("该时间由您提议，需等待对方接受。")
    transition(MEETING, meeting, "accept", actor, comment=f"{timeutil.to_shanghai(meeting.starts_at):%Y-%m-%d %H:%M}")
    title = f"医企面对面已确认：{subject_of(match)}"
    body = f"{when_where(meeting)}。日历邀请：{ics_link(match)}"
    common.tell_hospital(match.hospital_id, title, body, link_of(match))
    common.tell_company(match.company_id, title, body, link_of(match))
    return meeting


def send_meeting_reminders(now=None) -> list[Meeting]:
    """Confirmed meetings starting before the end of tomorrow (Shanghai) get one reminder each, to both sides.
    Rows are claimed with UPDATE … WHERE reminded_at IS NULL RETURNING, so overlapping runs never both send."""
    now = now or timeutil.utcnow()
    until = timeutil.end_of_day_shanghai(timeutil.today_shanghai(now) + timedelta(days=1))
    claimed = db.session.scalars(
        sa.update(Meeting)
        .where(
            Meeting.state == MeetingState.CONFIRMED,
            Meeting.reminded_at.is_(None),
            Meeting.starts_at > now,
            Meeting.starts_at <= until,
        )
        .values(reminded_at=now)
        .returning(Meeting.id)
    ).all()
    meetings = db.session.scalars(sa.select(Meeting).where(Meeting.id.in_(claimed)).order_by(Meeting.id)).all()
    for meeting in meetings:
        match = meeting.match
        title = f"明天的医企面对面：{subject_of(match)}"
        body = when_where(meeting)
        common.tell_hospital(match.hospital_id, title, body, link_of(match))
        common.tell_company(match.company_id, title, body, link_of(match))
    return meetings


# The outcome ------------------------------------------------------------------------------------------------


def assessment_for(match) -> Assessment | None:
    """The hospital's assessment of the product, when it is listed in a catalogue covering the hospital."""
    return db.session.scalar(
        sa.select(Assessment)
        .join(Entry, Entry.id == Assessment.entry_id)
        .where(
            Assessment.hospital_id == match.hospital_id,
            Entry.product_id == match.product_id,
            Entry.status == EntryStatus.LISTED,
        )
        .order_by(Assessment.id.desc())
        .limit(1)
    )


def has_met(match, now) -> bool:
    """A session's follow-up was met at the session; a need's response once its confirmed meeting has begun."""
    meeting = match.meeting
    if match.session_id is not None:
        return True
    return meeting is not None and meeting.state is MeetingState.CONFIRMED and meeting.starts_at <= now


def record_outcome(actor, match, outcome, note, *, version=None, now=None) -> Match:
    """进入入院评估 links (and starts) the hospital's assessment of the product when there is one."""
    require_match_hospital(actor, match)
    check_version(match, version, required=False)
    try:
        outcome = MatchOutcome(outcome)
    except ValueError:
        raise DomainError("请选择对接结果：进入入院评估、试用或暂不考虑。", field="outcome") from None
    note = common.text(note, "结果说明", "note", max_len=1000)
    if outcome is not MatchOutcome.DECLINED and not has_met(match, now or timeutil.utcnow()):
        raise IllegalTransition(f"「{outcome.label}」需在医企面对面会面（已确认的时间）之后记录。")
    transition(MATCH, match, "conclude", actor, comment=f"{outcome.label}：{note}", data={"outcome": outcome.value})
    match.outcome, match.outcome_note, match.outcome_at = outcome, note, now or timeutil.utcnow()
    body = f"{match.hospital.name}：{outcome.label}。{note}"
    if outcome is MatchOutcome.ASSESSMENT:
        match.assessment = assessment_for(match)
        if match.assessment is None:
            body += "（该产品尚未列入覆盖该院的目录，暂无入院评估任务。）"
        elif match.assessment.state is AssessmentState.PENDING:
            start_assessment(actor, match.assessment, comment=f"医企对接：{note}")
    common.tell_company(match.company_id, f"对接结果：{subject_of(match)}", body, link_of(match))
    return match
