"""The one writer of every XLSX and CSV export (DESIGN §6).

XLSX: typed cells (dates, numbers, percentages), a bold frozen header with an autofilter, column widths from the
content. CSV: UTF-8 with a BOM (so Excel shows the Chinese), one charset in the content type. In both, text that
begins with =, +, -, @ (or a tab or carriage return) is neutralised so that no spreadsheet runs it as a formula.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from portal.core import timeutil

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "percent": "0.0%", "int": "0"}
MAX_WIDTH = 60
WIDTH_SAMPLE = 1000  # rows measured for column widths


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"  # text | int | date | datetime | percent (a fraction: 0.85 shows as 85.0%)


@dataclass
class Sheet:
    title: str
    columns: list[Column]
    rows: list[list]


def columns(*headers: str, **kinds: str) -> list[Column]:
    """Columns from headers; `kinds` maps a header to its kind (`截止日期="date"`)."""
    return [Column(h, kinds.get(h, "text")) for h in headers]


def _local(value):
    """Datetimes are stored in UTC: exports show them in Shanghai time, without a zone (Excel has none)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return timeutil.to_shanghai(value).replace(tzinfo=None)
    return value


def _is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def _width(value) -> int:
    text = value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else str(value if value is not None else "")
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def to_xlsx(sheets: list[Sheet]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for spec in sheets:
        sheet = workbook.create_sheet(spec.title[:31])
        sheet.append([c.header for c in spec.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for number, row in enumerate(spec.rows, start=2):
            for index, (column, value) in enumerate(zip(spec.columns, row, strict=True), start=1):
                _write(sheet.cell(number, index), column, _local(value))
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(spec.columns))}{max(1, len(spec.rows) + 1)}"
        for index, column in enumerate(spec.columns, start=1):
            widest = max([_width(column.header)] + [_width(_local(r[index - 1])) for r in spec.rows[:WIDTH_SAMPLE]])
            sheet.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, widest + 2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write(cell, column: Column, value) -> None:
    if value is None or value == "":
        return
    cell.value = value
    if _is_formula_like(value):
        cell.data_type = "s"  # text, never a formula, and kept as text when someone edits the cell
        cell.quotePrefix = True
    elif column.kind in FORMATS:
        cell.number_format = FORMATS[column.kind]


def _csv_value(column: Column, value) -> str:
    value = _local(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if column.kind == "percent" and isinstance(value, int | float):
        return f"{value:.1%}"
    text = str(value)
    return "'" + text if _is_formula_like(text) else text


def to_csv(sheet: Sheet) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in sheet.columns])
    for row in sheet.rows:
        writer.writerow([_csv_value(c, v) for c, v in zip(sheet.columns, row, strict=True)])
    return buffer.getvalue().encode("utf-8-sig")


def download(body: bytes, fmt: str, name: str) -> Response:
    """An attachment named `name`.`fmt` (Chinese names through RFC 5987, an ASCII fallback for old clients)."""
    response = Response(body, content_type=XLSX_MIME if fmt == "xlsx" else CSV_MIME)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"export.{fmt}\"; filename*=UTF-8''{quote(name)}.{fmt}"
    )
    return response


def respond(fmt: str, name: str, sheets: list[Sheet]) -> Response:
    """XLSX of every sheet, or CSV of the first."""
    body = to_xlsx(sheets) if fmt == "xlsx" else to_csv(sheets[0])
    return download(body, fmt, name)
