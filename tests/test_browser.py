"""In Chromium: every demo role logs in through the real form and sees its own home page."""

import re

import pytest

from portal.demo.seed import DEMO_PASSWORD, seed_demo
from portal.extensions import db

pytestmark = pytest.mark.browser

# The demo logins and what each one's home page shows.
ROLE_HOMES = [
    ("admin@demo.xinyou.cn", "管理员", "医疗机构"),
    ("reviewer@demo.xinyou.cn", "审核人员", "进行中的批次"),
    ("company@demo.xinyou.cn", "企业用户", "正在征集的批次"),
    ("hospital@demo.xinyou.cn", "医院用户", "入院评估"),
]


@pytest.fixture
def demo(app):
    seed_demo(out=lambda *a, **k: None)
    db.session.commit()


@pytest.mark.parametrize(("email", "role_label", "home_text"), ROLE_HOMES)
def test_demo_role_logs_in_and_sees_home(demo, live_server, page, email, role_label, home_text):
    page.goto(f"{live_server}/admin/users")
    assert "/login" in page.url  # login required, with the way back kept
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    if role_label == "管理员":
        assert page.url.endswith("/admin/users")
        page.goto(live_server + "/")
    else:
        assert "您没有权限" in page.content()  # not an admin: /admin/users is refused
        page.goto(live_server + "/")
    header = page.locator(".user-box").inner_text()
    assert role_label in header
    assert home_text in page.locator("main").inner_text()
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r".*/login$"))
    assert "您已安全退出" in page.content()


def test_wrong_password_shows_chinese_error(demo, live_server, page):
    page.goto(f"{live_server}/login")
    page.get_by_label("邮箱").fill("hospital@demo.xinyou.cn")
    page.get_by_label("密码", exact=True).fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    assert "邮箱或密码不正确" in page.content()
    assert page.get_by_label("邮箱").input_value() == "hospital@demo.xinyou.cn"
