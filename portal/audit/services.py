"""One helper writes every audit event; it joins the caller's transaction (no commit here)."""

import sqlalchemy as sa
from flask import has_request_context, request

from portal.audit.models import AuditEvent
from portal.core.access import access_denied
from portal.extensions import db


def _client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def _unproxy(value):
    """current_user is a proxy; the audit log wants the model behind it."""
    getter = getattr(value, "_get_current_object", None)
    return getter() if getter else value


def record(
    action: str,
    *,
    actor=None,
    subject: str | None = None,
    obj=None,
    from_state=None,
    to_state=None,
    comment: str | None = None,
    data: dict | None = None,
) -> AuditEvent:
    """Add an audit event to the session. `obj` is any model with an id; states may be enums."""
    obj = _unproxy(obj)
    if obj is not None and obj.id is None:
        db.session.flush()
    ev = _event(action, actor, subject, obj, from_state, to_state, comment, data)
    db.session.add(ev)
    return ev


def _event(action, actor, subject, obj, from_state, to_state, comment, data) -> AuditEvent:
    actor = _unproxy(actor)
    return AuditEvent(
        actor_id=getattr(actor, "id", None),
        subject=subject or getattr(actor, "email", None),
        action=action,
        object_type=type(obj).__tablename__ if obj is not None else None,
        object_id=obj.id if obj is not None else None,
        from_state=str(from_state) if from_state is not None else None,
        to_state=str(to_state) if to_state is not None else None,
        comment=comment,
        ip=_client_ip(),
        data=data,
    )


@access_denied.connect
def _record_denial(app, *, user, reason: str, endpoint, path) -> None:
    """Written on a connection of its own: the refused request rolls back, its denial stays."""
    ev = _event("access.denied", user, None, None, None, None, reason, {"endpoint": endpoint, "path": path})
    values = {c.key: getattr(ev, c.key) for c in AuditEvent.__table__.columns if getattr(ev, c.key) is not None}
    with db.engine.begin() as connection:
        connection.execute(sa.insert(AuditEvent).values(**values))


def history(obj) -> list[AuditEvent]:
    return db.session.scalars(
        db.select(AuditEvent)
        .where(AuditEvent.object_type == type(obj).__tablename__, AuditEvent.object_id == obj.id)
        .order_by(AuditEvent.id)
    ).all()
