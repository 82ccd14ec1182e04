"""Who may see and run a batch, and delist an entry.

Reviewers are scoped to catalogues (`user.catalogues`); they act on the batches of those catalogues only.
Administrators may VIEW every batch, queue and audit trail (they answer for the system) but do not ACT:
reviewing is an official decision taken by the reviewers a catalogue names, and keeping account
administration apart from it means no single account can both grant itself a catalogue and decide in it.
"""

from portal.accounts.models import Role


def _is(user, role) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.role is role)


def reviews_catalogue(user, catalogue_id: int) -> bool:
    return _is(user, Role.REVIEWER) and any(c.id == catalogue_id for c in user.catalogues)


def catalogue_ids_in_view(user) -> list[int] | None:
    """The catalogues whose batches `user` may see; None means all of them (admin)."""
    if _is(user, Role.ADMIN):
        return None
    if _is(user, Role.REVIEWER):
        return [c.id for c in user.catalogues]
    return []


def can_view_batch(user, batch) -> bool:
    return _is(user, Role.ADMIN) or reviews_catalogue(user, batch.catalogue_id)


def can_manage_batch(user, batch) -> bool:
    return reviews_catalogue(user, batch.catalogue_id)


def can_delist(user, entry) -> bool:
    return reviews_catalogue(user, entry.catalogue_id)
