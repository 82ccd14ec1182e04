"""Accounts: authentication with throttling, sessions that really end, user administration."""

from typing import NoReturn

import sqlalchemy as sa
from flask import current_app

from portal.accounts import throttle
from portal.accounts.models import Role, User, new_session_token
from portal.accounts.passwords import (
    burn_time,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from portal.audit.labels import field_changes
from portal.audit.services import record
from portal.core.actors import is_system
from portal.core.errors import DomainError, PermissionDenied
from portal.core.reference import DISTRICTS
from portal.core.timeutil import utcnow
from portal.extensions import db


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


# Built once: every logged-in request runs it, and Session.get builds its SELECT afresh each time (a third
# of the loader's cost).
_USER_BY_ID = sa.select(User).where(User.id == sa.bindparam("user_id"))


def load_user_from_cookie(cookie_id: str) -> User | None:
    """Flask-Login loader: the cookie holds `id:session_token`; a rotated token ends that session."""
    user_id, _, token = (cookie_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.execute(_USER_BY_ID, {"user_id": int(user_id)}).scalar()
    if user is None or not user.active or user.session_token != token:
        return None
    return user


class LoginThrottled(DomainError):
    status_code = 429


def _refuse_login(error: DomainError, action: str, **audit) -> NoReturn:
    """Audit a refused login, commit, then raise. This service's own commit: the unit of work rolls a refusal
    back, yet the audit log must keep every failed attempt (a refused login has changed nothing else)."""
    record(action, **audit)
    db.session.commit()
    raise error


def authenticate(email: str, password: str, ip: str | None) -> User:
    """Return the user for these credentials or raise; every outcome is audited (a success is committed by the
    caller, a refusal here). The throttle's attempt slot is committed apart before the password is checked."""
    email = normalise_email(email)[:254]
    if not throttle.take_attempt(email, ip):
        minutes = current_app.config["PORTAL_LOGIN_WINDOW_MINUTES"]
        message = f"登录失败次数过多，请 {minutes} 分钟后再试（或从您常用的网络登录）。"
        _refuse_login(LoginThrottled(message), "login.throttled", subject=email)
    user = db.session.scalar(db.select(User).where(User.email == email))
    if user is None:
        burn_time(password)
    if user is None or not verify_password(user.password_hash, password) or not user.active:
        _refuse_login(
            DomainError("邮箱或密码不正确。", field="password"),
            "login.failure",
            subject=email,
            obj=user,
            comment="账号已停用" if user is not None and not user.active else None,
        )
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    throttle.forget_failures(email, ip)
    record("login.success", actor=user, obj=user)
    return user


def end_sessions(user: User, reason: str) -> None:
    """Rotate the session token: every session and remember-me cookie of this user stops working."""
    user.session_token = new_session_token()
    record(f"session.{reason}", actor=user, obj=user)


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password):
        raise DomainError("当前密码不正确。", field="current_password")
    problem = password_problem(new_password)
    if problem:
        raise DomainError(problem, field="new_password")
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    end_sessions(user, "password_changed")


def create_user(
    actor: User | None,
    *,
    email: str,
    role: Role,
    password: str,
    name: str = "",
    company=None,
    hospital=None,
    catalogues=(),
    district: str | None = None,
) -> User:
    """Create an account (an administrator, or the command line's system actor)."""
    if not is_system(actor) and getattr(actor, "role", None) is not Role.ADMIN:  # None: refused
        raise PermissionDenied()
    email = normalise_email(email)
    if not email or "@" not in email:
        raise DomainError("请输入有效的邮箱地址。", field="email")
    if db.session.scalar(db.select(User.id).where(User.email == email)):
        raise DomainError(f"邮箱 {email} 已被使用。", field="email")
    problem = password_problem(password)
    if problem:
        raise DomainError(problem, field="password")
    _check_scope(role, company, hospital, catalogues, district)
    user = User(
        email=email,
        name=name,
        role=role,
        password_hash=hash_password(password),
        company=company if role is Role.MANUFACTURER else None,
        hospital=hospital if role is Role.HOSPITAL else None,
        catalogues=list(catalogues) if role is Role.REVIEWER else [],
        district=(district or None) if role is Role.SUPERVISOR else None,
    )
    db.session.add(user)
    record("user.created", actor=actor, obj=user, to_state=role.value, data={"email": email})
    return user


def update_user(
    actor: User,
    user: User,
    *,
    name: str,
    role: Role,
    active: bool,
    company=None,
    hospital=None,
    catalogues=(),
    district: str | None = None,
) -> None:
    if actor.role is not Role.ADMIN:
        raise PermissionDenied()
    if user.id == actor.id and (not active or role is not Role.ADMIN):
        raise DomainError("不能停用自己的账号或取消自己的管理员角色。", field="active")
    _check_scope(role, company, hospital, catalogues, district)
    old_role, was_active = user.role, user.active
    changes = field_changes(user, {"name": name, "role": role, "active": active})
    user.name, user.role, user.active = name, role, active
    user.company = company if role is Role.MANUFACTURER else None
    user.hospital = hospital if role is Role.HOSPITAL else None
    user.catalogues = list(catalogues) if role is Role.REVIEWER else []
    user.district = (district or None) if role is Role.SUPERVISOR else None
    record(
        "user.updated",
        actor=actor,
        obj=user,
        from_state=old_role.value,
        to_state=role.value,
        data={"active": active, "changes": changes},
    )
    if was_active and not active:
        end_sessions(user, "deactivated")


def _check_scope(role: Role, company, hospital, catalogues, district=None) -> None:
    if role is Role.MANUFACTURER and company is None:
        raise DomainError("企业用户必须关联一个企业。", field="company")
    if role is Role.HOSPITAL and hospital is None:
        raise DomainError("医院用户必须关联一家医疗机构。", field="hospital")
    if role is Role.REVIEWER and not catalogues:
        raise DomainError("审核人员至少需要负责一个目录。", field="catalogues")
    if role is Role.SUPERVISOR and district and district not in DISTRICTS:
        raise DomainError(f"监管范围「{district[:16]}」不是上海市的区；留空表示全市。", field="district")
