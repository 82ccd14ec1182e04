"""The named system actor: imports and other unattended commands act as this user, never as None.

It is an inactive administrator row with an unusable password, so it can be named in the audit log and as
the author of records (decided_by, reported_by) but can never log in.
"""

import secrets

from portal.accounts.models import Role, User
from portal.accounts.passwords import hash_password
from portal.extensions import db

SYSTEM_EMAIL = "system@portal.invalid"


def system_actor() -> User:
    """The system user, created on first use (the caller commits)."""
    user = db.session.scalar(db.select(User).where(User.email == SYSTEM_EMAIL))
    if user is None:
        user = User(
            email=SYSTEM_EMAIL,
            name="系统（命令行导入）",
            role=Role.ADMIN,
            active=False,
            password_hash=hash_password(secrets.token_urlsafe(32)),
        )
        db.session.add(user)
        db.session.flush()
    return user


def is_system(user) -> bool:
    return getattr(user, "email", None) == SYSTEM_EMAIL
