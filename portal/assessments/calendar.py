"""A hospital's due dates as an iCalendar feed (RFC 5545) behind a secret URL.

The token is shown once when made; only its SHA-256 is kept on the hospital, so a leaked database does not
leak working feed URLs. Making a new token ends the old URL.
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from portal.accounts.models import Role
from portal.assessments import compliance
from portal.audit.services import record
from portal.catalogue.models import Batch, Catalogue
from portal.core import timeutil
from portal.core.errors import NotFound, PermissionDenied
from portal.directory.models import Hospital
from portal.extensions import db


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def regenerate_calendar_token(actor) -> str:
    """A new feed token for the actor's hospital; returns it (shown once)."""
    if getattr(actor, "role", None) is not Role.HOSPITAL or actor.hospital is None:
        raise PermissionDenied("只有医院用户可以生成日历订阅地址。")
    token = secrets.token_urlsafe(24)
    actor.hospital.calendar_token_hash = _hash(token)
    record("hospital.calendar_token", actor=actor, obj=actor.hospital, comment="生成新的日历订阅地址")
    return token


def hospital_for_token(token: str) -> Hospital:
    if not token or len(token) > 128:
        raise NotFound()
    hospital = db.session.scalar(sa.select(Hospital).where(Hospital.calendar_token_hash == _hash(token)))
    if hospital is None:
        raise NotFound()
    return hospital


# iCalendar text ---------------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 §3.1) without splitting a UTF-8 character."""
    out, current, size = [], "", 0
    limit = 75
    for ch in line:
        width = len(ch.encode())
        if size + width > limit:
            out.append(current)
            current, size, limit = ch, width, 74  # continuation lines start with one space
        else:
            current += ch
            size += width
    out.append(current)
    return "\r\n ".join(out)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def feed(hospital: Hospital, base_url: str = "", now: datetime | None = None) -> str:
    """One all-day event per update on its due date, with what is still open."""
    now = now or timeutil.utcnow()
    rows = db.session.execute(
        sa.select(Batch, Catalogue, *compliance.single(now))
        .join(compliance.T, compliance.T.batch_id == Batch.id)
        .join(Catalogue, Catalogue.id == Batch.catalogue_id)
        .where(compliance.T.hospital_id == hospital.id)
        .order_by(compliance.T.due_max, Batch.id)
    ).all()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Shanghai Xinyou Portal//Assessments//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(hospital.name + ' 入院评估截止日期')}",
        "X-WR-TIMEZONE:Asia/Shanghai",
    ]
    for row in rows:
        batch, catalogue = row[0], row[1]
        due_day = timeutil.to_shanghai(row.due_at).date()
        status = f"未完成 {row.open} 项" if row.open else "已全部完成"
        summary = f"入院评估截止：{catalogue.name} {batch.name}（{status}）"
        description = (
            f"共 {row.total} 项，已决定 {row.decided} 项，未完成 {row.open} 项。"
            f"截止时间为 {due_day:%Y-%m-%d} 当天 24 时（上海时间）。"
        )
        lines += [
            "BEGIN:VEVENT",
            f"UID:assessment-due-{hospital.id}-{batch.id}@xinyou-portal",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART;VALUE=DATE:{due_day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{due_day + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_escape(summary)}",
            f"DESCRIPTION:{_escape(description)}",
        ]
        if base_url:
            lines.append(f"URL:{base_url.rstrip('/')}/assessments?batch={batch.id}")
        lines += ["TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
