"""Who may see and review an application: the batch's rules (`portal.catalogue.permissions`), minus drafts."""

from portal.applications.permissions import submitted_once
from portal.catalogue.permissions import can_manage_batch, can_view_batch


def can_view_application(user, application) -> bool:
    # A draft is the company's unfinished work: nobody on the review side sees it.
    return submitted_once(application) and can_view_batch(user, application.batch)


def can_review(user, application) -> bool:
    return submitted_once(application) and can_manage_batch(user, application.batch)
