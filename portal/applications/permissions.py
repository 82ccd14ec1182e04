"""Who may see and act on an application. Another company's application is "not found", never forbidden."""

from sqlalchemy import and_, not_

from portal.accounts.models import Role
from portal.applications.models import Application
from portal.workflow import APPLICATION, ApplicationState

EDITABLE_STATES = (ApplicationState.DRAFT, ApplicationState.RETURNED)


def _role(user):
    return getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None


def is_applicant(user, application) -> bool:
    return (
        _role(user) is Role.MANUFACTURER and user.company_id is not None and user.company_id == application.company_id
    )


def submitted_once(application) -> bool:
    """Until the company submits it (a draft, or a draft it withdrew) an application is the company's alone."""
    if application.state is ApplicationState.DRAFT:
        return False
    return application.state is not ApplicationState.WITHDRAWN or application.submitted_at is not None


def submitted_once_clause():
    """submitted_once() as a SQL condition on Application."""
    return and_(
        Application.state != ApplicationState.DRAFT,
        not_(and_(Application.state == ApplicationState.WITHDRAWN, Application.submitted_at.is_(None))),
    )


def can_view_application(user, application) -> bool:
    role = _role(user)
    if role is Role.MANUFACTURER:
        return is_applicant(user, application)
    if not submitted_once(application):
        return False
    if role is Role.ADMIN:
        return True
    if role is Role.REVIEWER:
        return application.batch.catalogue_id in {c.id for c in user.catalogues}
    return False


def can_edit_application(user, application) -> bool:
    """The applicant may change the statement and submit while it is a draft or was returned."""
    return is_applicant(user, application) and application.state in EDITABLE_STATES


def can_submit_application(user, application) -> bool:
    return is_applicant(user, application) and APPLICATION.can(application.state, "submit")


def can_withdraw_application(user, application) -> bool:
    return is_applicant(user, application) and APPLICATION.can(application.state, "withdraw")
