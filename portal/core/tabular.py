"""Reading CSV and XLSX tables with Chinese headers, laid out the way officials publish them (DESIGN §6).

Title rows above the header, a 序号 column, wrapped or spaced header text, Excel date cells and serial numbers,
written dates, full-width spaces, empty bordered rows and a closing 注：… line are all accepted. Every problem
is a `RowError` naming the row (as the spreadsheet numbers it) and the column.
"""

import csv
import re
import zipfile
from datetime import date, datetime, timedelta
from itertools import repeat, zip_longest
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from portal.core.errors import DomainError

HEADER_SEARCH_ROWS = 20  # how far below the top the header row may sit (title, issuing office, date …)
SERIAL_COLUMN = "序号"
NOTE = re.compile(r"^(?:注|备注|说明)\s*[:：]")
MAX_ERRORS_SHOWN = 20
# Excel counts days from 1899-12-30 (its phantom 1900-02-29 included); serials of 1930–2150 only.
EXCEL_EPOCH = date(1899, 12, 30)
SERIAL_RANGE = range(10958, 91311)
WRITTEN_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s*0?0:00(?::00)?)?")


class RowError(DomainError):
    def __init__(self, row: int, column: str, problem: str):
        super().__init__(f"第 {row} 行「{column}」列：{problem}")
        self.row, self.column, self.problem = row, column, problem


class TableErrors(DomainError):
    """Every bad row of a file at once (nothing is imported); `errors` sorted by row."""

    def __init__(self, errors: list[RowError]):
        self.errors = sorted(errors, key=lambda e: e.row)
        shown = [e.message for e in self.errors[:MAX_ERRORS_SHOWN]]
        more = len(self.errors) - MAX_ERRORS_SHOWN
        tail = f"\n……另有 {more} 处错误" if more > 0 else ""
        super().__init__(f"文件中有 {len(self.errors)} 处错误：\n" + "\n".join(shown) + tail)


EXCEL_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}


class _BadCell:
    """A formula cell whose value cannot be used: no saved result, or an Excel error value."""

    def __init__(self, problem: str):
        self.problem = problem


class Row(dict):
    """One data row; `number` is the row number the spreadsheet shows."""

    def __init__(self, number: int, values: dict):
        super().__init__(values)
        self.number = number

    def require(self, column: str) -> str:
        value = self.get(column, "")
        if not value:
            raise RowError(self.number, column, "不能为空")
        return value

    def date(self, column: str, *, not_after: date | None = None) -> date | None:
        """The column as a date: Excel date cell, serial number, 2025-06-30, 2025/6/30 or 2025年6月30日."""
        text = self.get(column, "")
        if not text:
            return None
        try:
            value = parse_date(text)
        except ValueError as exc:
            raise RowError(self.number, column, str(exc)) from None
        if not_after and value > not_after:
            raise RowError(self.number, column, f"{value:%Y-%m-%d} 晚于今天")
        return value


def parse_date(text: str) -> date:
    text = text.strip()
    if text.isdigit() and int(text) in SERIAL_RANGE:
        return EXCEL_EPOCH + timedelta(days=int(text))
    match = WRITTEN_DATE.fullmatch(text)
    if not match:
        raise ValueError(f"「{text}」不是有效日期，应为 2025-06-30、2025/6/30 或 2025年6月30日")
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        raise ValueError(f"「{text}」不是有效日期（没有这一天）") from None


def header_key(text: str) -> str:
    """A header cell as a column name: no whitespace (wrapped `型号\\n规格`), no * mark, no (…) hint."""
    key = "".join(str(text).split()).lstrip("*＊")
    return re.sub(r"[（(][^）)]*[）)]$", "", key) or key


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value.replace(microsecond=0)
    return str(value).strip()  # str.strip() also removes the ideographic (full-width) space


def _has_formulas(path: Path) -> bool:
    """Whether any sheet holds a formula (<f> element): only then is the file read a second time for them."""
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        return any(re.search(rb"<f[ >]", archive.read(n)) for n in sheets)


