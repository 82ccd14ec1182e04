"""Time rules: store UTC, show Asia/Shanghai, deadlines are end of day in Shanghai."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Set only by `replayed_at` (the demo seed replays a batch's past through the services).
_replay_now: ContextVar[datetime | None] = ContextVar("replay_now", default=None)


def utcnow() -> datetime:
    return _replay_now.get() or datetime.now(UTC)


@contextmanager
def replayed_at(at: datetime):
    """Run the services as if it were `at`: the same rules apply, only the clock is earlier."""
    token = _replay_now.set(at)
    try:
        yield
    finally:
        _replay_now.reset(token)


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
