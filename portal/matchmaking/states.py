"""The states of the 医企对接 objects and their transitions, as data (same shape as portal/workflow.py)."""

from portal.core.types import LabelledEnum
from portal.workflow import Workflow


class NeedState(LabelledEnum):
    OPEN = ("open", "征集中")
    CLOSED = ("closed", "已关闭")
    EXPIRED = ("expired", "已过期")


class MatchState(LabelledEnum):
    RESPONDED = ("responded", "已响应")
    SHORTLISTED = ("shortlisted", "已入围")
    CONCLUDED = ("concluded", "已有结果")


class MeetingState(LabelledEnum):
    PROPOSED = ("proposed", "待企业确认")
    COUNTERED = ("countered", "企业提议新时间")
    CONFIRMED = ("confirmed", "已确认")


class SessionState(LabelledEnum):
    OPEN = ("open", "报名中")
    HELD = ("held", "已举行")
    CANCELLED = ("cancelled", "已取消")


NEED = Workflow(
    name="临床需求",
    transitions={
        (NeedState.OPEN, "close"): NeedState.CLOSED,
        (NeedState.OPEN, "expire"): NeedState.EXPIRED,
        (NeedState.OPEN, "extend"): NeedState.OPEN,
        (NeedState.EXPIRED, "extend"): NeedState.OPEN,
    },
    action_labels={"close": "关闭", "expire": "到期关闭", "extend": "延长有效期"},
)

MATCH = Workflow(
    name="对接",
    transitions={
        (MatchState.RESPONDED, "shortlist"): MatchState.SHORTLISTED,
        (MatchState.RESPONDED, "conclude"): MatchState.CONCLUDED,
        (MatchState.SHORTLISTED, "conclude"): MatchState.CONCLUDED,
    },
    action_labels={"shortlist": "入围", "conclude": "记录对接结果"},
)

MEETING = Workflow(
    name="医企面对面",
    transitions={
        (MeetingState.PROPOSED, "accept"): MeetingState.CONFIRMED,
        (MeetingState.PROPOSED, "counter"): MeetingState.COUNTERED,
        (MeetingState.COUNTERED, "accept"): MeetingState.CONFIRMED,
        (MeetingState.COUNTERED, "propose"): MeetingState.PROPOSED,
        (MeetingState.CONFIRMED, "propose"): MeetingState.PROPOSED,
    },
    action_labels={"accept": "接受时间", "counter": "提议其他时间", "propose": "提议时间"},
)

SESSION = Workflow(
    name="医企面对面活动",
    transitions={
        (SessionState.OPEN, "hold"): SessionState.HELD,
        (SessionState.OPEN, "cancel"): SessionState.CANCELLED,
    },
    action_labels={"hold": "标记为已举行", "cancel": "取消活动"},
)
