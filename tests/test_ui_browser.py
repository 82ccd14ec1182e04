"""In Chromium, issue 14's journeys: the public home, a company's progress, the phone queue, the objection form,
the confirmation dialog and the copy button; and axe-core on every page each role reaches from its home page."""

import os
import re
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from portal.demo.seed import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from tests.axe import assert_accessible, axe_violations

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
ROLES = {
    "public": None,
    "company": "company@demo.xinyou.cn",
    "reviewer": "reviewer@demo.xinyou.cn",
    "hospital": "hospital@demo.xinyou.cn",
    "admin": "admin@demo.xinyou.cn",
}
# Not pages: files, feeds, exports, the API; and one page of each shape is enough (ids become N).
SKIP = re.compile(r"/export|\.atom$|\.ics$|\.csv$|\.xlsx$|/attachments/|/api/|/healthz|/logout")
MAX_PAGES = 18


@pytest.fixture
def demo(app):
    seed_demo(out=lambda *a, **k: None)
    db.session.commit()


@pytest.fixture
def shots(tmp_path) -> Path:
    """Screenshots go to PORTAL_SCREENSHOT_DIR when set (to look at them), else to the test's tmp folder."""
    folder = Path(os.environ.get("PORTAL_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _login(page, base, email):
    page.goto(f"{base}/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def _shape(url: str) -> str:
    parsed = urlparse(url)
    return re.sub(r"\d+", "N", parsed.path) + ("?" + re.sub(r"=[^&]*", "", parsed.query) if parsed.query else "")


def _links(page, base) -> list[str]:
    hrefs = page.eval_on_selector_all("header a[href], main a[href]", "els => els.map(e => e.getAttribute('href'))")
    found = []
    for href in hrefs:
        url = urljoin(page.url, href).split("#")[0]
        if url.startswith(base) and not SKIP.search(url):
            found.append(url)
    return found


@pytest.mark.parametrize("role", list(ROLES))
def test_axe_finds_nothing_serious_on_the_pages_each_role_reaches(demo, live_server, browser, role):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    if ROLES[role]:
        _login(page, live_server, ROLES[role])
    # The home page and a search with highlighted matches (reached by a form, not a link).
    queue, seen, problems = [f"{live_server}/", f"{live_server}/search?q=磁共振"], set(), []
    visited = 0
    while queue and visited < MAX_PAGES:
        url = queue.pop(0)
        if _shape(url) in seen:
            continue
        seen.add(_shape(url))
        response = page.goto(url)
        assert response.status < 500, url
        if response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        visited += 1
        problems += [f"{url}: {p}" for p in axe_violations(page)]
        queue += _links(page, live_server)
    context.close()
    assert visited >= 5, (role, seen)
    assert not problems, "\n".join(problems)


def test_public_home_search_notice_and_objection_with_a_landline(demo, live_server, page, shots):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/")
    page.screenshot(path=str(shots / "public-home.png"), full_page=True)
    main = page.locator("main")
    assert "正在公示" in main.inner_text() and "最新动态" in main.inner_text()
    assert page.locator("link[rel=icon]").get_attribute("href").endswith("favicon.svg")
    assert "12345" in page.locator("footer").inner_text()
    assert_accessible(page)

    page.get_by_label("搜索目录产品").fill("磁共振")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_load_state()
    assert "超导磁共振成像系统" in page.locator("main").inner_text()

    page.goto(f"{live_server}/")
    page.get_by_role("link", name="实名提出异议").first.click()
    page.wait_for_load_state()
    page.get_by_label("异议对象（公示产品）").select_option(index=1)
    page.get_by_label("姓名（实名）").fill("王建国")
    page.get_by_label("联系电话").fill("021-12345678")
    page.get_by_label("异议事实和理由").fill("该产品的临床试验数据与公开文献不一致，请核实。")
    page.get_by_role("button", name="提交异议").click()
    page.wait_for_load_state()
    assert "您的异议已提交" in page.content()


def test_company_follows_its_application_and_confirms_in_a_dialog(demo, live_server, page, shots):
    _login(page, live_server, "company@demo.xinyou.cn")
    page.get_by_role("link", name="移动式C形臂X射线机").first.click()
    page.wait_for_load_state()
    progress = page.locator("section.progress")
    assert "公示中" in progress.inner_text() and "公示结束后发布入目录" in progress.inner_text()
    assert progress.locator("[aria-current=step]").inner_text().startswith("公示")
    assert page.get_by_role("navigation", name="当前位置").is_visible()
    page.screenshot(path=str(shots / "company-progress.png"), full_page=True)
    assert_accessible(page)

    # Removing an attachment asks in a dialog: cancelling keeps it, confirming removes it.
    page.locator("dl.details a[href^='/products/']").click()
    page.wait_for_load_state()
    rows = page.locator("#attachments tbody tr")
    before = rows.count()
    rows.first.get_by_role("button", name="移除").click()
    dialog = page.get_by_role("dialog")
    assert "确定从产品中移除该附件吗" in dialog.inner_text()
    assert_accessible(page)
    dialog.get_by_role("button", name="取消").click()
    assert page.get_by_role("dialog").count() == 0 and rows.count() == before
    rows.first.get_by_role("button", name="移除").click()
    page.get_by_role("dialog").get_by_role("button", name="确定").click()
    page.wait_for_load_state()
    assert "已移除附件" in page.content() and page.locator("#attachments tbody tr").count() == before - 1


def test_phone_queue_cards_and_header(demo, live_server, browser, shots):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE, is_mobile=True)
    page = context.new_page()
    _login(page, live_server, "hospital@demo.xinyou.cn")
    page.goto(f"{live_server}/assessments")
    page.wait_for_load_state()
    page.screenshot(path=str(shots / "phone-queue.png"), full_page=False)
    # Every card cell's label is its column's name: no lone "：" where a cell has no label.
    labels = page.eval_on_selector_all(
        "table.responsive td", "els => els.map(e => getComputedStyle(e, '::before').content)"
    )
    assert labels and not [c for c in labels if c.strip('"').strip() == "："]
    # The header's links sit on one scrolling row, not one under another.
    tops = page.eval_on_selector_all("nav.main-nav a", "els => els.map(e => Math.round(e.getBoundingClientRect().top))")
    assert len(set(tops)) == 1, tops
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)
    context.close()


def test_api_token_fits_the_phone_and_copies(demo, live_server, browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE, is_mobile=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    _login(page, live_server, "hospital@demo.xinyou.cn")
    page.goto(f"{live_server}/account/api-tokens")
    page.get_by_label("名称").fill("医院 HRP 系统")
    page.get_by_role("button", name="创建令牌").click()
    page.wait_for_load_state()
    field = page.get_by_label("新令牌")
    box = field.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.get_by_role("button", name="复制令牌").click()
    page.locator("#copy-status", has_text="已复制").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == field.input_value()
    assert_accessible(page)
    context.close()
