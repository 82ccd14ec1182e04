"""Who may administer: administrators, and the command line's system actor acting for one."""

from portal.accounts.models import Role
from portal.core.actors import is_system
from portal.core.errors import PermissionDenied


def require_admin(actor) -> None:
    if not is_system(actor) and getattr(actor, "role", None) is not Role.ADMIN:  # None: refused
        raise PermissionDenied()
