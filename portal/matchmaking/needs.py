"""Clinical needs: a hospital publishes, edits, closes and extends them; companies see those that fit and respond.

A need is open while its state is open and its date (valid_until, Shanghai) has not passed: every read uses that
rule, so a need past its date is never offered to companies even before `flask matchmaking expire` (daily
cron) moves it to 已过期 in the database and the audit log.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal.accounts.models import Role
from portal.audit.services import record
from portal.core import timeutil
from portal.core.errors import DomainError, IllegalTransition, NotFound, PermissionDenied
from portal.core.persistence import check_version
from portal.core.reference import DEPARTMENTS, DISTRICTS, KEY_AREAS
from portal.extensions import db
from portal.matchmaking import common, matching
from portal.matchmaking.models import Match, Need
from portal.matchmaking.permissions import company_district_sees, require_need_owner
from portal.matchmaking.states import NEED, NeedState
from portal.products.models import Product
from portal.products.storage import store_pdf
from portal.workflow import transition

MAX_VALID_DAYS = 365
RESPONSE_FILE_KIND = "对接材料"


def is_open_clause(today: date):
    return sa.and_(Need.state == NeedState.OPEN, Need.valid_until >= today)


def is_open(need, today: date | None = None) -> bool:
    return need.state is NeedState.OPEN and need.valid_until >= (today or timeutil.today_shanghai())


def shown_state(need, today: date | None = None) -> str:
    """The state as people should read it: an open need past its date is 已过期 even before the cron run."""
    if need.state is NeedState.OPEN and not is_open(need, today):
        return NeedState.EXPIRED.label
    return need.state.label


# The hospital's side -----------------------------------------------------------------------------------------


def _fields(department, title, description, key_area, valid_until, district, today) -> dict:
    if department not in DEPARTMENTS:
        raise DomainError("请从科室列表中选择科室。", field="department")
    key_area = key_area or None
    if key_area is not None and key_area not in KEY_AREAS:
        raise DomainError("请从重点领域列表中选择。", field="key_area")
    district = district or None
    if district is not None and district not in DISTRICTS:
        raise DomainError("可见范围应为全市或上海市的一个区。", field="district")
    _check_until(valid_until, today)
    return {
        "department": department,
        "title": common.text(title, "需求名称", "title", max_len=100),
        "description": common.text(description, "需求说明（需要什么、为什么）", "description", max_len=2000),
        "key_area": key_area,
        "valid_until": valid_until,
        "district": district,
    }


def _check_until(valid_until, today) -> None:
    if valid_until is None:
        raise DomainError("请填写有效期（格式 YYYY-MM-DD）。", field="valid_until")
    if valid_until < today:
        raise DomainError(f"有效期不能早于今天（{today:%Y-%m-%d}）。", field="valid_until")
    if valid_until > today + timedelta(days=MAX_VALID_DAYS):
        raise DomainError(
            f"有效期最长一年（不晚于 {today + timedelta(days=MAX_VALID_DAYS):%Y-%m-%d}）。", field="valid_until"
        )


def publish_need(actor, *, department, title, description, key_area, valid_until, district, now=None) -> Need:
    if getattr(actor, "role", None) is not Role.HOSPITAL or actor.hospital_id is None:
        raise PermissionDenied("只有医院用户可以发布临床需求。")
    fields = _fields(department, title, description, key_area, valid_until, district, timeutil.today_shanghai(now))
    need = Need(hospital_id=actor.hospital_id, created_by_id=actor.id, **fields)
    db.session.add(need)
    db.session.flush()
    record("need.publish", actor=actor, obj=need, to_state=need.state, comment=need.title)
    body = f"{actor.hospital.name}{need.department}：{need.title}（有效期至 {need.valid_until:%Y-%m-%d}）"
    for company_id in matching.fitting_company_ids(need):
        common.tell_company(company_id, "有与您产品相符的新临床需求", body, f"/match/needs/{need.id}")
    return need


def edit_need(actor, need, *, version=None, now=None, **values) -> Need:
    require_need_owner(actor, need)
    check_version(need, version, required=False)
    if not is_open(need, timeutil.today_shanghai(now)):
        raise IllegalTransition(f"临床需求当前状态为「{shown_state(need)}」，不能修改；如已过期请先延长有效期。")
    fields = _fields(today=timeutil.today_shanghai(now), **values)
    changed = {k: str(v) for k, v in fields.items() if getattr(need, k) != v}
    for key, value in fields.items():
        setattr(need, key, value)
    record("need.edit", actor=actor, obj=need, comment="修改临床需求", data=changed)
    return need


def close_need(actor, need, *, comment: str = "", version=None) -> Need:
    require_need_owner(actor, need)
    check_version(need, version, required=False)
    comment = common.text(comment, "关闭说明", "comment", max_len=500, required=False)
    transition(NEED, need, "close", actor, comment=comment or "医院关闭需求")
    _tell_responders(need, f"临床需求已关闭：{need.title}", comment or "医院已关闭该需求。")
    return need


def extend_need(actor, need, valid_until, *, version=None, now=None) -> Need:
    require_need_owner(actor, need)
    check_version(need, version, required=False)
    _check_until(valid_until, timeutil.today_shanghai(now))
    if valid_until <= need.valid_until:
        raise DomainError(f"新的有效期应晚于当前有效期（{need.valid_until:%Y-%m-%d}）。", field="valid_until")
    old = need.valid_until
    if need.state is NeedState.OPEN and need.valid_until < timeutil.today_shanghai(now):
        transition(NEED, need, "expire", actor, comment="已过有效期")  # record the lapse before reopening
    transition(NEED, need, "extend", actor, comment=f"有效期由 {old:%Y-%m-%d} 延长至 {valid_until:%Y-%m-%d}")
    need.valid_until = valid_until
    return need


def expire_needs(actor, now=None) -> int:
    """Move open needs past their date to 已过期 (the daily cron); returns how many."""
    today = timeutil.today_shanghai(now)
    lapsed = db.session.scalars(
        sa.select(Need).where(Need.state == NeedState.OPEN, Need.valid_until < today).order_by(Need.id)
    ).all()
    for need in lapsed:
        transition(NEED, need, "expire", actor, comment=f"有效期 {need.valid_until:%Y-%m-%d} 已过")
        _tell_responders(need, f"临床需求已到期：{need.title}", "该需求已过有效期，自动关闭。")
    return len(lapsed)


def _tell_responders(need, title, body) -> None:
    for company_id in {m.company_id for m in need.matches}:
        common.tell_company(company_id, title, body, f"/match/needs/{need.id}")


def get_own_need(actor, need_id) -> Need:
    """One of the hospital's own needs; anyone else's is NotFound."""
    need = db.session.get(Need, need_id) if need_id is not None else None
    require_need_owner(actor, need)
    return need


def own_needs(actor) -> list[Need]:
    """The hospital's needs, newest first, with their responses."""
    query = sa.select(Need).options(selectinload(Need.matches)).where(Need.hospital_id == actor.hospital_id)
    return db.session.scalars(query.order_by(Need.created_at.desc(), Need.id.desc())).all()


