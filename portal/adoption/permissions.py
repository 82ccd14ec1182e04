"""Who sees adoption figures: supervisors over their scope (a district, or the whole city), administrators
over everything, a company over its own products, a hospital over its own assessments.

Anything outside the viewer's scope is reported as missing (NotFound), never as forbidden.
"""

from portal.accounts.models import Role
from portal.core.errors import NotFound


def _role(user):
    return getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None


def can_supervise(user) -> bool:
    return _role(user) in (Role.SUPERVISOR, Role.ADMIN)


def scope_district(user) -> str | None:
    """The district a supervisor watches; None is the whole city."""
    return user.district if _role(user) is Role.SUPERVISOR else None


def require_supervise(user) -> None:
    if not can_supervise(user):
        raise NotFound("未找到该页面。")


def require_hospital_in_scope(user, hospital) -> None:
    require_supervise(user)
    district = scope_district(user)
    if hospital is None or not hospital.is_public or (district and hospital.district != district):
        raise NotFound("未找到该医疗机构。")


def can_chase(user, assessment) -> bool:
    """Supervisors chase hospitals of their own scope (administrators only watch)."""
    if _role(user) is not Role.SUPERVISOR or assessment is None:
        return False
    return not user.district or assessment.hospital.district == user.district


def can_view_product_adoption(user, entry) -> bool:
    """The company that owns the listed product."""
    return (
        _role(user) is Role.MANUFACTURER
        and entry is not None
        and entry.product is not None
        and entry.product.company_id == user.company_id
    )


def require_product_adoption(user, entry) -> None:
    if not can_view_product_adoption(user, entry):
        raise NotFound("未找到该目录条目。")
