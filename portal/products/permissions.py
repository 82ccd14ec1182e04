"""Who may see and change a product and download its attachments.

Objects of another company are reported as missing (NotFound, 404) by the callers, never as forbidden.
"""

from sqlalchemy import exists, select

from portal.accounts.models import Role
from portal.applications.models import Application
from portal.applications.permissions import submitted_once_clause
from portal.catalogue.models import Batch, Entry, EntryStatus
from portal.extensions import db
from portal.objections.models import Objection
from portal.products.models import Attachment, Product

REGISTRATION_CERTIFICATE = "注册证"


def _role(user):
    return getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None


def owns_product(user, product: Product) -> bool:
    return _role(user) is Role.MANUFACTURER and user.company_id is not None and user.company_id == product.company_id


def can_edit_product(user, product: Product) -> bool:
    return owns_product(user, product)


def reviewer_catalogue_ids(user) -> list[int]:
    return [c.id for c in user.catalogues] if _role(user) is Role.REVIEWER else []


def _reviewer_sees_product(user, product_id: int) -> bool:
    catalogue_ids = reviewer_catalogue_ids(user)
    if not catalogue_ids:
        return False
    return bool(
        db.session.scalar(
            select(
                exists()
                .where(Application.product_id == product_id, Application.batch_id == Batch.id)
                .where(Batch.catalogue_id.in_(catalogue_ids))
                .where(submitted_once_clause())
            )
        )
    )


def is_listed(product_id: int) -> bool:
    return bool(
        db.session.scalar(select(exists().where(Entry.product_id == product_id, Entry.status == EntryStatus.LISTED)))
    )


def is_public_attachment(attachment: Attachment) -> bool:
    """The current registration certificate of a listed product: anyone may see it."""
    return (
        attachment.product_id is not None
        and attachment.kind == REGISTRATION_CERTIFICATE
        and attachment.retired_at is None
        and is_listed(attachment.product_id)
    )


def public_attachments(product) -> list[Attachment]:
    """What anyone may download of `product` (None: nothing), for the catalogue and assessment pages."""
    return [a for a in (product.attachments if product is not None else []) if is_public_attachment(a)]


def can_download(user, attachment: Attachment) -> bool:
    role = _role(user)
    if role is Role.ADMIN:
        return True
    if role is Role.MANUFACTURER and attachment.company_id is not None and attachment.company_id == user.company_id:
        return True
    if role is Role.REVIEWER:
        if attachment.product_id is not None and _reviewer_sees_product(user, attachment.product_id):
            return True
        if attachment.objection_id is not None:
            objection = db.session.get(Objection, attachment.objection_id)
            batch = objection.batch if objection is not None else None
            if batch is not None and batch.catalogue_id in reviewer_catalogue_ids(user):
                return True
    # Hospitals, other companies and visitors: only what is public.
    return is_public_attachment(attachment)
