"""The adoption tables as rows for XLSX exports (and the funnel stages the pages and charts share)."""

from portal.core import timeutil

FUNNEL = (
    ("hospitals", "应评估（医院×产品）"),
    ("decided", "已评估"),
    ("admitted", "同意配备"),
    ("equipped", "已配备"),
    ("in_use", "已使用"),
)
COUNT_COLUMNS = (
    ("hospitals", "应评估"),
    ("decided", "已决定"),
    ("admitted", "同意配备"),
    ("declined", "暂不配备"),
    ("not_applicable", "不适用"),
    ("on_time", "按时决定"),
    ("late", "逾期决定"),
    ("open", "未完成"),
    ("overdue", "已逾期未完成"),
    ("equipped", "已配备"),
    ("in_use", "已使用"),
    ("uses", "使用例数"),
)
COUNT_HEADERS = tuple(label for _, label in COUNT_COLUMNS) + ("按时完成率",)
DISTRICT_HEADERS = ("区", "医疗机构数", *COUNT_HEADERS)
HOSPITAL_HEADERS = ("排名", "医疗机构", "区", *COUNT_HEADERS)
ENTRY_HEADERS = ("产品名称", "注册证编号", *COUNT_HEADERS)
TREND_HEADERS = ("月份", "作出决定", "使用例数")
OVERDUE_HEADERS = ("医疗机构", "区", "产品名称", "注册证编号", "注册人", "截止日期", "逾期天数", "催办时间")
PRODUCT_HEADERS = (
    "医疗机构",
    "区",
    "评估状态",
    "评估结论",
    "理由",
    "决定日期",
    "逾期决定",
    "配备日期",
    "采购方式",
    "使用例数合计",
    "各月使用例数",
)


def rate_text(rate) -> str:
    return "" if rate is None else f"{rate:.1%}"


def _counts(row: dict) -> list:
    return [row[key] for key, _ in COUNT_COLUMNS] + [rate_text(row["on_time_rate"])]


def funnel_rows(totals: dict) -> list[list]:
    return [[label, totals[key]] for key, label in FUNNEL] + [["使用例数合计", totals["uses"]]]


def district_rows(rows: list[dict]) -> list[list]:
    return [[r["district"], r["hospital_count"], *_counts(r)] for r in rows]


def hospital_rows(rows: list[dict]) -> list[list]:
    return [[r["rank"], r["hospital"], r["district"], *_counts(r)] for r in rows]


def entry_rows(rows: list[dict]) -> list[list]:
    return [[r["product_name"], r["registration_no"], *_counts(r)] for r in rows]


def trend_rows(rows: list[dict]) -> list[list]:
    return [[r["month"], r["decisions"], r["uses"]] for r in rows]


def _day(value) -> str:
    local = timeutil.to_shanghai(value)
    return local.strftime("%Y-%m-%d") if local else ""


def overdue_rows(items, now) -> list[list]:
    return [
        [
            hospital.name,
            hospital.district,
            entry.product_name,
            entry.registration_no,
            entry.manufacturer,
            _day(assessment.due_at),
            -timeutil.days_left(assessment.due_at, now),
            timeutil.to_shanghai(chase.chased_at).strftime("%Y-%m-%d %H:%M") if chase else "",
        ]
        for assessment, hospital, entry, chase in items
    ]


def months_text(months: list) -> str:
    return "；".join(f"{month}：{uses}" for month, uses in months)


def product_rows(rows, months: dict) -> list[list]:
    return [
        [
            hospital.name,
            hospital.district,
            assessment.state.label,
            assessment.outcome.label if assessment.outcome else "",
            assessment.reason or "",
            _day(assessment.decided_at),
            "是" if assessment.is_late else "否",
            equipping.equipped_on.isoformat() if equipping else "",
            equipping.route.label if equipping else "",
            uses,
            months_text(months.get(assessment.id, [])),
        ]
        for assessment, hospital, _entry, equipping, uses in rows
    ]
