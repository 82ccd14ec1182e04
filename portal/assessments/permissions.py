"""Who may work on an assessment and who may see a batch's compliance.

Another hospital's assessment is reported as missing (NotFound), never as forbidden, so that its existence
is not revealed.
"""

from portal.accounts.models import Role
from portal.core.errors import NotFound
from portal.workflow import AssessmentState


def _role(user):
    return getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None


def can_assess(user, assessment) -> bool:
    """Hospital staff of the assessment's own hospital."""
    return (
        _role(user) is Role.HOSPITAL
        and user.hospital_id is not None
        and assessment is not None
        and user.hospital_id == assessment.hospital_id
    )


def require_assess(user, assessment) -> None:
    if not can_assess(user, assessment):
        raise NotFound("未找到该评估任务。")


def can_decide(user, assessment) -> bool:
    """For templates: show the decision form only where a decision is possible."""
    return can_assess(user, assessment) and assessment.state is not AssessmentState.CLOSED


def can_view_compliance(user, batch) -> bool:
    """Reviewers of the batch's catalogue and administrators."""
    role = _role(user)
    if batch is None:  # no such batch: a 404 for everyone, administrators included
        return False
    if role is Role.ADMIN:
        return True
    if role is Role.REVIEWER:
        return any(c.id == batch.catalogue_id for c in user.catalogues)
    return False


def require_compliance(user, batch) -> None:
    if not can_view_compliance(user, batch):
        raise NotFound("未找到该批次。")
