"""What the administration pages read about catalogues (administrators only); the public pages read through
services.py."""

from sqlalchemy import select

from portal.accounts.permissions import require_admin
from portal.catalogue.models import Catalogue
from portal.core.persistence import get_or_not_found
from portal.extensions import db


def catalogues_query(actor):
    require_admin(actor)
    return select(Catalogue).order_by(Catalogue.id)


def all_catalogues(actor) -> list[Catalogue]:
    return db.session.scalars(catalogues_query(actor)).all()


def catalogues_by_ids(actor, ids) -> list[Catalogue]:
    require_admin(actor)
    return db.session.scalars(select(Catalogue).where(Catalogue.id.in_(list(ids or ())))).all()


def get_catalogue(actor, catalogue_id: int) -> Catalogue:
    require_admin(actor)
    return get_or_not_found(Catalogue, catalogue_id)
