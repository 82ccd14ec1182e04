"""Themed 医企面对面 sessions: run by a reviewer or a supervisor (district or city); companies sign up with products
(up to the capacity); hospitals register attendance and afterwards record follow-ups like a need's outcome."""

from datetime import timedelta

import sqlalchemy as sa

from portal.accounts.models import Role
from portal.audit.services import record
from portal.core import timeutil
from portal.core.errors import DomainError, IllegalTransition, PermissionDenied
from portal.core.persistence import check_version
from portal.core.reference import DEPARTMENTS, DISTRICTS, KEY_AREAS
from portal.extensions import db
from portal.matchmaking import common, meetings
from portal.matchmaking.models import Match, MatchSession, SessionAttendance, SessionSignup
from portal.matchmaking.permissions import (
    can_manage_session,
    can_run_sessions,
    require_sees_session,
    sees_session,
    session_districts,
)
from portal.matchmaking.states import SESSION, SessionState
from portal.notifications.services import notify
from portal.products.models import Product
from portal.workflow import transition


def create_session(actor, *, title, department, key_area, district, starts_at, place, capacity, now=None):
    if not can_run_sessions(actor):
        raise PermissionDenied("只有审核人员或监管部门可以组织医企面对面活动。")
    now = now or timeutil.utcnow()
    department, key_area, district = department or None, key_area or None, district or None
    if department is None and key_area is None:
        raise DomainError("请选择活动主题：科室或重点领域（至少一项）。", field="department")
    if department is not None and department not in DEPARTMENTS:
        raise DomainError("请从科室列表中选择科室。", field="department")
    if key_area is not None and key_area not in KEY_AREAS:
        raise DomainError("请从重点领域列表中选择。", field="key_area")
    allowed = session_districts(actor)
    if allowed is not None and district not in allowed:
        raise DomainError(f"您只能组织{allowed[0]}的活动。", field="district")
    if district is not None and district not in DISTRICTS:
        raise DomainError("范围应为全市或上海市的一个区。", field="district")
    if starts_at is None:
        raise DomainError("请填写活动时间（上海时间）。", field="starts_at")
    starts_at = meetings.local_time(starts_at)
    if starts_at <= now or starts_at > now + timedelta(days=366):
        raise DomainError("活动时间应在现在之后一年以内。", field="starts_at")
    if not isinstance(capacity, int) or not 1 <= capacity <= 500:
        raise DomainError("名额应为 1–500 之间的整数。", field="capacity")
    session = MatchSession(
        title=common.text(title, "活动名称", "title", max_len=100),
        department=department,
        key_area=key_area,
        district=district,
        starts_at=starts_at,
        place=common.text(place, "地点", "place", max_len=200),
        capacity=capacity,
        organiser_id=actor.id,
    )
    db.session.add(session)
    db.session.flush()
    record("match_session.create", actor=actor, obj=session, to_state=session.state, comment=session.title)
    return session


def get_session(actor, session_id) -> MatchSession:
    session = db.session.get(MatchSession, session_id) if session_id is not None else None
    require_sees_session(actor, session)
    return session


def visible_sessions(actor) -> list[MatchSession]:
    rows = db.session.scalars(sa.select(MatchSession).order_by(MatchSession.starts_at.desc())).all()
    return [s for s in rows if sees_session(actor, s)]


def change_state(actor, session, action: str, *, version=None) -> MatchSession:
    if not can_manage_session(actor, session):
        raise PermissionDenied("只有活动的组织者可以执行此操作。")
    check_version(session, version, required=False)
    transition(SESSION, session, action, actor)
    if session.state is SessionState.CANCELLED:
        for company_id in {s.company_id for s in session.signups}:
            common.tell_company(company_id, f"医企面对面活动已取消：{session.title}", "", _link(session))
        for attendance in session.attendances:
            common.tell_hospital(attendance.hospital_id, f"医企面对面活动已取消：{session.title}", "", _link(session))
    return session


def _link(session) -> str:
    return f"/match/sessions/{session.id}"