def _xlsx_rows(path: Path) -> list[list]:
    """Cached values of the first sheet; a formula without a saved result becomes a marker naming the cell."""
    formulas = _has_formulas(path)
    values_book = load_workbook(path, read_only=True, data_only=True)
    formula_book = load_workbook(path, read_only=True, data_only=False) if formulas else None
    try:
        pairs = zip(
            values_book.worksheets[0].iter_rows(min_row=1, values_only=True),
            formula_book.worksheets[0].iter_rows(min_row=1, values_only=True) if formulas else repeat(()),
            strict=False,
        )
        return [
            [
                _xlsx_cell(f"{get_column_letter(col)}{number}", value, formula)
                for col, (value, formula) in enumerate(zip_longest(values, cell_formulas[: len(values)]), start=1)
            ]
            for number, (values, cell_formulas) in enumerate(pairs, start=1)
        ]
    finally:
        values_book.close()
        if formula_book is not None:
            formula_book.close()


def _xlsx_cell(coordinate: str, value, formula):
    if isinstance(value, str) and value in EXCEL_ERRORS:
        return _BadCell(f"单元格 {coordinate} 的公式结果是错误值 {value}，请先改正公式")
    if value is None and isinstance(formula, str) and formula.startswith("="):
        return _BadCell(
            f"单元格 {coordinate} 是公式 {formula[:40]}，文件中没有保存计算结果；"
            "请在 Excel 或 WPS 中打开后保存，或把公式粘贴为数值",
        )
    return _cell(value)


def _raw_rows(path: Path) -> list[list]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            return _xlsx_rows(path)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
            raise DomainError(f"{path.name}：不是有效的 .xlsx 文件（请在 Excel 或 WPS 中另存为 .xlsx）。") from None
    if suffix == ".csv":
        # utf-8-sig: Excel writes a BOM; GB18030 is what Excel on Chinese Windows saves "CSV" as.
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                with path.open(newline="", encoding=encoding) as fh:
                    return [[_cell(v) for v in row] for row in csv.reader(fh)]
            except UnicodeDecodeError:
                continue
        raise DomainError(f"{path.name}：无法识别文件编码，请另存为 UTF-8 编码的 CSV。")
    raise DomainError(f"{path.name}：只支持 .csv 和 .xlsx 文件。")


def _find_header(raw: list[list], required: tuple[str, ...], aliases: dict, name: str) -> tuple[int, list[str]]:
    wanted, best = set(required), (0, 0, [])
    for index, cells in enumerate(raw[:HEADER_SEARCH_ROWS]):
        keys = [aliases.get(k, k) for k in (header_key(c) if isinstance(c, str) else "" for c in cells)]
        found = len(wanted & set(keys))
        if found == len(wanted):
            return index, keys
        if found > best[0]:
            best = (found, index, keys)
    found, index, keys = best
    if not found:
        columns = "、".join(required)
        raise DomainError(f"{name}：前 {HEADER_SEARCH_ROWS} 行中找不到表头（应包含列 {columns}）。")
    missing = "、".join(c for c in required if c not in keys)
    raise DomainError(f"{name}：缺少列 {missing}（表头在第 {index + 1} 行）。")


def _is_blank(values: dict) -> bool:
    return not any(v for k, v in values.items() if k != SERIAL_COLUMN)


def _is_note(cells: list) -> bool:
    first = next((c for c in cells if c), "")
    return isinstance(first, str) and bool(NOTE.match(first))


def read_table(path: str, required_columns: tuple[str, ...], aliases: dict[str, str] | None = None) -> list[Row]:
    """Data rows of the first sheet below the header row; `aliases` maps other header names to column names.

    Unusable formula cells are errors naming the cell, all reported together (TableErrors).
    """
    file = Path(path)
    if not file.is_file():
        raise DomainError(f"找不到文件：{path}")
    raw = _raw_rows(file)
    if not any(any(r) for r in raw):
        raise DomainError(f"{file.name}：文件是空的。")
    header_index, header = _find_header(raw, required_columns, aliases or {}, file.name)
    rows, errors = [], []
    for number, cells in enumerate(raw[header_index + 1 :], start=header_index + 2):
        if _is_note(cells):
            continue
        padded = cells + [""] * (len(header) - len(cells))
        values = {key: value for key, value in zip(header, padded, strict=False) if key}
        for column, value in values.items():
            if isinstance(value, _BadCell):
                errors.append(RowError(number, column, value.problem))
                values[column] = ""
        if not _is_blank(values):
            rows.append(Row(number, values))
    if errors:
        raise TableErrors(errors)
    return rows
