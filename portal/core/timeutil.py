"""Time rules: store UTC, show Asia/Shanghai, deadlines are end of day in Shanghai."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today_shanghai(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(SHANGHAI).date()


def end_of_day_shanghai(day: date) -> datetime:
    """The last microsecond of `day` in Shanghai, as an aware UTC datetime."""
    local = datetime.combine(day, time.max, tzinfo=SHANGHAI)
    return local.astimezone(UTC)


def start_of_day_shanghai(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI).astimezone(UTC)


def due_at(published_on: date, deadline_days: int) -> datetime:
    """Assessment deadline: end of day (Shanghai) of publication date + deadline days."""
    return end_of_day_shanghai(published_on + timedelta(days=deadline_days))


def to_shanghai(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI)


def days_left(due: datetime, now: datetime | None = None) -> int:
    """Whole Shanghai calendar days from today until the due date (negative when overdue)."""
    return (to_shanghai(due).date() - today_shanghai(now)).days
