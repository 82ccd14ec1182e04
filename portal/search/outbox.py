"""Index changes are recorded in the same transaction as the data they mirror; one writer applies them."""

from portal.extensions import db
from portal.search.models import IndexChange

ENTRY = "entry"
APPLICATION = "application"


def queue(doc_type: str, doc_id: int) -> None:
    """Note that document `doc_id` of `doc_type` must be (re)indexed or removed; the caller commits."""
    db.session.add(IndexChange(doc_type=doc_type, doc_id=doc_id))
