"""Who may see and review an application: the batch's rules (`portal.catalogue.permissions`), minus drafts."""

from portal.catalogue.permissions import can_manage_batch, can_view_batch
from portal.workflow import ApplicationState


def can_view_application(user, application) -> bool:
    # A draft is the company's unfinished work: nobody on the review side sees it.
    return application.state is not ApplicationState.DRAFT and can_view_batch(user, application.batch)


def can_review(user, application) -> bool:
    return application.state is not ApplicationState.DRAFT and can_manage_batch(user, application.batch)
