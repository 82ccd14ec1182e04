"""In Chromium: a company user registers a product with a PDF, applies to the open batch and submits; a reviewer
returns it with a comment; the company reads the comment, corrects the product and resubmits; the history shows
both rounds."""

import re

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.applications.models import Application
from portal.workflow import APPLICATION, ApplicationState, transition
from tests.conftest import PASSWORD
from tests.factories import PDF

pytestmark = pytest.mark.browser

COMMENT = "临床价值证明材料缺少多中心临床试验数据，请补充后重新提交。"


def _return(db, reviewer, comment):
    """The reviewer's 退回修改, done in the test process (the live server shares the database)."""
    db.session.rollback()  # see what the browser's requests committed
    application = db.session.scalar(select(Application))
    try:
        from portal.review.services import return_application
    except ImportError:
        transition(APPLICATION, application, "return", reviewer, comment=comment)
        application.submissions[-1].return_comment = comment
    else:
        return_application(reviewer, application, version=application.version_id, comment=comment)
    db.session.commit()
    return application


def _pdf(name):
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def test_company_applies_is_returned_and_resubmits(db, make_user, make_catalogue, make_batch, live_server, page):
    catalogue = make_catalogue(name="上海市新优药械目录", required_attachments=["注册证", "临床价值证明材料"])
    batch = make_batch(catalogue, name="第六批")
    user = make_user(Role.MANUFACTURER)
    reviewer = make_user(Role.REVIEWER, catalogues=[catalogue])

    page.goto(f"{live_server}/login")
    page.get_by_label("邮箱").fill(user.email)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()

    # A new product, with the registration certificate uploaded on the same form.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的产品").click()
    page.get_by_role("link", name="登记新产品").first.click()
    page.get_by_label("产品名称", exact=True).fill("全膝关节置换手术导航定位系统")
    page.get_by_label("型号规格").fill("KN-100")
    page.get_by_label("产品类别").select_option("device")
    page.get_by_label("注册证编号 / 备案号 / 药品批准文号").fill("国械注准 ２０２１ 3010563")  # typed loosely
    page.get_by_label("首次获批日期").fill("2021-07-05")
    page.get_by_label("重点领域").select_option("高端手术系统")
    page.get_by_label("骨科", exact=True).check()
    page.get_by_label("关节外科", exact=True).check()
    page.get_by_label("适用范围").fill("用于全膝关节置换手术中的导航定位。")
    page.get_by_label("注册证（PDF，可稍后上传）").set_input_files(_pdf("注册证.pdf"))
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    assert "产品已保存" in page.content()
    assert "国械注准20213010563" in page.content()  # normalised

    # A wrong file is refused in Chinese; a PDF is accepted.
    page.get_by_label("附件类型").select_option("临床价值证明材料")
    page.get_by_label("PDF 文件").set_input_files(
        {"name": "数据.pdf", "mimeType": "application/pdf", "buffer": b"GIF89a"}
    )
    page.get_by_role("button", name="上传").click()
    page.wait_for_load_state()
    assert "不是 PDF 文件" in page.content()
    assert page.get_by_label("附件类型").input_value() == "临床价值证明材料"
    page.get_by_label("PDF 文件").set_input_files(_pdf("临床价值.pdf"))
    page.get_by_role("button", name="上传").click()
    page.wait_for_load_state()
    assert "已上传临床价值证明材料" in page.content()

    # Apply to the open batch and submit.
    page.get_by_role("button", name=re.compile("申报上海市新优药械目录第六批")).click()
    page.wait_for_load_state()
    assert "申报草稿" in page.content()
    page.get_by_label("申报说明（产品的创新性和临床价值）").fill("国内首个获批的膝关节手术导航系统。")
    page.get_by_role("button", name="提交申报").click()
    page.wait_for_load_state()
    assert "已提交（第 1 轮）" in page.content()
    application_url = page.url

    # The reviewer returns it.
    application = _return(db, reviewer, COMMENT)
    assert application.state is ApplicationState.RETURNED

    page.goto(application_url)
    returned = page.locator(".card.returned").inner_text()
    assert "审核意见（退回修改）" in returned and COMMENT in returned

    # Correct the product, then resubmit.
    page.locator(".card.returned").get_by_role("link", name="修改产品信息").click()
    page.get_by_label("型号规格").fill("KN-100 Pro")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    assert "KN-100 Pro" in page.content()
    page.goto(application_url)
    page.get_by_role("button", name="重新提交").click()
    page.wait_for_load_state()
    assert "已提交（第 2 轮）" in page.content()

    history = page.locator("#history").inner_text()
    assert "第 1 轮" in history and "第 2 轮" in history and COMMENT in history
    db.session.rollback()
    application = db.session.scalar(select(Application))
    assert application.state is ApplicationState.SUBMITTED and application.round == 2
    assert [s.snapshot["model"] for s in application.submissions] == ["KN-100", "KN-100 Pro"]
    assert batch.id == application.batch_id
