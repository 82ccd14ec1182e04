"""Supervisors' dashboard (scope, funnel, compliance, overdue and 催办, drill-downs, exports), the company's
per-hospital list, the public figures, and the hospital's adoption pages."""

import io

import pytest
from openpyxl import load_workbook

from portal.accounts.models import Role, User
from portal.adoption import services
from portal.adoption.models import Chase
from portal.adoption.supervision import chase
from portal.audit.models import AuditEvent
from portal.core.errors import DomainError, NotFound
from portal.notifications.models import Notification
from tests.conftest import PASSWORD, login
from tests.factories_adoption import build_adoption, this_month
from tests.factories_assessments import make_hospital_user, publish


@pytest.fixture
def world(make_catalogue, make_hospital, make_user):
    world = build_adoption(make_catalogue, make_hospital, make_user)
    services.report_usage(world["user_a"], world["admitted"], this_month(), 12)
    world["c"] = make_hospital(name="宝山某医院", district="宝山区")
    world["user_c"] = make_hospital_user(make_user, world["c"])
    publish(world["catalogue"], entries=1, days_ago=50, name="第二批")  # 宝山某医院 now has an overdue item
    world["city"] = make_user(Role.SUPERVISOR)
    world["baoshan"] = make_user(Role.SUPERVISOR, district="宝山区")
    return world


def _chased_notes(db, user):
    return db.session.scalars(
        db.select(Notification).where(Notification.user_id == user.id, Notification.title.contains("催办"))
    ).all()


def test_dashboard_funnel_compliance_and_overdue_for_the_city(db, client, world):
    login(client, world["city"].email)
    html = client.get(f"/supervision?catalogue={world['catalogue'].code}&batch={world['old'].id}").get_data(
        as_text=True
    )
    assert "1 款产品已进入 1 家医疗机构" in html
    assert "应配尽配漏斗" in html and 'data-chart="' in html and "vendor/echarts/echarts.min.js" in html
    assert "甲医院" in html and "乙医院" in html and "宝山某医院" not in html  # C got no assessment of 第一批
    assert html.count('action="/supervision/assessments/') == 6  # A: 2 open + B: 4 open, all overdue
    page = client.get("/supervision").get_data(as_text=True)
    assert "宝山区" in page and "宝山某医院" in page


def test_district_supervisor_sees_only_its_district(db, client, world):
    login(client, world["baoshan"].email)
    html = client.get("/supervision").get_data(as_text=True)
    assert "宝山某医院" in html and "甲医院" not in html and "乙医院" not in html
    assert client.get(f"/supervision/hospitals/{world['a'].id}").status_code == 404
    assert client.get(f"/supervision/hospitals/{world['c'].id}").status_code == 200
    a_item = world["open"][0]
    assert client.post(f"/supervision/assessments/{a_item.id}/chase").status_code == 404
    with pytest.raises(NotFound):
        chase(world["baoshan"], a_item)


def test_chase_notifies_the_hospital_once_and_is_logged(db, client, world):
    item = world["open"][0]
    login(client, world["city"].email)
    response = client.post(f"/supervision/assessments/{item.id}/chase", data={"next": "/supervision#overdue"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/supervision#overdue")
    notes = _chased_notes(db, world["user_a"])
    assert len(notes) == 1 and item.entry.product_name in notes[0].title and notes[0].link == f"/assessments/{item.id}"
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "assessment.chased"))
    assert event.actor_id == world["city"].id and event.object_id == item.id
    client.post(f"/supervision/assessments/{item.id}/chase")
    assert len(_chased_notes(db, world["user_a"])) == 1  # once
    assert db.session.scalar(db.select(db.func.count(Chase.id))) == 1
    assert "已于" in client.get("/supervision").get_data(as_text=True)
    # A decided (or not yet due) assessment cannot be chased.
    with pytest.raises(DomainError):
        chase(world["city"], world["declined"])
    # Administrators watch but do not chase; an open redirect is refused.
    response = client.post(
        f"/supervision/assessments/{world['open'][1].id}/chase", data={"next": "https://evil.example"}
    )
    assert response.headers["Location"] == "/supervision"


def test_admin_reads_the_dashboard_but_cannot_chase(db, client, world, make_user):
    admin = make_user(Role.ADMIN)
    login(client, admin.email)
    assert client.get("/supervision").status_code == 200
    assert client.post(f"/supervision/assessments/{world['open'][0].id}/chase").status_code == 403


