"""The audit log in words: Chinese action names, state labels, objects and people.

It sits with the entry points because it names every area's states and people (`portal.audit.labels` keeps
what the areas use when they record an edit). Events store machine codes (stable for queries and exports);
these tables turn them into what a reader of the history or the audit log needs. Unknown codes are shown as
stored, so a new action is never hidden.
"""

from dataclasses import dataclass

from portal.accounts.models import Role, User
from portal.extensions import db
from portal.workflow import (
    APPLICATION,
    ASSESSMENT,
    BATCH,
    OBJECTION,
    ApplicationState,
    AssessmentState,
    BatchState,
    ObjectionState,
)

OBJECT_LABELS = {
    "application": "申报",
    "batch": "批次",
    "catalogue": "目录",
    "entry": "目录条目",
    "objection": "异议",
    "assessment": "评估任务",
    "product": "产品",
    "attachment": "附件",
    "company": "企业",
    "hospital": "医疗机构",
    "user": "用户",
    "api_token": "API 令牌",
    "synonym": "同义词",
}

ACTION_LABELS = {
    **{
        f"{table}.{action}": label
        for table, flow in (
            ("batch", BATCH),
            ("application", APPLICATION),
            ("assessment", ASSESSMENT),
            ("objection", OBJECTION),
        )
        for action, label in flow.action_labels.items()
    },
    "access.denied": "无权访问",
    "api_token.created": "创建 API 令牌",
    "api_token.revoked": "吊销 API 令牌",
    "application.created": "创建申报草稿",
    "application.updated": "修改申报说明",
    "assessment.event": "添加评估记录",
    "attachment.retired": "移除附件",
    "attachment.superseded": "附件被新文件替换",
    "attachment.uploaded": "上传附件",
    "batch.created": "创建批次",
    "batch.imported": "导入已发布批次",
    "batch.window_changed": "修改征集时间",
    "catalogue.created": "创建目录",
    "catalogue.import": "导入目录",
    "catalogue.updated": "修改目录设置",
    "company.created": "新增企业",
    "company.updated": "修改企业信息",
    "entry.delist": "调出目录",
    "expert_review.recorded": "录入专家意见",
    "hospital.calendar_token": "生成日历订阅地址",
    "hospital.created": "新增医疗机构",
    "hospital.imported": "导入医疗机构",
    "hospital.updated": "修改医疗机构信息",
    "login.failure": "登录失败",
    "login.success": "登录",
    "login.throttled": "登录过于频繁，已暂时阻止",
    "objection.filed": "提出异议",
    "product.created": "登记产品",
    "product.updated": "修改产品信息",
    "session.deactivated": "账号停用，会话结束",
    "session.logout": "退出登录",
    "session.password_changed": "修改密码，其他会话结束",
    "synonym.created": "新增同义词",
    "synonym.deleted": "删除同义词",
    "synonym.updated": "修改同义词",
    "user.created": "新增用户",
    "user.updated": "修改用户",
}

# States by the table of the object they belong to; users' "states" are their roles.
_STATES = {
    "application": ApplicationState,
    "batch": BatchState,
    "assessment": AssessmentState,
    "objection": ObjectionState,
    "user": Role,
}

FIELD_LABELS = {
    "name": "名称",
    "model": "型号规格",
    "product_type": "产品类别",
    "registration_no": "注册证编号",
    "device_class": "管理类别",
    "first_approved_on": "首次获批日期",
    "key_area": "重点领域",
    "departments": "适用科室",
    "indications": "适用范围",
    "description": "产品描述",
    "innovative_review": "创新医疗器械特别审查",
    "track": "申报类别",
    "price": "价格",
    "insurance_code": "医保编码",
    "uscc": "统一社会信用代码",
    "short_name": "简称",
    "district": "所在区",
    "address": "地址",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "level": "医院级别",
    "is_public": "是否公立",
    "role": "角色",
    "active": "账号启用",
}


def _state(object_type, code) -> str:
    enum = _STATES.get(object_type)
    try:
        return enum(code).label if enum and code else (code or "—")
    except ValueError:
        return code


@dataclass(frozen=True)
class Described:
    action: str
    who: str
    what: str
    states: str
    changes: list[str]


def describe(ev) -> Described:
    """One audit event in words, for histories and the audit log."""
    states = ""
    if ev.from_state or ev.to_state:
        states = f"{_state(ev.object_type, ev.from_state)} → {_state(ev.object_type, ev.to_state)}"
    what = ""
    if ev.object_type:
        what = f"{OBJECT_LABELS.get(ev.object_type, ev.object_type)} #{ev.object_id}"
        user = db.session.get(User, ev.object_id) if ev.object_type == "user" else None
        if user is not None:
            what = f"用户 {user.display_name}"
    changes = [
        f"{FIELD_LABELS.get(name, name)}：{before} → {after}"
        for name, (before, after) in ((ev.data or {}).get("changes") or {}).items()
    ]
    return Described(
        action=ACTION_LABELS.get(ev.action, ev.action),
        who=ev.actor.display_name if ev.actor else (ev.subject or "系统"),
        what=what,
        states=states,
        changes=changes,
    )


def register(app) -> None:
    app.jinja_env.globals["describe_event"] = describe
