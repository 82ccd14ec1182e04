"""Helpers shared by the 医企对接 services: text checks, inserting once, notifying each side."""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Role, User
from portal.core.errors import DomainError
from portal.extensions import db
from portal.notifications.services import notify


def text(value, label: str, field: str, *, max_len: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"请填写{label}。", field=field)
    if len(value) > max_len:
        raise DomainError(f"{label}不能超过 {max_len} 字。", field=field)
    return value


def add_once(obj, message: str, field: str) -> None:
    """Add and flush `obj`; when a concurrent request inserted the same row first (unique constraint), refuse
    with `message` instead of failing the request."""
    try:
        with db.session.begin_nested():
            db.session.add(obj)
    except IntegrityError:
        raise DomainError(message, field=field) from None


def hospital_users(hospital_id: int) -> list[User]:
    return db.session.scalars(
        sa.select(User).where(User.role == Role.HOSPITAL, User.hospital_id == hospital_id, User.active)
    ).all()


def company_users(company_id: int) -> list[User]:
    return db.session.scalars(
        sa.select(User).where(User.role == Role.MANUFACTURER, User.company_id == company_id, User.active)
    ).all()


def tell_hospital(hospital_id: int, title: str, body: str, link: str) -> None:
    notify(hospital_users(hospital_id), title, body, link)


def tell_company(company_id: int, title: str, body: str, link: str) -> None:
    notify(company_users(company_id), title, body, link)
