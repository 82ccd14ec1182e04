"""`flask assessments import FILE` (DESIGN §6): decisions made on paper, loaded all or nothing.

Columns 医院名称, 注册证编号, 结论 (同意配备/暂不配备/不适用), 理由, 决定日期. Each row decides that hospital's open
assessment of that listed product as of the decision date (late when after the due date). A row whose
assessment already carries the same decision is left alone, so a second import changes nothing.
The lookups here are shared with the use-report import of the adoption area.
"""

import re
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from portal.assessments.models import Assessment, Outcome
from portal.assessments.services import OPEN_STATES, decide
from portal.audit.services import record
from portal.catalogue.models import Entry, EntryStatus
from portal.core import timeutil
from portal.core.errors import DomainError
from portal.core.tabular import Row, RowError, read_table
from portal.directory.models import Hospital
from portal.extensions import db
from portal.products.identifiers import normalise

REQUIRED = ("医院名称", "注册证编号", "结论", "决定日期")
FIELD_COLUMNS = {"outcome": "结论", "reason": "理由", "version": "结论"}
MAX_ERRORS = 20


def row_date(row: Row, column: str, today: date, *, required: bool = True) -> date | None:
    """A date cell: 2025-06-30, 2025/6/30, 2025年6月30日 or an Excel date; never in the future."""
    text = row.get(column, "").strip()
    if not text:
        if required:
            raise RowError(row.number, column, "不能为空")
        return None
    match = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+00:00(?::00)?)?", text)
    try:
        value = date(*(int(g) for g in match.groups())) if match else None
    except ValueError:
        value = None
    if value is None:
        raise RowError(row.number, column, f"「{text[:20]}」不是有效日期，应为 YYYY-MM-DD")
    if value > today:
        raise RowError(row.number, column, f"{value:%Y-%m-%d} 晚于今天")
    return value


@dataclass
class Lookup:
    """The assessments of listed entries for the (hospital name, registration number) pairs of a file."""

    hospitals: set = field(default_factory=set)
    assessments: dict = field(default_factory=dict)  # (hospital name, normalised number) -> [Assessment]

    def find(self, row: Row) -> list[Assessment]:
        name = row.require("医院名称")
        number = normalise(row.require("注册证编号"))
        if name not in self.hospitals:
            raise RowError(row.number, "医院名称", f"没有名为「{name[:40]}」的医疗机构")
        found = self.assessments.get((name, number))
        if not found:
            raise RowError(row.number, "注册证编号", f"{name}没有注册证编号为 {number[:40]} 的在列产品的评估任务")
        return found


def lookup(rows: list[Row]) -> Lookup:
    names = {row.get("医院名称", "") for row in rows} - {""}
    numbers = {normalise(row.get("注册证编号", "")) for row in rows} - {""}
    result = Lookup(hospitals=set(db.session.scalars(sa.select(Hospital.name).where(Hospital.name.in_(names)))))
    query = (
        sa.select(Assessment, Hospital.name, Entry.registration_no)
        .join(Hospital, Hospital.id == Assessment.hospital_id)
        .join(Entry, Entry.id == Assessment.entry_id)
        .where(Hospital.name.in_(names), Entry.registration_no.in_(numbers), Entry.status == EntryStatus.LISTED)
        .order_by(Assessment.id)
    )
    for assessment, name, number in db.session.execute(query):
        result.assessments.setdefault((name, number), []).append(assessment)
    return result


def _outcome(row: Row) -> Outcome:
    text = row.require("结论")
    for outcome in Outcome:
        if text in (outcome.label, outcome.value):
            return outcome
    raise RowError(row.number, "结论", f"「{text[:20]}」应为 同意配备、暂不配备 或 不适用")


@dataclass
class DecisionImport:
    decided: int = 0
    late: int = 0
    unchanged: int = 0


def _apply(actor, row: Row, found: Lookup, today: date, result: DecisionImport) -> None:
    outcome, reason = _outcome(row), row.get("理由", "").strip()
    decided_on = row_date(row, "决定日期", today)
    candidates = found.find(row)
    open_ones = [a for a in candidates if a.state in OPEN_STATES]
    if not open_ones:
        same = [a for a in candidates if a.outcome is outcome and (a.reason or "") == reason]
        if same:
            result.unchanged += 1
            return
        current = candidates[0]
        label = current.outcome.label if current.outcome else current.state.label
        raise RowError(row.number, "结论", f"该评估任务当前为「{label}」，导入只决定未完成的任务")
    assessment = open_ones[0]
    published_on = assessment.batch.published_on
    if published_on and decided_on < published_on:
        raise RowError(row.number, "决定日期", f"早于目录发布日期 {published_on:%Y-%m-%d}")
    try:
        decide(actor, assessment, outcome, reason, now=timeutil.start_of_day_shanghai(decided_on))
    except DomainError as exc:
        raise RowError(row.number, FIELD_COLUMNS.get(exc.field, "结论"), exc.message) from None
    result.decided += 1
    result.late += assessment.is_late


def errors_message(errors: list[RowError]) -> str:
    shown = "\n".join(e.message for e in errors[:MAX_ERRORS])
    more = f"\n……另有 {len(errors) - MAX_ERRORS} 处错误。" if len(errors) > MAX_ERRORS else ""
    return f"导入失败，未写入任何数据（{len(errors)} 处错误）：\n{shown}{more}"


def import_decisions(actor, path: str, *, now=None) -> DecisionImport:
    """Decide the rows' open assessments; any bad row raises and the caller rolls everything back."""
    rows = read_table(path, REQUIRED)
    found, today = lookup(rows), timeutil.today_shanghai(now)
    result, errors = DecisionImport(), []
    for row in rows:
        try:
            _apply(actor, row, found, today, result)
        except RowError as exc:
            errors.append(exc)
    if errors:
        raise DomainError(errors_message(errors))
    record("assessment.imported", actor=actor, comment=path, data=result.__dict__)
    return result
