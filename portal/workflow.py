"""Every state machine of the portal, declared as data in one place (DESIGN §4).

A `Workflow` maps (state, action) to the next state. Services call `advance()`; an action that the
table does not allow raises `IllegalTransition` with a Chinese message, which views flash and the API
returns as 409.
"""

from dataclasses import dataclass

from portal.core.errors import IllegalTransition
from portal.core.types import LabelledEnum


class BatchState(LabelledEnum):
    DRAFT = ("draft", "草稿")
    OPEN = ("open", "征集中")
    REVIEWING = ("reviewing", "评审中")
    PUBLIC_NOTICE = ("public_notice", "公示中")
    PUBLISHED = ("published", "已发布")


class ApplicationState(LabelledEnum):
    DRAFT = ("draft", "草稿")
    SUBMITTED = ("submitted", "已提交")
    RETURNED = ("returned", "退回修改")
    FORMAL_CHECK_PASSED = ("formal_check_passed", "形式审查通过")
    RECOMMENDED = ("recommended", "拟推荐")
    REJECTED = ("rejected", "未通过")
    WITHDRAWN = ("withdrawn", "已撤回")


class AssessmentState(LabelledEnum):
    PENDING = ("pending", "待评估")
    IN_REVIEW = ("in_review", "评估中")
    DECIDED = ("decided", "已决定")
    CLOSED = ("closed", "无需评估")  # the entry was delisted before a decision


class EntryStatus(LabelledEnum):
    LISTED = ("listed", "在列")
    DELISTED = ("delisted", "已调出")


class ObjectionState(LabelledEnum):
    OPEN = ("open", "待处理")
    UPHELD = ("upheld", "异议成立")
    DISMISSED = ("dismissed", "异议不成立")


@dataclass(frozen=True)
class Workflow:
    name: str  # Chinese name of the object, used in messages
    transitions: dict  # {(state, action): next_state}
    action_labels: dict  # {action: Chinese label}
    column: str = "state"  # the model's state column

    def allowed_actions(self, state) -> list[str]:
        return [action for (src, action) in self.transitions if src == state]

    def can(self, state, action: str) -> bool:
        return (state, action) in self.transitions

    def advance(self, state, action: str):
        try:
            return self.transitions[(state, action)]
        except KeyError:
            label = self.action_labels.get(action, action)
            raise IllegalTransition(f"{self.name}当前状态为「{state.label}」，不能执行「{label}」。") from None


BATCH = Workflow(
    name="批次",
    transitions={
        (BatchState.DRAFT, "open"): BatchState.OPEN,
        (BatchState.OPEN, "close"): BatchState.REVIEWING,
        (BatchState.REVIEWING, "start_notice"): BatchState.PUBLIC_NOTICE,
        (BatchState.PUBLIC_NOTICE, "publish"): BatchState.PUBLISHED,
        # A batch published before the portal existed, loaded by `flask catalogue import`.
        (BatchState.DRAFT, "import_published"): BatchState.PUBLISHED,
    },
    action_labels={
        "open": "开始征集",
        "close": "截止征集",
        "start_notice": "开始公示",
        "publish": "发布",
        "import_published": "导入已发布批次",
    },
)

APPLICATION = Workflow(
    name="申报",
    transitions={
        (ApplicationState.DRAFT, "submit"): ApplicationState.SUBMITTED,
        (ApplicationState.RETURNED, "submit"): ApplicationState.SUBMITTED,
        (ApplicationState.SUBMITTED, "return"): ApplicationState.RETURNED,
        (ApplicationState.SUBMITTED, "pass_formal_check"): ApplicationState.FORMAL_CHECK_PASSED,
        (ApplicationState.SUBMITTED, "reject"): ApplicationState.REJECTED,
        (ApplicationState.FORMAL_CHECK_PASSED, "recommend"): ApplicationState.RECOMMENDED,
        (ApplicationState.FORMAL_CHECK_PASSED, "reject"): ApplicationState.REJECTED,
        (ApplicationState.RECOMMENDED, "uphold_objection"): ApplicationState.REJECTED,
        # A draft was never sent, so there is nothing to withdraw: it is kept (or submitted) instead.
        (ApplicationState.SUBMITTED, "withdraw"): ApplicationState.WITHDRAWN,
        (ApplicationState.RETURNED, "withdraw"): ApplicationState.WITHDRAWN,
        (ApplicationState.FORMAL_CHECK_PASSED, "withdraw"): ApplicationState.WITHDRAWN,
    },
    action_labels={
        "submit": "提交",
        "return": "退回修改",
        "pass_formal_check": "形式审查通过",
        "reject": "不予通过",
        "recommend": "拟推荐",
        "uphold_objection": "异议成立",
        "withdraw": "撤回",
    },
)

ASSESSMENT = Workflow(
    name="评估任务",
    transitions={
        (AssessmentState.PENDING, "start"): AssessmentState.IN_REVIEW,
        (AssessmentState.PENDING, "decide"): AssessmentState.DECIDED,
        (AssessmentState.IN_REVIEW, "decide"): AssessmentState.DECIDED,
        (
            AssessmentState.DECIDED,
            "decide",
        ): AssessmentState.DECIDED,  # changing a decision keeps the earlier one in the events
        (AssessmentState.PENDING, "close"): AssessmentState.CLOSED,
        (AssessmentState.IN_REVIEW, "close"): AssessmentState.CLOSED,
    },
    action_labels={"start": "开始评估", "decide": "作出决定", "close": "关闭（无需评估）"},
)

OBJECTION = Workflow(
    name="异议",
    transitions={
        (ObjectionState.OPEN, "uphold"): ObjectionState.UPHELD,
        (ObjectionState.OPEN, "dismiss"): ObjectionState.DISMISSED,
    },
    action_labels={"uphold": "异议成立", "dismiss": "异议不成立"},
)


ENTRY = Workflow(
    name="目录产品",
    transitions={(EntryStatus.LISTED, "delist"): EntryStatus.DELISTED},
    action_labels={"delist": "调出目录"},
    column="status",
)

# Rules across objects: the batch states in which a reviewer may still act on the batch's applications.
REVIEWABLE_BATCH_STATES = (BatchState.OPEN, BatchState.REVIEWING)


def transition(workflow: Workflow, obj, action: str, actor, *, comment: str | None = None, data=None):
    """Move `obj` (a model with the workflow's state column) by `action` and log it; the caller commits."""
    from portal.audit.services import record  # the audit model imports nothing from here

    old = getattr(obj, workflow.column)
    new = workflow.advance(old, action)
    setattr(obj, workflow.column, new)
    record(
        f"{obj.__tablename__}.{action}",
        actor=actor,
        obj=obj,
        from_state=old,
        to_state=new,
        comment=comment,
        data=data,
    )
    return new
