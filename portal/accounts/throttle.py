"""Login throttling that counts atomically and cannot be turned against the account's owner.

Every attempt first takes a slot in its buckets with one atomic upsert, committed on its own connection
before the password is checked, so parallel attempts can never all read "below the limit":
  - e-mail + address: PORTAL_LOGIN_MAX_FAILURES attempts per window; a successful login empties it. This is
    the only bucket for an address from which the user has logged in before (a "known address"), so an
    attacker elsewhere, or behind the same hospital NAT, cannot lock the owner out of their usual address;
  - e-mail (every address) and address (every e-mail): 4× the limit, for unknown addresses only. They cap
    guessing one password from many addresses and spraying many accounts from one.
"""

import hashlib
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from portal.accounts.models import LoginThrottle
from portal.audit.models import AuditEvent
from portal.core.timeutil import utcnow
from portal.extensions import db

KNOWN_ADDRESS_DAYS = 90


def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def _window() -> timedelta:
    return timedelta(minutes=current_app.config["PORTAL_LOGIN_WINDOW_MINUTES"])


def _take(conn, key: str) -> int:
    """Count one attempt in `key`'s window (a new window once the old one has passed); the new count."""
    now = utcnow()
    expired = LoginThrottle.window_start < now - _window()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(LoginThrottle).values(key=key, attempts=1, window_start=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[LoginThrottle.key],
        set_={
            "attempts": sa.case((expired, 1), else_=LoginThrottle.attempts + 1),
            "window_start": sa.case((expired, now), else_=LoginThrottle.window_start),
        },
    ).returning(LoginThrottle.attempts)
    return conn.execute(stmt).scalar_one()


def _known_address(conn, email: str, ip: str | None) -> bool:
    """Has this e-mail logged in successfully from this address recently?"""
    if not ip:
        return False
    since = utcnow() - timedelta(days=KNOWN_ADDRESS_DAYS)
    return bool(
        conn.scalar(
            sa.select(
                sa.exists().where(
                    AuditEvent.action == "login.success",
                    AuditEvent.subject == email,
                    AuditEvent.ip == ip,
                    AuditEvent.created_at >= since,
                )
            )
        )
    )


def take_attempt(email: str, ip: str | None) -> bool:
    """Count this attempt; False when one of its buckets is over the limit (do not check the password)."""
    limit = current_app.config["PORTAL_LOGIN_MAX_FAILURES"]
    # Committed at once on a connection of its own (taken before the request's session holds one): the
    # next parallel attempt must see this one.
    with db.engine.begin() as conn:
        buckets = [(_key("pair", f"{email}|{ip}"), limit)]
        if not _known_address(conn, email, ip):
            buckets += [(_key("email", email), 4 * limit)]
            if ip:
                buckets += [(_key("ip", ip), 4 * limit)]
        for key, most in buckets:
            if _take(conn, key) > most:
                return False
    return True


def forget_failures(email: str, ip: str | None) -> None:
    """After a successful login: this e-mail and address start afresh (joins the caller's transaction)."""
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == _key("pair", f"{email}|{ip}")))
