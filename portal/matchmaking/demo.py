"""Demo data of 医企对接, reached through the services: two needs, a response, a session with a sign-up."""

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from portal.accounts.models import Role
from portal.core import timeutil
from portal.extensions import db
from portal.matchmaking import needs, sessions
from portal.matchmaking.models import Need
from portal.products.models import Product

NEEDS = (
    (
        "hospital@demo.xinyou.cn",
        "心血管内科",
        "冠脉介入术中血管成像设备",
        "心内科导管室年介入手术量持续增长，需要成像清晰、辐射剂量低的血管造影设备，以缩短手术时间并减少造影剂用量。",
        "高端医学影像",
        None,
    ),
    (
        "hospital-bs@demo.xinyou.cn",
        "检验科",
        "临床质谱检测分析系统",
        "检验科拟开展维生素D、激素和药物浓度的质谱检测，需要国产质谱分析系统及配套试剂，替代外送检测。",
        "高端体外诊断",
        "宝山区",
    ),
)


def _product(company_id: int, name: str | None = None) -> Product | None:
    query = sa.select(Product).where(Product.company_id == company_id).order_by(Product.id)
    if name:
        query = query.where(Product.name == name)
    return db.session.scalars(query).first()


def seed_matchmaking(users) -> int:
    """Create the demo needs, response and session once (nothing when any need exists); returns needs created."""
    if db.session.scalar(sa.select(Need.id).limit(1)) is not None:
        return 0
    by_email = {u.email: u for u in users}
    today = timeutil.today_shanghai()
    created = [
        needs.publish_need(
            by_email[email],
            department=department,
            title=title,
            description=description,
            key_area=key_area,
            valid_until=today + timedelta(days=60),
            district=district,
        )
        for email, department, title, description, key_area, district in NEEDS
    ]
    company = by_email["company@demo.xinyou.cn"]
    product = _product(company.company_id, "血管造影X射线机") or _product(company.company_id)
    needs.respond(company, created[0], product_id=str(product.id), note="低剂量成像，已在多家三甲医院导管室使用。")
    reviewer = next(u for u in users if u.role is Role.REVIEWER)
    day = today + timedelta(days=14)
    session = sessions.create_session(
        reviewer,
        title="宝山区心内科医企面对面",
        department="心血管内科",
        key_area=None,
        district="宝山区",
        starts_at=datetime.combine(day, time(14, 0), tzinfo=timeutil.SHANGHAI),
        place="宝山区卫生健康委员会三楼会议室",
        capacity=12,
    )
    company2 = by_email["company2@demo.xinyou.cn"]
    sessions.sign_up(company2, session, product_id=str(_product(company2.company_id).id), note="区内企业")
    return len(created)
