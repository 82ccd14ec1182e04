"""In Chromium: a reviewer runs a batch from draft to published, with a visitor's objection on the way."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from portal.accounts.models import Role
from portal.assessments.models import Assessment
from portal.catalogue.models import Batch, Entry
from portal.core import timeutil
from portal.objections.models import Objection
from portal.workflow import ApplicationState, BatchState, ObjectionState
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _local(value):
    return timeutil.to_shanghai(value).strftime("%Y-%m-%dT%H:%M")


def _click_and_wait(page, name):
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()
        dialog = page.locator("dialog[open]")  # data-confirm forms ask in a <dialog> first
        if dialog.count():
            dialog.get_by_role("button", name="确定").click()


def test_reviewer_runs_a_batch_from_draft_to_published(
    db, live_server, page, browser, make_catalogue, make_user, make_hospital, make_application
):
    catalogue = make_catalogue(name="浦江创新药械目录", notice_days=7)
    reviewer = make_user(Role.REVIEWER, catalogues=[catalogue], name="李审核")
    for _ in range(3):
        make_hospital()

    # Log in and create the batch.
    page.goto(f"{live_server}/login")
    page.get_by_label("邮箱").fill(reviewer.email)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    _click_and_wait(page, "登录")
    page.goto(f"{live_server}/review/batches/new")
    now = timeutil.utcnow()
    page.get_by_label("批次名称").fill("第七批")
    page.get_by_label("征集开始时间").fill(_local(now - timedelta(hours=1)))
    page.get_by_label("征集截止时间").fill(_local(now + timedelta(days=10)))
    _click_and_wait(page, "创建批次")
    assert "草稿" in page.locator("h1").inner_text()

    # Open the call; a company submits (the company side is not under test here); close the call.
    _click_and_wait(page, "开始征集")
    assert "征集中" in page.locator("h1").inner_text()
    batch = db.session.scalar(select(Batch).where(Batch.name == "第七批"))
    application = make_application(batch)
    product_name = application.product.name
    _click_and_wait(page, "截止征集")
    assert "评审中" in page.locator("h1").inner_text()
    assert "1 份申报尚未作出决定" in page.locator("#next-step").inner_text()

    # Formal check, two expert opinions (one recused), recommendation.
    page.get_by_role("link", name="审核队列").first.click()
    page.get_by_role("link", name=product_name).click()
    page.wait_for_load_state()
    assert "国家药监局" in page.content()
    _click_and_wait(page, "形式审查通过")
    assert "形式审查已通过" in page.content()
    page.get_by_label("专家姓名").fill("张专家")
    page.get_by_label("申明回避（与申报企业存在利益冲突，意见不计入）").check()
    _click_and_wait(page, "录入意见")
    page.get_by_label("专家姓名").fill("王专家")
    page.get_by_label("评分（1–5）").fill("5")
    page.get_by_label("推荐意见", exact=True).select_option("recommend")
    page.get_by_label("评审意见").fill("临床价值明确，建议列入。")
    _click_and_wait(page, "录入意见")
    assert "平均分 5.0" in page.locator("#experts").inner_text()
    assert "回避 1 人" in page.locator("#experts").inner_text()
    _click_and_wait(page, "确定拟推荐")
    assert "拟推荐" in page.locator("h1").inner_text()

    # Public notice.
    page.goto(f"{live_server}/review/batches/{batch.id}")
    _click_and_wait(page, "开始公示")
    assert "公示中" in page.locator("h1").inner_text()

    # A visitor, not logged in, files a named objection.
    visitor = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    public = visitor.new_page()
    public.goto(f"{live_server}/notices/{batch.id}")
    assert product_name in public.content()
    public.get_by_role("link", name="提出异议", exact=True).click()
    public.get_by_label("异议对象（公示产品）").select_option(str(application.id))
    public.get_by_label("姓名（实名）").fill("匿名")
    public.get_by_label("联系电话").fill("12345")
    public.get_by_label("异议事实和理由").fill("不行")
    with public.expect_navigation():
        public.get_by_role("button", name="提交异议").click()
    text = public.content()
    assert "匿名异议不予受理" in text and "11 位手机号" in text and "至少 10 个字" in text
    public.get_by_label("姓名（实名）").fill("王建国")
    public.get_by_label("联系电话").fill("13801234567")
    public.get_by_label("异议事实和理由").fill("该产品与已列入目录的同类产品没有实质区别，请核实其创新性。")
    with public.expect_navigation():
        public.get_by_role("button", name="提交异议").click()
    assert "您的异议已提交" in public.content()
    visitor.close()

    # The reviewer sees the objection block publication, and dismisses it with a reason.
    page.reload()
    assert "1 条异议待处理" in page.locator("#next-step").inner_text()
    page.get_by_label("处理结果").select_option("dismiss")
    page.get_by_label("处理意见").fill("经核实，该产品通过创新医疗器械特别审查，异议不成立。")
    _click_and_wait(page, "提交处理结果")
    assert "异议不成立" in page.locator("#objections").inner_text()
    objection = db.session.scalar(select(Objection))
    db.session.refresh(objection)
    assert objection.state is ObjectionState.DISMISSED

    # The notice period ends (moved into the past in the shared database), then publication.
    db.session.execute(
        update(Batch).where(Batch.id == batch.id).values(notice_ends_at=timeutil.utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    page.reload()
    _click_and_wait(page, "发布")
    assert "已发布：1 个产品列入目录，向医疗机构派发 3 项入院评估任务" in page.content()
    assert "已发布" in page.locator("h1").inner_text()

    db.session.expire_all()
    assert db.session.get(Batch, batch.id).state is BatchState.PUBLISHED
    assert db.session.scalar(select(func.count(Entry.id)).where(Entry.batch_id == batch.id)) == 1
    assert db.session.scalar(select(func.count(Assessment.id)).where(Assessment.batch_id == batch.id)) == 3
    assert application.state is ApplicationState.RECOMMENDED

    # The public update page lists the new entry.
    page.goto(f"{live_server}/catalogues/{catalogue.code}/updates")
    assert product_name in page.content() and "新增 1 个产品" in page.content()
