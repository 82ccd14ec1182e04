"""Spreadsheets laid out the way officials publish them (DESIGN §6), built with openpyxl for the import tests.

A merged title row and an issuing-office line above a WPS-style header (bold, wrapped `型号\\n规格`, a 序号
column, a header with a hint in brackets), bordered rows, a few empty bordered rows, and a merged closing 注：… line.
"""

import re
import zipfile
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def official_workbook(path, title: str, header: list[str], rows: list[list], *, note: str = "注：以上排名不分先后。"):
    """Write `rows` under `header` with the official layout; returns (path, first data row number)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    width = len(header) + 1
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(["发布单位：上海市卫生健康委员会　　发布日期：2025年6月30日"])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    sheet.append(["序号", *header])
    for cell in sheet[3]:
        cell.font, cell.border = Font(bold=True), BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for number, row in enumerate(rows, start=1):
        sheet.append([number, *row])
    for _ in range(3):  # empty bordered rows left at the end of the table
        sheet.append([None] * width)
    for line in sheet.iter_rows(min_row=4, max_row=sheet.max_row):
        for cell in line:
            cell.border = BOX
    sheet.append([note])
    sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=width)
    book.save(path)
    return str(path), 4


def excel_date(text: str) -> datetime:
    """A date cell as Excel stores it."""
    return datetime.strptime(text, "%Y-%m-%d")


def with_cached_values(path, values: dict[str, str]) -> None:
    """Store results for formula cells (openpyxl writes formulas without them, Excel and WPS with them)."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    for ref, value in values.items():
        cell = rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/>'
        xml = re.sub(cell, rf'<c r="{ref}" t="str"\1><f>\2</f><v>{value}</v>', xml)
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
