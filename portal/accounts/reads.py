"""What the administration pages read about accounts, and the audit log (only administrators read it; the
audit area below knows no roles)."""

from sqlalchemy import select

from portal.accounts.models import User
from portal.accounts.permissions import require_admin
from portal.audit.models import AuditEvent
from portal.core.persistence import get_or_not_found


def users_query(actor, text: str = ""):
    """Every account by role and address; `text` narrows to addresses containing it."""
    require_admin(actor)
    query = select(User).order_by(User.role, User.email)
    if text.strip():
        query = query.where(User.email.contains(text.strip().lower()))
    return query


def get_user(actor, user_id: int) -> User:
    require_admin(actor)
    return get_or_not_found(User, user_id)


def audit_query(actor, action: str = ""):
    """The audit log, newest first; `action` narrows to actions starting with it (`batch.`)."""
    require_admin(actor)
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if action.strip():
        query = query.where(AuditEvent.action.startswith(action.strip()))
    return query
