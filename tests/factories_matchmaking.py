"""Factories for 医企对接: a world of two hospitals and two companies, needs, responses and sessions reached
through the services. The fixtures are a pytest
plugin (tests/conftest.py); import the plain helpers by name."""

from datetime import datetime, time, timedelta

import pytest

from portal.accounts.models import Role
from portal.assessments.creation import create_assessments
from portal.catalogue.models import Batch
from portal.catalogue.services import entry_from_product
from portal.core import timeutil
from portal.extensions import db
from portal.matchmaking import meetings, needs, sessions
from tests.factories import imported_batch
from tests.factories_assessments import make_hospital_user


def tomorrow_at(hour: int, days: int = 1) -> datetime:
    """A wall-clock time in Shanghai `days` from today (naive, as a form gives it)."""
    return datetime.combine(timeutil.today_shanghai() + timedelta(days=days), time(hour, 0))


def list_product(catalogue, product) -> Batch:
    """List `product` in a new imported batch of `catalogue`, with the hospitals' assessments (as an import with
    --assess does)."""
    today = timeutil.today_shanghai()
    batch = imported_batch(catalogue, f"第{product.id}批", today)
    db.session.add(entry_from_product(product, batch, today))
    db.session.flush()
    create_assessments(batch, today)
    db.session.commit()
    return batch


@pytest.fixture
def match_world(make_catalogue, make_hospital, make_company, make_user, make_product):
    """Hospitals A (徐汇区) and B (宝山区), companies X (浦东新区) and Y (宝山区), each with a user; X has a listed
    cardiology product, an unlisted one and an unrelated one."""
    catalogue = make_catalogue()
    a, b = make_hospital(name="甲医院", district="徐汇区"), make_hospital(name="乙医院", district="宝山区")
    x, y = (
        make_company(name="甲医疗科技有限公司", district="浦东新区"),
        make_company(name="乙医疗科技有限公司", district="宝山区"),
    )
    listed = make_product(x, name="血管造影X射线机", key_area="高端医学影像", departments=["心血管内科", "医学影像科"])
    unlisted = make_product(x, name="心脏磁共振成像系统", key_area="高端医学影像", departments=["心血管内科"])
    other = make_product(x, name="上肢康复训练机器人", key_area="高端康复治疗", departments=["康复医学科"])
    y_product = make_product(y, name="动态心电监测仪", key_area="高端医学影像", departments=["心血管内科"])
    list_product(catalogue, listed)
    return {
        "catalogue": catalogue,
        "a": a,
        "b": b,
        "x": x,
        "y": y,
        "user_a": make_hospital_user(make_user, a),
        "user_b": make_hospital_user(make_user, b),
        "user_x": make_user(Role.MANUFACTURER, company=x),
        "user_y": make_user(Role.MANUFACTURER, company=y),
        "listed": listed,
        "unlisted": unlisted,
        "other": other,
        "y_product": y_product,
    }


@pytest.fixture
def make_need():
    def make(user, **kw):
        values = {
            "department": "心血管内科",
            "title": "冠脉介入术中血管成像设备",
            "description": "导管室需要低剂量、成像清晰的血管造影设备。",
            "key_area": "高端医学影像",
            "valid_until": timeutil.today_shanghai() + timedelta(days=30),
            "district": None,
            **kw,
        }
        need = needs.publish_need(user, **values)
        db.session.commit()
        return need

    return make


@pytest.fixture
def make_response():
    def make(user, need, product, note="低剂量成像。", upload=None):
        match = needs.respond(user, need, product_id=str(product.id), note=note, upload=upload)
        db.session.commit()
        return match

    return make


@pytest.fixture
def make_session():
    def make(organiser, **kw):
        values = {
            "title": "心内科医企面对面",
            "department": "心血管内科",
            "key_area": None,
            "district": None,
            "starts_at": tomorrow_at(14, days=7),
            "place": "区卫健委会议室",
            "capacity": 2,
            **kw,
        }
        session = sessions.create_session(organiser, **values)
        db.session.commit()
        return session

    return make


def confirm_meeting(hospital_user, company_user, match, when=None):
    """Shortlist, propose a meeting and have the company accept it."""
    meetings.shortlist(hospital_user, match)
    meetings.propose_meeting(hospital_user, match, starts_at=when or tomorrow_at(10, days=3), place="门诊楼三楼会议室")
    meetings.accept_meeting(company_user, match)
    db.session.commit()
    return match.meeting


def hold(meeting):
    """Time passes: the confirmed meeting began an hour ago."""
    meeting.starts_at = timeutil.utcnow() - timedelta(hours=1)
    db.session.commit()
    return meeting
