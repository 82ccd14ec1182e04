"""In Chromium: hospital staff work through their queue and see their progress change."""

import pytest

from portal.demo.seed import DEMO_PASSWORD, seed_demo
from portal.extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(app):
    seed_demo(out=lambda *a, **k: None)
    db.session.commit()


def _progress(page) -> str:
    return page.locator("progress.update-progress").first.get_attribute("value")


def test_hospital_clears_items_from_its_queue(demo, live_server, page):
    page.goto(f"{live_server}/login")
    page.get_by_label("邮箱").fill("hospital@demo.xinyou.cn")
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    assert "入院评估" in page.locator("main").inner_text()
    before = int(_progress(page))
    assert before == 4  # the demo hospital has decided 4 of 11

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="评估队列").click()
    page.wait_for_load_state()
    assert "评估队列" in page.locator("h1").inner_text()
    page.get_by_role("link", name="正电子发射及X射线计算机断层成像扫描系统").click()
    page.wait_for_load_state()

    # Log the committee review, then admit.
    page.get_by_label("记录类型").select_option(label="委员会审议")
    page.get_by_label("审议机构（委员会审议时）").select_option(label="医学装备委员会")
    page.get_by_label("说明").fill("会议同意引进")
    page.get_by_role("button", name="添加记录").click()
    page.wait_for_load_state()
    assert "已添加评估记录" in page.content()
    assert "医学装备委员会审议：会议同意引进" in page.locator(".timeline").inner_text()
    page.get_by_role("radio", name="同意配备").check()
    page.get_by_role("button", name="提交结论").click()
    page.wait_for_load_state()
    assert "已记录评估结论：同意配备" in page.content()

    # Decline another: without a reason it is refused, with the choice kept.
    page.get_by_role("link", name="← 返回评估队列").click()
    page.get_by_role("link", name="彩色多普勒超声诊断系统").click()
    page.wait_for_load_state()
    page.get_by_role("radio", name="暂不配备").check()
    page.get_by_role("button", name="提交结论").click()
    page.wait_for_load_state()
    assert "必须填写理由" in page.content()
    assert page.get_by_role("radio", name="暂不配备").is_checked()
    page.get_by_label("理由（暂不配备、不适用时必填）").fill("院内同类设备尚在使用年限内")
    page.get_by_role("button", name="提交结论").click()
    page.wait_for_load_state()
    assert "已记录评估结论：暂不配备" in page.content()

    page.goto(live_server + "/")
    assert int(_progress(page)) == before + 2
    assert f"已完成 {before + 2} / 11 项" in page.locator("main").inner_text()


def test_hospital_marks_ticked_items_not_applicable(demo, live_server, page):
    """The bulk form's CSRF token sits outside the remembered queue content (tied to the form by its `form`
    attribute); the browser must still send it, or the server refuses the action."""
    page.goto(f"{live_server}/login")
    page.get_by_label("邮箱").fill("hospital@demo.xinyou.cn")
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server}/assessments?state=open")
    ticked = page.locator('input[name="ids"]').first
    name = ticked.get_attribute("aria-label").removeprefix("选择 ")
    ticked.check()
    page.get_by_label("不适用理由").fill("本院未开设相关科室")
    page.get_by_role("button", name="标记为不适用").click()
    page.wait_for_load_state()
    assert "已将 1 项标记为「不适用」" in page.content()
    page.goto(f"{live_server}/assessments?state=decided&per_page=200")
    assert page.get_by_role("link", name=name, exact=True).count() == 1
