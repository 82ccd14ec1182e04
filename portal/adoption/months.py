"""Report months (YYYY-MM): parsing what people type or Excel stores, and month arithmetic."""

import re
from datetime import date

from portal.core.errors import DomainError

_MONTH = re.compile(r"^\s*(\d{4})\s*(?:-|/|\.|年)\s*(\d{1,2})\s*(?:月)?(?:\s*[-/.]\s*\d{1,2}\s*日?)?\s*$")


def month_or_none(text) -> str | None:
    """'2026-11', '2026/11', '2026年11月' or an Excel date cell ('2026-11-01') as '2026-11'; None if not a month."""
    match = _MONTH.match(str(text or ""))
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"


def parse_month(text, field: str = "month") -> str:
    """`month_or_none`, refusing what is not a month."""
    month = month_or_none(text)
    if month is None:
        raise DomainError(f"月份「{str(text or '')[:20]}」格式不正确，应为 YYYY-MM，例如 2026-11。", field=field)
    return month


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_month(day: date) -> str:
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def recent_months(day: date, count: int) -> list[str]:
    """The `count` months up to and including `day`'s month, oldest first."""
    year, month = day.year, day.month
    result = []
    for _ in range(count):
        result.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return result[::-1]
