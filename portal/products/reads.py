"""What the company's product pages and the attachment download read, scoped to the actor.

A product's applications and catalogue entries belong to the areas above: they answer the signals of
products/signals.py, so this area never imports them."""

from sqlalchemy import select

from portal.core.errors import NotFound
from portal.extensions import db
from portal.products.models import Attachment, Product
from portal.products.permissions import can_download
from portal.products.services import get_own_product
from portal.products.signals import product_shown, products_counted


def company_products(actor, text: str = ""):
    """The actor's company's products by name; `text` narrows to names or registration numbers containing it."""
    query = select(Product).where(Product.company_id == actor.company_id).order_by(Product.name, Product.id)
    term = text.strip()
    if term:
        query = query.where(Product.name.contains(term) | Product.registration_no.contains(term.upper()))
    return query


def with_counts(products) -> list[tuple]:
    """(product, applications, listed entries) for a page of products; the areas above count for all at once."""
    counts = {name: numbers for _, (name, numbers) in products_counted.send([p.id for p in products])}
    applied, listed = counts.get("applied", {}), counts.get("listed", {})
    return [(p, applied.get(p.id, 0), listed.get(p.id, 0)) for p in products]


def product_page(actor, product: Product) -> dict:
    """What the areas above show on the company's page of its own product."""
    get_own_product(actor, product.id)
    shown = {}
    for _, part in product_shown.send(product, actor=actor):
        shown.update(part or {})
    return shown


def own_attachment(actor, product_id: int, attachment_id: int) -> tuple[Product, Attachment]:
    """An attachment of one of the actor's company's products; anything else is NotFound."""
    product = get_own_product(actor, product_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.product_id != product.id:
        raise NotFound()
    return product, attachment


def downloadable(actor, attachment_id: int) -> Attachment:
    """An attachment `actor` may download; not allowed is NotFound too, so its existence is not revealed."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or not can_download(actor, attachment):
        raise NotFound()
    return attachment
