"""Notifications: in the portal always, by e-mail when PORTAL_MAIL_SERVER is set.

Mail goes into an outbox in the caller's transaction and is sent after the commit, never inside a request:
the commit (the `committed` signal of core/unit.py) only starts this process's sender thread (sender.py);
`flask notifications send` (cron, or `--loop` as a worker) does the same from outside. Retries back off, so
a failed send never loses or blocks the change. Any number of senders on any number of nodes may run at once:
each row is claimed in its own committed transaction before it is sent (FOR UPDATE SKIP LOCKED on PostgreSQL,
a conditional update on SQLite), so each message goes out once. A sender killed between sending and
recording sends that message again after the claim lapses (the same Message-ID lets mail systems drop the
copy).
"""

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app, g, has_request_context
from sqlalchemy import update

from portal.core import links
from portal.core.timeutil import utcnow
from portal.core.unit import committed, run_cli
from portal.extensions import db
from portal.notifications.models import Notification, OutboxMail

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
# A claimed row is left alone this long: more than a batch of sends at the SMTP timeout.
CLAIM_LEASE = timedelta(minutes=15)
CLAIM_BATCH = 10
SMTP_TIMEOUT = 10


def notify(users, title: str, body: str = "", link: str = "") -> None:
    """Tell each user in `users` (in the portal, and by mail when configured); the caller commits."""
    mail_on = bool(current_app.config["PORTAL_MAIL_SERVER"])
    for user in users:
        db.session.add(Notification(user_id=user.id, title=title, body=body, link=link))
        if mail_on and user.active:
            url = links.base_url() + link if link else ""
            db.session.add(
                OutboxMail(
                    recipient=user.email,
                    subject=f"[新优药械目录平台] {title}",
                    body="\n\n".join(part for part in (body, url) if part),
                )
            )
            if has_request_context():
                g.mail_queued = True


def notifications_query(user):
    """The user's own notices, newest first."""
    return db.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())


def unread_count(user) -> int:
    return db.session.scalar(
        db.select(db.func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def mark_read(user, notification_ids=None) -> None:
    query = db.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_ids is not None:
        query = query.where(Notification.id.in_(notification_ids))
    db.session.execute(query.values(read_at=utcnow()))


def deliver_pending(limit: int = 50) -> tuple[int, int]:
    """Send due mail from the outbox; returns (sent, failed). Commits its own bookkeeping."""
    server = current_app.config["PORTAL_MAIL_SERVER"]
    if not server:
        return 0, 0
    sent = failed = 0
    while sent + failed < limit:
        claimed = _claim(min(CLAIM_BATCH, limit - sent - failed))
        if not claimed:
            break
        for mail in claimed:
            try:
                _send(server, mail)
            except (OSError, smtplib.SMTPException) as exc:
                mail.last_error = str(exc)[:500]
                mail.next_attempt_at = utcnow() + timedelta(minutes=2**mail.attempts)
                log.warning("mail %s to %s failed (attempt %s): %s", mail.id, mail.recipient, mail.attempts, exc)
                failed += 1
            else:
                mail.sent_at = utcnow()
                sent += 1
            db.session.commit()
    return sent, failed


def _due(now):
    return (
        OutboxMail.sent_at.is_(None),
        OutboxMail.attempts < MAX_ATTEMPTS,
        db.or_(OutboxMail.next_attempt_at.is_(None), OutboxMail.next_attempt_at <= now),
    )


def _claim(count: int) -> list[OutboxMail]:
    """Take up to `count` due rows for this sender alone: counted as an attempt and hidden for the lease."""
    while True:
        now = utcnow()
        candidates = db.session.scalars(
            db.select(OutboxMail.id)
            .where(*_due(now))
            .order_by(OutboxMail.id)
            .limit(count)
            .with_for_update(skip_locked=True)
        ).all()
        claimed = []
        for mail_id in candidates:
            # Still due? Another sender (SQLite has no row locks) may have claimed it since the select.
            taken = db.session.execute(
                update(OutboxMail)
                .where(OutboxMail.id == mail_id, *_due(now))
                .values(attempts=OutboxMail.attempts + 1, next_attempt_at=now + CLAIM_LEASE)
            )
            if taken.rowcount == 1:
                claimed.append(mail_id)
        db.session.commit()
        # Lost every race: those rows are another sender's now, so the next look finds others (or none).
        if claimed or not candidates:
            return db.session.scalars(
                db.select(OutboxMail).where(OutboxMail.id.in_(claimed)).order_by(OutboxMail.id)
            ).all()


def _send(server: str, mail: OutboxMail) -> None:
    host, _, port = server.partition(":")
    sender = current_app.config["PORTAL_MAIL_SENDER"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    # One id per outbox row: a copy sent again after a crash is recognisably the same message.
    domain = sender.rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<outbox.{mail.id}.{int(mail.created_at.timestamp())}@{domain}>"
    message.set_content(mail.body)
    with smtplib.SMTP(host, int(port or 25), timeout=SMTP_TIMEOUT) as smtp:
        smtp.send_message(message)


@committed.connect
def deliver_after_commit(app) -> None:
    """The action has committed (core/unit.py). In a request, leave the sending of the mail it queued to this
    process's sender thread (sender.py); a command delivers it before it exits."""
    if not g.pop("mail_queued", False) or not app.config["PORTAL_MAIL_SERVER"]:
        return
    if has_request_context():
        from portal.notifications import sender

        sender.nudge(app)
        return
    try:
        deliver_pending()
    except Exception:  # never turn a committed action into an error because of mail
        db.session.rollback()
        log.exception("delivering queued mail failed; `flask notifications send` will retry")


def send_reminders_now(send, *, dry_run: bool) -> list:
    """A reminder command (`flask assessments remind`, `flask adoption remind`): a dry run lists what `send`
    would send and keeps nothing; a real run commits through the unit of work, then delivers the queued mail at
    once rather than 50 at a time after each commit."""
    if dry_run:
        found = send(dry_run=True)
        db.session.rollback()
        return found
    found = run_cli(send)
    deliver_pending(limit=500)
    return found

