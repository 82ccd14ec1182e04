"""医企面对面 sessions (capacity, scope, attendance, follow-ups), the overview, and the route walk of 医企对接."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role, User
from portal.assessments.services import decide
from portal.core import timeutil
from portal.core.actors import COMMAND_LINE
from portal.core.errors import DomainError, IllegalTransition, NotFound, PermissionDenied
from portal.demo.seed import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from portal.matchmaking import meetings, sessions
from portal.matchmaking.overview import overview
from portal.matchmaking.states import SessionState
from portal.notifications.models import Notification
from tests.conftest import login
from tests.factories_matchmaking import confirm_meeting, hold
from tests.test_authz import ROLES, _check, _expected_ok, _request, _url_args, access_tables


@pytest.fixture
def organisers(make_user):
    return {
        "reviewer": make_user(Role.REVIEWER),
        "city": make_user(Role.SUPERVISOR),
        "baoshan": make_user(Role.SUPERVISOR, district="宝山区"),
    }


def test_a_district_supervisor_runs_only_its_districts_sessions(match_world, organisers, make_session):
    with pytest.raises(DomainError) as exc:
        make_session(organisers["baoshan"], district="徐汇区")
    assert exc.value.field == "district"
    db.session.rollback()
    session = make_session(organisers["baoshan"], district="宝山区")
    with pytest.raises(PermissionDenied):
        make_session(match_world["user_a"])
    with pytest.raises(DomainError) as exc:
        make_session(organisers["city"], department=None, key_area=None)
    assert exc.value.field == "department"
    # Companies and hospitals of other districts do not see it.
    with pytest.raises(NotFound):
        sessions.get_session(match_world["user_x"], session.id)
    with pytest.raises(NotFound):
        sessions.get_session(match_world["user_a"], session.id)
    assert sessions.get_session(match_world["user_y"], session.id) is session


def test_capacity_is_enforced(match_world, organisers, make_session, make_product):
    session = make_session(organisers["reviewer"], capacity=2)
    company = match_world["user_x"]
    sessions.sign_up(company, session, product_id=str(match_world["listed"].id))
    with pytest.raises(DomainError, match="已报名"):
        sessions.sign_up(company, session, product_id=str(match_world["listed"].id))
    sessions.sign_up(company, session, product_id=str(match_world["unlisted"].id))
    db.session.commit()
    with pytest.raises(DomainError, match="2 个名额已满"):
        sessions.sign_up(match_world["user_y"], session, product_id=str(match_world["y_product"].id))
    assert sessions.places_left(session) == 0
    organiser_titles = db.session.scalars(
        sa.select(Notification.title).where(Notification.user_id == organisers["reviewer"].id)
    ).all()
    assert len(organiser_titles) == 2 and "有新报名" in organiser_titles[0]
    sessions.change_state(organisers["reviewer"], session, "cancel")
    company_titles = db.session.scalars(sa.select(Notification.title).where(Notification.user_id == company.id)).all()
    assert any("活动已取消" in t for t in company_titles)


def test_follow_ups_after_the_session_link_the_assessment(match_world, organisers, make_session):
    session = make_session(organisers["reviewer"])
    signup = sessions.sign_up(match_world["user_x"], session, product_id=str(match_world["listed"].id))
    hospital = match_world["user_a"]
    db.session.commit()
    with pytest.raises(PermissionDenied, match="登记参会"):
        sessions.record_follow_up(hospital, session, signup_id=str(signup.id), outcome="trial", note="试用")
    sessions.register_attendance(hospital, session, department="心血管内科")
    with pytest.raises(IllegalTransition, match="举行之后"):
        sessions.record_follow_up(hospital, session, signup_id=str(signup.id), outcome="trial", note="试用")
    session.starts_at = timeutil.utcnow() - timedelta(hours=2)
    sessions.change_state(organisers["reviewer"], session, "hold")
    match = sessions.record_follow_up(
        hospital, session, signup_id=str(signup.id), outcome="assessment", note="进入评估"
    )
    db.session.commit()
    assert session.state is SessionState.HELD
    assert match.assessment is not None and match.assessment.hospital_id == match_world["a"].id
    with pytest.raises(PermissionDenied):
        sessions.change_state(organisers["city"], session, "cancel")  # not the organiser


def test_overview_counts_by_district_and_department(match_world, organisers, make_need, make_response):
    hospital, company = match_world["user_a"], match_world["user_x"]
    need = make_need(hospital)
    admitted = make_response(company, need, match_world["listed"])
    hold(confirm_meeting(hospital, company, admitted))
    meetings.record_outcome(hospital, admitted, "assessment", "进入评估")
    decide(hospital, admitted.assessment, "admitted")
    declined = make_response(company, need, match_world["unlisted"])
    meetings.record_outcome(hospital, declined, "declined", "暂不需要")
    make_need(match_world["user_b"], department="检验科", key_area=None, district="宝山区")
    db.session.commit()
    rows, total = overview()
    xuhui = next(r for r in rows if r.district == "徐汇区")
    assert (xuhui.department, xuhui.needs, xuhui.responses, xuhui.meetings) == ("心血管内科", 1, 2, 1)
    assert (xuhui.assessment, xuhui.declined, xuhui.admitted) == (1, 1, 1)
    assert (total.needs, total.responses, total.admitted) == (2, 2, 1)
    rows, total = overview("宝山区")
    assert [(r.district, r.department, r.needs) for r in rows] == [("宝山区", "检验科", 1)]


def test_overview_page_is_scoped_for_a_district_supervisor(client, match_world, organisers, make_need):
    make_need(match_world["user_a"])
    login(client, organisers["baoshan"].email)
    html = client.get("/match/overview").get_data(as_text=True)
    assert "医企对接概况（宝山区）" in html and "徐汇区" not in html.split("<tbody>")[1]


# The route walk of this area (the global walk in test_authz also covers it once the demo has a supervisor) --


@pytest.fixture
def demo(app):
    seed_demo(out=lambda *a, **k: None)
    if db.session.scalar(sa.select(User.id).where(User.role == Role.SUPERVISOR)) is None:
        from portal.accounts.services import create_user

        create_user(
            COMMAND_LINE, email="supervisor@demo.xinyou.cn", role=Role.SUPERVISOR, password=DEMO_PASSWORD, name="监管"
        )
    db.session.commit()
    return {role: db.session.scalar(sa.select(User).where(User.role == role).order_by(User.id)) for role in Role}


def test_every_matchmaking_route_for_every_role(app, demo):
    table = access_tables()
    args = _url_args(app)
    assert None not in (args["need_id"], args["match_id"], args["session_id"])  # the demo has each
    failures = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("matchmaking."):
            continue
        url = rule.build({name: args[name] for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for role in ROLES:
                status, location = _request(app, demo, role, method, url)
                failures += _check(
                    rule.endpoint, method, role, _expected_ok(table[rule.endpoint], role), status, location, url
                )
    assert failures == [], "\n".join(failures)
