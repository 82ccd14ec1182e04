"""In Chromium: a hospital reports use of an admitted product and is refused for a declined one; a supervisor
sees the funnel (drawn by ECharts under the strict CSP) and chases an overdue hospital; a company sees its
product's adoption per hospital."""

import pytest

from portal.accounts.models import Role
from tests.conftest import PASSWORD
from tests.factories_adoption import build_adoption, this_month

pytestmark = pytest.mark.browser


@pytest.fixture
def world(make_catalogue, make_hospital, make_user):
    return build_adoption(make_catalogue, make_hospital, make_user)


def _login(page, live_server, email):
    page.goto(f"{live_server}/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def test_hospital_reports_use_and_is_refused_for_a_declined_product(db, world, live_server, page):
    _login(page, live_server, world["user_a"].email)
    page.goto(f"{live_server}/assessments/{world['admitted'].id}")
    page.get_by_role("link", name="配备与使用情况").click()
    page.wait_for_load_state()
    page.get_by_label("月份").fill(this_month())
    page.get_by_label("使用例数").fill("23")
    page.get_by_role("button", name="填报使用情况").click()
    page.wait_for_load_state()
    assert f"已填报 {this_month()} 使用 23 例" in page.content()
    assert "23" in page.get_by_role("table").inner_text()

    page.goto(f"{live_server}/adoption/assessments/{world['declined'].id}")
    assert "只有「同意配备」的产品可以登记配备和填报使用情况" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="填报使用情况").count() == 0

    # The bulk form shows the admitted product with this month's count, and saves a change.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="使用情况").click()
    page.wait_for_load_state()
    field = page.get_by_label(f"{world['admitted'].entry.product_name} 使用例数")
    assert field.input_value() == "23"
    field.fill("25")
    page.get_by_role("button", name=f"保存 {this_month()} 的使用情况").click()
    page.wait_for_load_state()
    assert "1 个产品" in page.content()


def test_supervisor_sees_the_funnel_and_chases_an_overdue_hospital(db, world, make_user, live_server, page):
    supervisor = make_user(Role.SUPERVISOR, name="市卫健委")
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    _login(page, live_server, supervisor.email)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="监管看板").click()
    page.wait_for_load_state()
    assert "1 款产品已进入 1 家医疗机构" in page.locator("main").inner_text()
    funnel = page.locator("table.funnel")
    assert "同意配备" in funnel.inner_text()
    page.wait_for_selector(".chart.chart-drawn svg")  # ECharts drew it from our own origin
    assert not [e for e in errors if "Content Security Policy" in e]

    item = world["open"][0]
    with page.expect_navigation():
        page.get_by_role("button", name=f"催办 甲医院 {item.entry.product_name}").click()
        page.locator("dialog[open]").get_by_role("button", name="确定").click()  # the portal's confirmation
    assert "已催办：甲医院" in page.content()
    assert page.get_by_role("button", name=f"催办 甲医院 {item.entry.product_name}").count() == 0

    page.get_by_role("link", name="甲医院").first.click()
    page.wait_for_load_state()
    assert world["admitted"].entry.product_name in page.locator("main").inner_text()


def test_company_sees_per_hospital_adoption(db, world, make_user, live_server, page):
    entry = world["declined"].entry
    owner = make_user(Role.MANUFACTURER, company=entry.product.company)
    _login(page, live_server, owner.email)
    page.get_by_role("link", name=entry.product_name).first.click()
    page.wait_for_load_state()
    text = page.locator("main").inner_text()
    assert "各医院入院应用情况" in text and "甲医院" in text and "乙医院" in text
    assert "院内同类设备尚在使用年限内" in text
