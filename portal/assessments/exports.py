"""Compliance and queue exports: the sheets (typed values); portal.core.spreadsheet writes XLSX and CSV."""

from portal.core import timeutil
from portal.core.spreadsheet import Sheet, columns

COMPLIANCE_COLUMNS = columns(
    "医院",
    "区",
    "级别",
    "任务总数",
    "已决定",
    "按时完成",
    "逾期完成",
    "未完成",
    "已逾期未完成",
    "不再需要评估",
    "按时完成率",
    **{h: "int" for h in ("任务总数", "已决定", "按时完成", "逾期完成", "未完成", "已逾期未完成", "不再需要评估")},
    按时完成率="percent",
)
OVERDUE_COLUMNS = columns(
    "医院", "区", "产品名称", "注册证编号", "注册人", "截止日期", "逾期天数", 截止日期="date", 逾期天数="int"
)
ITEM_COLUMNS = columns(
    "产品名称",
    "型号规格",
    "注册证编号",
    "注册人",
    "批次",
    "截止日期",
    "状态",
    "评估结论",
    "理由",
    "决定时间",
    "是否逾期",
    截止日期="date",
    决定时间="datetime",
)


def _day(value):
    """The Shanghai calendar day of a stored UTC time (deadlines are end of day in Shanghai)."""
    local = timeutil.to_shanghai(value)
    return local.date() if local else None


def compliance_sheet(rows) -> Sheet:
    return Sheet(
        "医院完成情况",
        COMPLIANCE_COLUMNS,
        [
            [
                hospital.name,
                hospital.district,
                hospital.level.label,
                p.total,
                p.decided,
                p.on_time,
                p.late,
                p.open,
                p.overdue,
                p.closed,
                p.on_time_rate,
            ]
            for hospital, p in rows
        ],
    )


def overdue_sheet(items, now) -> Sheet:
    return Sheet(
        "逾期清单",
        OVERDUE_COLUMNS,
        [
            [
                hospital.name,
                hospital.district,
                entry.product_name,
                entry.registration_no,
                entry.manufacturer,
                _day(assessment.due_at),
                -timeutil.days_left(assessment.due_at, now),
            ]
            for assessment, hospital, entry in items
        ],
    )


def item_sheet(items) -> Sheet:
    rows = []
    for assessment in items:
        entry, batch = assessment.entry, assessment.batch
        rows.append(
            [
                entry.product_name,
                entry.model,
                entry.registration_no,
                entry.manufacturer,
                batch.name,
                _day(assessment.due_at),
                assessment.state.label,
                assessment.outcome.label if assessment.outcome else "",
                assessment.reason or "",
                assessment.decided_at,
                "是" if assessment.is_late else "否",
            ]
        )
    return Sheet("评估任务", ITEM_COLUMNS, rows)
