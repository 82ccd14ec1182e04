"""Who may see and act on needs, matches and sessions.

Another party's need, response or meeting is reported as missing (NotFound), never as forbidden, so that its
existence is not revealed.
"""

from portal.accounts.models import Role
from portal.core.actors import SystemActor
from portal.core.errors import NotFound, PermissionDenied

# The named actor of the scheduled commands (audit subject "system:matchmaking-cron"); it has no user row.
CRON = SystemActor("matchmaking-cron")


def _role(user):
    return getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None


def is_need_owner(user, need) -> bool:
    return (
        _role(user) is Role.HOSPITAL
        and need is not None
        and user.hospital_id is not None
        and user.hospital_id == need.hospital_id
    )


def require_need_owner(user, need) -> None:
    if not is_need_owner(user, need):
        raise NotFound("未找到该临床需求。")


def company_district_sees(user, district: str | None) -> bool:
    """A company sees what is addressed to the whole city or to its own district."""
    return district is None or (user.company is not None and user.company.district == district)


def is_match_hospital(user, match) -> bool:
    return _role(user) is Role.HOSPITAL and match is not None and user.hospital_id == match.hospital_id


def is_match_company(user, match) -> bool:
    return _role(user) is Role.MANUFACTURER and match is not None and user.company_id == match.company_id


def require_match_party(user, match) -> None:
    if not (is_match_hospital(user, match) or is_match_company(user, match)):
        raise NotFound("未找到该对接记录。")


def require_match_hospital(user, match) -> None:
    require_match_party(user, match)
    if not is_match_hospital(user, match):
        raise PermissionDenied("只有提出需求的医院可以执行此操作。")


def require_match_company(user, match) -> None:
    require_match_party(user, match)
    if not is_match_company(user, match):
        raise PermissionDenied("只有响应的企业可以执行此操作。")


def can_run_sessions(user) -> bool:
    return _role(user) in (Role.REVIEWER, Role.SUPERVISOR)


def session_districts(user) -> list[str] | None:
    """Districts a session organiser may address: None means any (the city); a district supervisor: its own."""
    if _role(user) is Role.SUPERVISOR and user.district:
        return [user.district]
    return None


def sees_session(user, session) -> bool:
    role = _role(user)
    if session is None or role is None:
        return False
    if role in (Role.ADMIN, Role.REVIEWER):
        return True
    if role is Role.SUPERVISOR:
        return not user.district or session.district in (None, user.district)
    if role is Role.MANUFACTURER:
        return company_district_sees(user, session.district)
    if role is Role.HOSPITAL:
        return session.district in (None, user.hospital.district)
    return False


def require_sees_session(user, session) -> None:
    if not sees_session(user, session):
        raise NotFound("未找到该医企面对面活动。")


def can_manage_session(user, session) -> bool:
    return can_run_sessions(user) and session is not None and session.organiser_id == user.id


def sees_overview(user) -> bool:
    return _role(user) in (Role.ADMIN, Role.REVIEWER, Role.SUPERVISOR)


def overview_district(user) -> str | None:
    """The district an overview is limited to (a district supervisor's), or None for the whole city."""
    return user.district if _role(user) is Role.SUPERVISOR else None
