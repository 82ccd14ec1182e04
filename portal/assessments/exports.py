"""Compliance and queue exports: XLSX (openpyxl) and CSV (UTF-8 with BOM, so Excel shows the Chinese)."""

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from portal.core import timeutil

COMPLIANCE_HEADERS = (
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
)
OVERDUE_HEADERS = ("医院", "区", "产品名称", "注册证编号", "注册人", "截止日期", "逾期天数")
ITEM_HEADERS = (
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
)

MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _date(value) -> str:
    local = timeutil.to_shanghai(value)
    return local.strftime("%Y-%m-%d") if local else ""


def _datetime(value) -> str:
    local = timeutil.to_shanghai(value)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


def _rate(progress) -> str:
    rate = progress.on_time_rate
    return "" if rate is None else f"{rate:.1%}"


def compliance_rows(rows) -> list[list]:
    return [
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
            _rate(p),
        ]
        for hospital, p in rows
    ]


def overdue_rows(items, now) -> list[list]:
    return [
        [
            hospital.name,
            hospital.district,
            entry.product_name,
            entry.registration_no,
            entry.manufacturer,
            _date(assessment.due_at),
            -timeutil.days_left(assessment.due_at, now),
        ]
        for assessment, hospital, entry in items
    ]


def item_rows(items) -> list[list]:
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
                _date(assessment.due_at),
                assessment.state.label,
                assessment.outcome.label if assessment.outcome else "",
                assessment.reason or "",
                _datetime(assessment.decided_at),
                "是" if assessment.is_late else "否",
            ]
        )
    return rows


def to_csv(headers, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(sheets: list[tuple[str, tuple, list]]) -> bytes:
    """`sheets`: (title, headers, rows) each; bold header row, frozen, columns sized to the text."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title[:31])
        sheet.append(list(headers))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "A2"
        for index, header in enumerate(headers, start=1):
            widest = max([len(str(header))] + [len(str(r[index - 1])) for r in rows[:500]])
            sheet.column_dimensions[get_column_letter(index)].width = min(60, 2 * widest + 2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