def responses_to(need) -> list[Match]:
    return db.session.scalars(sa.select(Match).where(Match.need_id == need.id).order_by(Match.id)).all()


# The company's side -----------------------------------------------------------------------------------------


def visible_open_needs(actor, now=None) -> list[Need]:
    """Open needs addressed to the whole city or to the company's district."""
    district = actor.company.district if actor.company else None
    scope = Need.district.is_(None) if district is None else sa.or_(Need.district.is_(None), Need.district == district)
    return db.session.scalars(
        sa.select(Need)
        .options(selectinload(Need.hospital))
        .where(is_open_clause(timeutil.today_shanghai(now)), scope)
        .order_by(Need.valid_until)
    ).all()


def company_products(actor) -> list[Product]:
    return db.session.scalars(
        sa.select(Product).where(Product.company_id == actor.company_id).order_by(Product.name)
    ).all()


def needs_for_company(actor, now=None) -> list[matching.NeedFit]:
    return matching.rank_needs(visible_open_needs(actor, now), company_products(actor))


def get_need_for_company(actor, need_id) -> Need:
    """A need the company may read: open and addressed to it, or one it has already responded to."""
    need = db.session.get(Need, need_id) if need_id is not None else None
    if need is None or getattr(actor, "role", None) is not Role.MANUFACTURER:
        raise NotFound("未找到该临床需求。")
    if (is_open(need) and company_district_sees(actor, need.district)) or own_responses(actor, need):
        return need
    raise NotFound("未找到该临床需求。")


def own_responses(actor, need) -> list[Match]:
    return db.session.scalars(
        sa.select(Match).where(Match.need_id == need.id, Match.company_id == actor.company_id).order_by(Match.id)
    ).all()


def company_responses(actor) -> list[Match]:
    """The company's responses (and session follow-ups), newest first."""
    return db.session.scalars(
        sa.select(Match).where(Match.company_id == actor.company_id).order_by(Match.id.desc())
    ).all()


def respond(actor, need, *, product_id, note, upload=None, now=None) -> Match:
    """A company puts one of its products forward for an open need, with a short note and an optional PDF."""
    need = get_need_for_company(actor, need.id)
    if not is_open(need, timeutil.today_shanghai(now)):
        raise IllegalTransition(f"该临床需求当前状态为「{shown_state(need)}」，不能再响应。")
    product = db.session.get(Product, product_id) if str(product_id or "").isdigit() else None
    if product is None or product.company_id != actor.company_id:
        raise DomainError("请选择本企业的一个产品。", field="product_id")
    if db.session.scalar(sa.select(Match.id).where(Match.need_id == need.id, Match.product_id == product.id)):
        raise DomainError(f"「{product.name}」已响应过该需求。", field="product_id")
    note = common.text(note, "响应说明", "note", max_len=500)
    attachment = None
    if upload is not None and getattr(upload, "filename", None):
        attachment = store_pdf(actor, upload, RESPONSE_FILE_KIND, company=actor.company, field="file")
    match = Match(
        need_id=need.id,
        hospital_id=need.hospital_id,
        company_id=actor.company_id,
        product_id=product.id,
        note=note,
        attachment=attachment,
        created_by_id=actor.id,
    )
    common.add_once(match, f"「{product.name}」已响应过该需求。", "product_id")
    record("need_match.respond", actor=actor, obj=match, to_state=match.state, comment=note, data={"need": need.id})
    common.tell_hospital(
        need.hospital_id,
        f"临床需求有新的企业响应：{need.title}",
        f"{actor.company.name}以「{product.name}」响应：{note}",
        f"/match/responses/{match.id}",
    )
    return match
