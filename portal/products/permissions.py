"""Who may see and change a product and download its attachments.

Objects of another company are reported as missing (NotFound, 404) by the callers, never as forbidden. Who
else may download an attachment is decided by the areas above (reviewers of what it was submitted to, the
public for a listed product's certificate): they answer `attachment_access` (products/signals.py).
"""

from portal.accounts.models import Role
from portal.products.models import Attachment, Product
from portal.products.signals import attachment_access


def _role(user):
    return getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None


def owns_product(user, product: Product) -> bool:
    return _role(user) is Role.MANUFACTURER and user.company_id is not None and user.company_id == product.company_id


def can_edit_product(user, product: Product) -> bool:
    return owns_product(user, product)


def reviewer_catalogue_ids(user) -> list[int]:
    return [c.id for c in user.catalogues] if _role(user) is Role.REVIEWER else []


def can_download(user, attachment: Attachment) -> bool:
    role = _role(user)
    if role is Role.ADMIN:
        return True
    if role is Role.MANUFACTURER and attachment.company_id is not None and attachment.company_id == user.company_id:
        return True
    return any(allowed is True for _, allowed in attachment_access.send(attachment, user=user))