def _lock(session) -> None:
    """Serialise sign-ups of one session (PostgreSQL row lock; SQLite has one writer anyway)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.select(MatchSession.id).where(MatchSession.id == session.id).with_for_update())


def sign_up(actor, session, *, product_id, note="", now=None) -> SessionSignup:
    require_sees_session(actor, session)
    if getattr(actor, "role", None) is not Role.MANUFACTURER:
        raise PermissionDenied("只有企业用户可以报名。")
    if session.state is not SessionState.OPEN or session.starts_at <= (now or timeutil.utcnow()):
        raise IllegalTransition("该活动已不接受报名。")
    product = db.session.get(Product, product_id) if str(product_id or "").isdigit() else None
    if product is None or product.company_id != actor.company_id:
        raise DomainError("请选择本企业的一个产品。", field="product_id")
    _lock(session)
    taken = db.session.scalar(sa.select(sa.func.count(SessionSignup.id)).where(SessionSignup.session_id == session.id))
    if db.session.scalar(
        sa.select(SessionSignup.id).where(
            SessionSignup.session_id == session.id, SessionSignup.product_id == product.id
        )
    ):
        raise DomainError(f"「{product.name}」已报名该活动。", field="product_id")
    if taken >= session.capacity:
        raise DomainError(f"该活动 {session.capacity} 个名额已满。", field="product_id")
    signup = SessionSignup(
        session_id=session.id,
        company_id=actor.company_id,
        product_id=product.id,
        note=common.text(note, "说明", "note", max_len=500, required=False),
        created_by_id=actor.id,
    )
    common.add_once(signup, f"「{product.name}」已报名该活动。", "product_id")
    record("match_session.signup", actor=actor, obj=session, comment=product.name, data={"product": product.id})
    body = f"{actor.company.name}以「{product.name}」报名，剩余名额 {session.capacity - taken - 1}。"
    notify([session.organiser], f"医企面对面活动有新报名：{session.title}", body, _link(session))
    return signup


def places_left(session) -> int:
    return session.capacity - len(session.signups)


def register_attendance(actor, session, *, department) -> SessionAttendance:
    require_sees_session(actor, session)
    if getattr(actor, "role", None) is not Role.HOSPITAL:
        raise PermissionDenied("只有医院用户可以登记参会。")
    if session.state is SessionState.CANCELLED:
        raise IllegalTransition("该活动已取消。")
    if department not in DEPARTMENTS:
        raise DomainError("请从科室列表中选择参会科室。", field="department")
    if attendance_of(session, actor.hospital_id) is not None:
        raise DomainError("本院已登记参会。", field="department")
    attendance = SessionAttendance(
        session_id=session.id, hospital_id=actor.hospital_id, department=department, registered_by_id=actor.id
    )
    common.add_once(attendance, "本院已登记参会。", "department")
    record("match_session.attend", actor=actor, obj=session, comment=f"{actor.hospital.name} {department}")
    return attendance


def attendance_of(session, hospital_id) -> SessionAttendance | None:
    return db.session.scalar(
        sa.select(SessionAttendance).where(
            SessionAttendance.session_id == session.id, SessionAttendance.hospital_id == hospital_id
        )
    )


def record_follow_up(actor, session, *, signup_id, outcome, note, now=None) -> Match:
    """After the session, an attending hospital records what follows with one signed-up product."""
    require_sees_session(actor, session)
    if getattr(actor, "role", None) is not Role.HOSPITAL or attendance_of(session, actor.hospital_id) is None:
        raise PermissionDenied("只有登记参会的医院可以记录活动后续。")
    if session.state is SessionState.CANCELLED or session.starts_at > (now or timeutil.utcnow()):
        raise IllegalTransition("活动举行之后才能记录后续。")
    signup = db.session.get(SessionSignup, signup_id) if str(signup_id or "").isdigit() else None
    if signup is None or signup.session_id != session.id:
        raise DomainError("请选择报名该活动的一个产品。", field="signup_id")
    exists = sa.select(Match.id).where(
        Match.session_id == session.id, Match.hospital_id == actor.hospital_id, Match.product_id == signup.product_id
    )
    if db.session.scalar(exists):
        raise DomainError(f"已记录过「{signup.product.name}」的后续。", field="signup_id")
    match = Match(
        session=session,
        hospital_id=actor.hospital_id,
        company_id=signup.company_id,
        product_id=signup.product_id,
        note=signup.note,
        created_by_id=actor.id,
    )
    common.add_once(match, f"已记录过「{signup.product.name}」的后续。", "signup_id")
    return meetings.record_outcome(actor, match, outcome, note, now=now)


def follow_ups(session, hospital_id=None) -> list[Match]:
    query = sa.select(Match).where(Match.session_id == session.id).order_by(Match.id)
    if hospital_id is not None:
        query = query.where(Match.hospital_id == hospital_id)
    return db.session.scalars(query).all()
