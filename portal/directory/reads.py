"""What the administration pages read about companies and hospitals (administrators only)."""

from sqlalchemy import select

from portal.accounts.permissions import require_admin
from portal.core.persistence import get_or_not_found
from portal.directory.models import Company, Hospital
from portal.extensions import db


def companies_query(actor, text: str = ""):
    require_admin(actor)
    query = select(Company).order_by(Company.name)
    return query.where(Company.name.contains(text.strip())) if text.strip() else query


def hospitals_query(actor, text: str = ""):
    require_admin(actor)
    query = select(Hospital).order_by(Hospital.district, Hospital.name)
    return query.where(Hospital.name.contains(text.strip())) if text.strip() else query


def all_companies(actor) -> list[Company]:
    return db.session.scalars(companies_query(actor)).all()


def all_hospitals(actor) -> list[Hospital]:
    """By name (the list pages order by district first)."""
    require_admin(actor)
    return db.session.scalars(select(Hospital).order_by(Hospital.name)).all()


def get_company(actor, company_id: int) -> Company:
    require_admin(actor)
    return get_or_not_found(Company, company_id)


def get_hospital(actor, hospital_id: int) -> Hospital:
    require_admin(actor)
    return get_or_not_found(Hospital, hospital_id)
