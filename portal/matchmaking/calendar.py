"""The ICS invitation of a 医企面对面 meeting (RFC 5545), built like the assessments' due-date feed."""

from datetime import UTC, datetime, timedelta

from portal.assessments.calendar import fold
from portal.core import timeutil


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def meeting_ics(match, base_url: str = "", now: datetime | None = None) -> str:
    """One event; UID stays the same and SEQUENCE grows when the time changes, so calendars update it."""
    meeting = match.meeting
    origin = match.need.title if match.need is not None else match.session.title
    where = meeting.place or meeting.online_link
    description = (
        f"医院：{match.hospital.name}\n企业：{match.company.name}\n产品：{match.product.name}\n"
        f"时间：{timeutil.to_shanghai(meeting.starts_at):%Y-%m-%d %H:%M}（上海时间）"
        + (f"\n线上会议：{meeting.online_link}" if meeting.online_link else "")
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Shanghai Xinyou Portal//Matchmaking//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:match-meeting-{meeting.id}@xinyou-portal",
        f"SEQUENCE:{meeting.sequence}",
        f"DTSTAMP:{_stamp(now or timeutil.utcnow())}",
        f"DTSTART:{_stamp(meeting.starts_at)}",
        f"DTEND:{_stamp(meeting.starts_at + timedelta(minutes=meeting.minutes))}",
        f"SUMMARY:{_escape('医企面对面：' + origin)}",
        f"LOCATION:{_escape(where)}",
        f"DESCRIPTION:{_escape(description)}",
        f"STATUS:{'CONFIRMED' if meeting.state.value == 'confirmed' else 'TENTATIVE'}",
    ]
    if base_url:
        lines.append(f"URL:{base_url.rstrip('/')}/match/responses/{match.id}")
    lines += ["BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-P1D", "DESCRIPTION:明天的医企面对面", "END:VALARM"]
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)
