"""Who may resolve an objection: the reviewers of its batch's catalogue."""

from portal.catalogue.permissions import can_manage_batch


def can_resolve_objection(user, objection) -> bool:
    return can_manage_batch(user, objection.batch)
