"""办理进度: where an application stands on its way into the catalogue, what comes next and who holds it."""

from dataclasses import dataclass

from portal.applications.models import Application
from portal.core import timeutil
from portal.workflow import ApplicationState, BatchState

STEPS = ("提交申报", "形式审查", "专家评审", "公示", "发布入目录")


@dataclass(frozen=True)
class Progress:
    steps: list  # [(label, "done" | "current" | "todo" | "stopped")]
    now: str  # what is happening
    next: str  # what comes next
    holder: str  # who has it now


def _steps(current: int, stopped: bool = False) -> list:
    def status(i):
        if i < current:
            return "done"
        if i == current:
            return "stopped" if stopped else "current"
        return "todo"

    return [(label, status(i)) for i, label in enumerate(STEPS)]


def _recommended(application: Application) -> Progress:
    batch = application.batch
    if batch.state is BatchState.PUBLISHED:
        return Progress(_steps(len(STEPS)), "已列入目录", "各公立医疗机构在期限内完成入院评估", "医疗机构")
    if batch.state is BatchState.PUBLIC_NOTICE:
        ends = timeutil.to_shanghai(batch.notice_ends_at)
        until = f"{ends:%Y-%m-%d}" if ends else "—"
        return Progress(_steps(3), f"公示中（至 {until}）", "公示结束后发布入目录", "审核人员（公示期内受理异议）")
    return Progress(_steps(3), "拟推荐，等待公示", "全批次评审结束后统一公示", "审核人员")


def progress(application: Application) -> Progress:
    """The stepper shown to the company and the reviewers; the state decides, nothing is stored."""
    state = application.state
    if state is ApplicationState.DRAFT:
        return Progress(_steps(0), "填写申报材料", "提交申报，进入形式审查", "申报企业")
    if state is ApplicationState.RETURNED:
        return Progress(_steps(0), "退回修改", "按审核意见修改后重新提交", "申报企业")
    if state is ApplicationState.SUBMITTED:
        return Progress(_steps(1), "等待形式审查", "通过后进入专家评审", "审核人员")
    if state is ApplicationState.FORMAL_CHECK_PASSED:
        return Progress(_steps(2), "专家评审中", "审核人员根据专家意见作出拟推荐或不予通过的决定", "审核人员")
    if state is ApplicationState.RECOMMENDED:
        return _recommended(application)
    if state is ApplicationState.REJECTED:
        at = 3 if application.batch.notice_starts_at else 2  # an upheld objection stops it at the notice
        return Progress(_steps(at, stopped=True), "未通过", "本次申报已结束", "—")
    return Progress(_steps(1 if application.submitted_at else 0, stopped=True), "已撤回", "本次申报已结束", "—")
