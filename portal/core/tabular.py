"""Reading CSV and XLSX tables with Chinese headers, with errors that name the row and column."""

import csv
from pathlib import Path

from openpyxl import load_workbook

from portal.core.errors import DomainError


class RowError(DomainError):
    def __init__(self, row: int, column: str, problem: str):
        super().__init__(f"第 {row} 行「{column}」列：{problem}")
        self.row, self.column = row, column


class Row(dict):
    """One data row; `number` is the line a person sees in the spreadsheet (the header is row 1)."""

    def __init__(self, number: int, values: dict):
        super().__init__(values)
        self.number = number

    def require(self, column: str) -> str:
        value = self.get(column, "")
        if not value:
            raise RowError(self.number, column, "不能为空")
        return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "date") and callable(value.date):
        value = value.date()
    return str(value).strip()


def _raw_rows(path: Path) -> list[list[str]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            return [[_cell(v) for v in row] for row in workbook.worksheets[0].iter_rows(values_only=True)]
        finally:
            workbook.close()
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


def read_table(path: str, required_columns: tuple[str, ...]) -> list[Row]:
    file = Path(path)
    if not file.is_file():
        raise DomainError(f"找不到文件：{path}")
    raw = [r for r in _raw_rows(file)]
    if not raw:
        raise DomainError(f"{file.name}：文件是空的。")
    header = [h.strip() for h in raw[0]]
    missing = [c for c in required_columns if c not in header]
    if missing:
        raise DomainError(f"{file.name}：缺少列 {'、'.join(missing)}（第 1 行应为表头）。")
    rows = []
    for number, values in enumerate(raw[1:], start=2):
        if not any(values):
            continue
        padded = values + [""] * (len(header) - len(values))
        rows.append(Row(number, dict(zip(header, padded, strict=False))))
    return rows
