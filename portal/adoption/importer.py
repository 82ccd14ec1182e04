"""`flask adoption import-usage FILE` (DESIGN §6): monthly 使用例数 from a file, all or nothing.

Columns 医院名称, 注册证编号, 月份 (YYYY-MM), 使用例数, 配备日期 (optional, YYYY-MM-DD: records 配备 when the
hospital has not yet). Rows go through the same services as the pages, so the same rules hold; an error names
its row and column. Importing the same month again replaces that month.
"""

from dataclasses import dataclass

from portal.adoption import services
from portal.adoption.models import ProcurementRoute
from portal.assessments.importer import errors_message, lookup, row_date
from portal.audit.services import record
from portal.core import timeutil
from portal.core.errors import DomainError
from portal.core.tabular import Row, RowError, read_table

REQUIRED = ("医院名称", "注册证编号", "月份", "使用例数")
FIELD_COLUMNS = {"month": "月份", "uses": "使用例数", "equipped_on": "配备日期", "route": "配备日期"}


@dataclass
class UsageImport:
    reports: int = 0
    equipped: int = 0


def _admitted(row: Row, candidates) -> object:
    admitted = [a for a in candidates if services.is_admitted(a)]
    if not admitted:
        current = candidates[0]
        label = current.outcome.label if current.outcome else current.state.label
        raise RowError(
            row.number, "注册证编号", f"该医院对此产品的评估结论为「{label}」，只有同意配备的产品可以填报使用情况"
        )
    return admitted[0]


def _apply(actor, row: Row, found, now, result: UsageImport) -> None:
    assessment = _admitted(row, found.find(row))
    equipped_on = row_date(row, "配备日期", timeutil.today_shanghai(now), required=False)
    try:
        current = services.equipping_of(assessment)
        if equipped_on and (current is None or current.equipped_on != equipped_on):
            route = current.route if current else ProcurementRoute.OTHER
            services.record_equipped(actor, assessment, equipped_on, route, "文件导入", now=now)
            result.equipped += 1
        services.report_usage(actor, assessment, row.require("月份"), row.require("使用例数"), now=now)
    except RowError:
        raise
    except DomainError as exc:
        raise RowError(row.number, FIELD_COLUMNS.get(exc.field, "注册证编号"), exc.message) from None
    result.reports += 1


def import_usage(actor, path: str, *, now=None) -> UsageImport:
    """Apply every row; any bad row raises and the caller rolls everything back."""
    rows = read_table(path, REQUIRED)
    found = lookup(rows)
    result, errors = UsageImport(), []
    for row in rows:
        try:
            _apply(actor, row, found, now, result)
        except RowError as exc:
            errors.append(exc)
    if errors:
        raise DomainError(errors_message(errors))
    record("adoption.usage_imported", actor=actor, comment=path, data=result.__dict__)
    return result
