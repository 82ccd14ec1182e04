"""In Chromium: a visitor searches 磁共振, filters by key area, opens an entry; on a phone-sized screen too."""

import pytest

from portal.extensions import db
from tests.factories_search import build_examples

pytestmark = pytest.mark.browser


@pytest.fixture
def ex(world):
    examples = build_examples(world)
    db.session.commit()
    return examples


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}])
def test_visitor_searches_filters_and_opens_an_entry(ex, live_server, page, viewport):
    page.set_viewport_size(viewport)
    page.goto(f"{live_server}/catalogues")
    page.get_by_role("link", name="上海测试目录").first.click()
    page.get_by_label("检索", exact=True).fill("磁共振")
    page.get_by_role("button", name="检索").click()
    page.wait_for_load_state()
    results = page.locator(".result-list")
    assert "超导磁共振成像系统" in results.inner_text()
    assert "头部线圈" in results.inner_text()
    assert page.locator(".result-list mark").first.inner_text() == "磁共振"
    # Filter by key area: both are 高端医学影像; add a district to narrow to one.
    page.locator("details.facet", has_text="重点领域").get_by_role("link", name="高端医学影像").click()
    page.wait_for_load_state()
    assert "重点领域：高端医学影像" in page.locator(".active-filters").inner_text()
    page.locator("details.facet", has_text="企业所在区").locator("summary").click()
    page.locator("details.facet", has_text="企业所在区").get_by_role("link", name="嘉定区").click()
    page.wait_for_load_state()
    assert page.locator(".result-total").inner_text() == "1"
    page.get_by_role("link", name="超导磁共振成像系统").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "超导磁共振成像系统"
    assert "国家药监局 · 境内 · 2021年首次注册" in page.locator("main").inner_text()


def test_export_links_download(ex, live_server, page):
    page.goto(f"{live_server}/search?q=联影")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    path = download.value.path()
    text = path.read_text(encoding="utf-8-sig")
    assert text.startswith("产品名称,") and "超导磁共振成像系统" in text
