"""Notifications: in the portal always, by e-mail when PORTAL_MAIL_SERVER is set.

Mail goes into an outbox in the caller's transaction and is sent after the commit (by the after-request hook
or `flask notifications send`), with retries and back-off, so a failed send never loses or blocks the change.
"""

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app, g, has_request_context

from portal.core.timeutil import utcnow
from portal.core.unit import committed
from portal.extensions import db
from portal.notifications.models import Notification, OutboxMail

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


def notify(users, title: str, body: str = "", link: str = "") -> None:
    """Tell each user in `users` (in the portal, and by mail when configured); the caller commits."""
    mail_on = bool(current_app.config["PORTAL_MAIL_SERVER"])
    for user in users:
        db.session.add(Notification(user_id=user.id, title=title, body=body, link=link))
        if mail_on and user.active:
            url = current_app.config["PORTAL_BASE_URL"].rstrip("/") + link if link else ""
            db.session.add(
                OutboxMail(
                    recipient=user.email,
                    subject=f"[新优药械目录平台] {title}",
                    body="\n\n".join(part for part in (body, url) if part),
                )
            )
            if has_request_context():
                g.mail_queued = True


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
    now = utcnow()
    pending = db.session.scalars(
        db.select(OutboxMail)
        .where(OutboxMail.sent_at.is_(None), OutboxMail.attempts < MAX_ATTEMPTS)
        .where(db.or_(OutboxMail.next_attempt_at.is_(None), OutboxMail.next_attempt_at <= now))
        .order_by(OutboxMail.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    for mail in pending:
        try:
            _send(server, mail)
        except (OSError, smtplib.SMTPException) as exc:
            mail.attempts += 1
            mail.last_error = str(exc)[:500]
            mail.next_attempt_at = now + timedelta(minutes=2**mail.attempts)
            log.warning("mail %s to %s failed (attempt %s): %s", mail.id, mail.recipient, mail.attempts, exc)
            failed += 1
        else:
            mail.sent_at = utcnow()
            mail.attempts += 1
            sent += 1
        db.session.commit()
    return sent, failed


def _send(server: str, mail: OutboxMail) -> None:
    host, _, port = server.partition(":")
    message = EmailMessage()
    message["From"] = current_app.config["PORTAL_MAIL_SENDER"]
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    with smtplib.SMTP(host, int(port or 25), timeout=10) as smtp:
        smtp.send_message(message)


@committed.connect
def deliver_after_commit(app) -> None:
    """The action has committed (core/unit.py): deliver the mail it queued."""
    if g.pop("mail_queued", False):
        try:
            deliver_pending()
        except Exception:  # never turn a committed action into an error because of mail
            db.session.rollback()
            log.exception("delivering queued mail failed; `flask notifications send` will retry")
