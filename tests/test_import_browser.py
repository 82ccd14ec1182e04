"""In Chromium: a reviewer uploads an official spreadsheet, sees the preview and confirms (the confirmation posts in
the background while the page shows the import's progress), with CSRF on as in production."""

import pytest

from portal.accounts.models import Role
from portal.catalogue.models import Entry
from tests.conftest import PASSWORD
from tests.test_web_import import _workbook

pytestmark = pytest.mark.browser


def test_reviewer_imports_a_batch_in_the_browser(db, live_server, page, make_user, make_catalogue, tmp_path):
    reviewer = make_user(Role.REVIEWER, catalogues=[make_catalogue(code="SH-WEB", name="上海测试目录")])
    upload = tmp_path / "upload" / "第五批.xlsx"
    upload.parent.mkdir()
    upload.write_bytes(_workbook(tmp_path))
    page.goto(f"{live_server}/login")
    page.get_by_label("邮箱").fill(reviewer.email)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="导入").click()
    page.get_by_label("文件（.xlsx 或 .csv）").set_input_files(str(upload))
    page.get_by_label("目录").select_option("SH-WEB")
    page.get_by_label("批次名称").fill("第五批")
    page.get_by_role("button", name="上传并预览").click()
    assert "检查通过：共 3 行" in page.locator("main").inner_text()
    assert db.session.scalar(db.select(db.func.count(Entry.id))) == 0
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_url(f"{live_server}/imports/new")
    assert "新增条目 3" in page.locator("main").inner_text()
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Entry.id))) == 3