def test_drill_downs_and_exports(db, client, world):
    login(client, world["city"].email)
    html = client.get(f"/supervision/hospitals/{world['a'].id}").get_data(as_text=True)
    assert world["admitted"].entry.product_name in html and f"{this_month()}：12" in html
    html = client.get(f"/supervision/entries/{world['declined'].entry_id}").get_data(as_text=True)
    assert "院内同类设备尚在使用年限内" in html and "甲医院" in html
    response = client.get("/supervision/export.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["漏斗", "各区", "各医疗机构", "各产品", "月度趋势", "逾期清单"]
    funnel = {row[0]: row[1] for row in book["漏斗"].iter_rows(min_row=2, values_only=True)}
    assert funnel["同意配备"] == 1 and funnel["已配备"] == 1 and funnel["已使用"] == 1 and funnel["使用例数合计"] == 12
    assert book["逾期清单"].max_row == 1 + 9  # 2 + 4 of 第一批, and 第二批's one entry at all three hospitals
    for url in (
        f"/supervision/hospitals/{world['a'].id}/export.xlsx",
        f"/supervision/entries/{world['admitted'].entry_id}/export.xlsx",
    ):
        assert client.get(url).status_code == 200


def test_company_sees_per_hospital_adoption_of_its_own_product(db, client, world, make_user):
    entry = world["declined"].entry
    owner = make_user(Role.MANUFACTURER, company=entry.product.company)
    login(client, owner.email)
    html = client.get(f"/adoption/entries/{entry.id}").get_data(as_text=True)
    assert "甲医院" in html and "乙医院" in html and "院内同类设备尚在使用年限内" in html
    html = client.get(f"/adoption/entries/{world['admitted'].entry_id}").get_data(as_text=True)
    assert f"{this_month()}：12" in html
    assert client.get(f"/adoption/entries/{entry.id}/export.xlsx").status_code == 200
    html = client.get(f"/products/{entry.product_id}").get_data(as_text=True)
    assert "医院入院应用情况" in html and "各医院明细" in html
    other = make_user(Role.MANUFACTURER)
    client.post("/logout")
    login(client, other.email)
    assert client.get(f"/adoption/entries/{entry.id}").status_code == 404


def test_public_figures_show_headlines_and_nothing_per_hospital(db, client, world):
    html = client.get(f"/figures?catalogue={world['catalogue'].code}").get_data(as_text=True)
    assert "1 款产品已进入 1 家医疗机构" in html
    assert "徐汇区" in html and "甲医院" not in html and "乙医院" not in html


def test_hospital_pages_report_use_and_refuse_a_declined_product(db, client, world):
    login(client, world["user_a"].email)
    admitted, declined = world["admitted"], world["declined"]
    assert "填报使用情况" in client.get(f"/adoption/assessments/{admitted.id}").get_data(as_text=True)
    response = client.post(f"/adoption/assessments/{admitted.id}/usage", data={"month": this_month(), "uses": "30"})
    assert response.status_code == 302
    assert db.session.scalar(db.select(services.UsageReport.uses)) == 30
    html = client.get(f"/adoption/assessments/{declined.id}").get_data(as_text=True)
    assert "只有「同意配备」的产品可以登记配备" in html and "<form" not in html.split("</header>")[1]
    response = client.post(f"/adoption/assessments/{declined.id}/usage", data={"month": this_month(), "uses": "3"})
    assert response.status_code == 400
    response = client.post(f"/adoption/assessments/{admitted.id}/usage", data={"month": "2026-13", "uses": "3"})
    assert response.status_code == 400 and "格式不正确" in response.get_data(as_text=True)
    response = client.post("/adoption/usage", data={"month": this_month(), f"uses_{admitted.id}": "44"})
    assert response.status_code == 302
    assert db.session.scalar(db.select(services.UsageReport.uses)) == 44
    login(client, world["user_b"].email)
    assert client.get(f"/adoption/assessments/{admitted.id}").status_code == 404


def test_supervisor_accounts_from_the_command_line_and_admin(app, db, client, make_user):
    runner = app.test_cli_runner()
    args = [
        "users",
        "create",
        "--email",
        "bs@wjw.cn",
        "--role",
        "supervisor",
        "--district",
        "宝山区",
        "--password-stdin",
    ]
    result = runner.invoke(args=args, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(User.district).where(User.email == "bs@wjw.cn")) == "宝山区"
    args[3], args[7] = "bad@wjw.cn", "火星区"
    result = runner.invoke(args=args, input=PASSWORD + "\n")
    assert result.exit_code != 0 and "火星区" in result.output
    login(client, make_user(Role.ADMIN).email)
    data = {
        "email": "city@wjw.cn",
        "role": "supervisor",
        "district": "",
        "password": PASSWORD,
        "company_id": 0,
        "hospital_id": 0,
    }
    assert client.post("/admin/users/new", data=data).status_code == 302
    user = db.session.scalar(db.select(User).where(User.email == "city@wjw.cn"))
    assert user.role is Role.SUPERVISOR and user.district is None and user.scope_label == "全市"


def test_supervisor_home_page_counts_the_overdue_of_its_scope(db, client, world):
    login(client, world["baoshan"].email)
    html = client.get("/").get_data(as_text=True)
    assert "已逾期未完成的入院评估" in html and "进入监管看板" in html
    assert "催办 1 项已逾期的评估" in html  # 宝山某医院's one item of 第二批
