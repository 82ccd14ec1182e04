"""Personal API tokens for hospital systems: shown once, stored as SHA-256 only, revocable."""

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from portal.accounts.models import ApiToken, Role, User
from portal.audit.services import record
from portal.core.actors import is_system
from portal.core.errors import DomainError, NotFound, PermissionDenied
from portal.core.timeutil import utcnow
from portal.extensions import db

PREFIX = "xy_"
MAX_ACTIVE = 10
# Writing last_used_at on every call would turn each read into a write; once a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(actor, name: str, owner: User | None = None) -> tuple[ApiToken, str]:
    """A new token for `owner` (default: the actor); returns the row and the token itself, which is never stored
    or shown again. An administrator (or a system actor: the command line) may provision one for a hospital user."""
    if actor is None:  # no actor is a bug, never "allow everything"
        raise PermissionDenied()
    owner = owner or actor
    if actor is not owner and not is_system(actor) and getattr(actor, "role", None) is not Role.ADMIN:
        raise PermissionDenied()
    if owner.role is not Role.HOSPITAL or not owner.active:
        raise PermissionDenied(f"只有启用的医院用户可以持有 API 令牌，{owner.email} 是{owner.role.label}。")
    name = (name or "").strip()
    if not name:
        raise DomainError("请为令牌填写一个名称，例如所接入的系统。", field="name")
    if len(name) > 64:
        raise DomainError("名称不能超过 64 个字符。", field="name")
    active = db.session.scalar(
        sa.select(sa.func.count(ApiToken.id)).where(ApiToken.user_id == owner.id, ApiToken.revoked_at.is_(None))
    )
    if active >= MAX_ACTIVE:
        raise DomainError(f"每位用户最多 {MAX_ACTIVE} 个有效令牌，请先吊销不再使用的令牌。", field="name")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=owner.id, name=name, token_hash=hash_token(token), prefix=token[:10])
    db.session.add(row)
    db.session.flush()
    record("api_token.created", actor=actor, obj=row, comment=name)
    return row, token


def list_tokens(actor: User) -> list[ApiToken]:
    return db.session.scalars(
        sa.select(ApiToken)
        .where(ApiToken.user_id == actor.id)
        .order_by(ApiToken.revoked_at.isnot(None), ApiToken.id.desc())
    ).all()


def get_own_token(actor: User, token_id: int) -> ApiToken:
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != actor.id:
        raise NotFound("未找到该令牌。")
    return row


def revoke_token(actor: User, token: ApiToken) -> ApiToken:
    if token.user_id != actor.id:
        raise NotFound("未找到该令牌。")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record("api_token.revoked", actor=actor, obj=token, comment=token.name)
    return token


def user_for_token(token: str) -> User | None:
    """The active user owning a valid, unrevoked token (and note its use), or None."""
    if not token or not token.startswith(PREFIX) or len(token) > 128:
        return None
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        _note_use(row.id, now)
    return row.user


def _note_use(token_id: int, now) -> None:
    """Written on a connection of its own: the use is kept even when the request fails, without a commit of
    the request's work in the middle of it."""
    with db.engine.begin() as connection:
        connection.execute(sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
