"""In Chromium, the whole 医企对接 journey on the demo data: a hospital department publishes a need, a company
responds with a listed product, they agree a 医企面对面 meeting (ICS invitation), and the hospital's outcome
进入入院评估 opens the hospital's assessment of that product."""

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.core import timeutil
from portal.demo.seed import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from portal.matchmaking.models import Meeting
from portal.products.samples import minimal_pdf

pytestmark = pytest.mark.browser

PRODUCT = "正电子发射及X射线计算机断层成像扫描系统"
NEED = "肿瘤早筛 PET-CT 设备"


@pytest.fixture
def demo(app):
    seed_demo(out=lambda *a, **k: None)
    db.session.commit()


def _login(page, base, email):
    page.goto(f"{base}/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def _logout(page):
    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state()


def _open_area(page):
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="医企对接").click()
    page.wait_for_load_state()


def test_need_response_meeting_outcome_assessment(demo, live_server, page, tmp_path):
    # 1. The hospital publishes its department's need.
    _login(page, live_server, "hospital@demo.xinyou.cn")
    _open_area(page)
    page.get_by_role("link", name="发布临床需求").first.click()
    page.get_by_label("科室").select_option("核医学科")
    page.get_by_label("需求名称").fill(NEED)
    page.get_by_label("需求说明（需要什么、为什么）").fill("核医学科开展肿瘤早期筛查，需要低剂量、高分辨率的 PET-CT。")
    page.get_by_label("重点领域").select_option("高端医学影像")
    page.get_by_label("有效期至").fill((timeutil.today_shanghai() + timedelta(days=30)).isoformat())
    page.get_by_role("button", name="发布需求").click()
    page.wait_for_load_state()
    assert "临床需求已发布" in page.content()
    _logout(page)

    # 2. The company finds it among the needs that fit its products, and responds with a PDF.
    _login(page, live_server, "company@demo.xinyou.cn")
    _open_area(page)
    first = page.locator("tr.need-row").first
    assert NEED in first.inner_text() and PRODUCT in first.inner_text() and "已列入目录" in first.inner_text()
    first.get_by_role("link", name=NEED).click()
    page.get_by_label("响应产品").select_option(label=PRODUCT)
    page.get_by_label("响应说明").fill("低剂量全身成像，已在多家三甲医院核医学科使用。")
    pdf = tmp_path / "产品介绍.pdf"
    pdf.write_bytes(minimal_pdf("intro"))
    page.get_by_label("补充材料（PDF，可选）").set_input_files(str(pdf))
    page.get_by_role("button", name="提交响应").click()
    page.wait_for_load_state()
    assert "已提交响应" in page.content() and "产品介绍.pdf" in page.content()
    _logout(page)

    # 3. The hospital shortlists it and proposes a meeting (Shanghai time).
    _login(page, live_server, "hospital@demo.xinyou.cn")
    _open_area(page)
    page.get_by_role("link", name=NEED).click()
    page.get_by_role("link", name=PRODUCT).click()
    page.get_by_role("button", name="列入入围").click()
    page.wait_for_load_state()
    day = timeutil.today_shanghai() + timedelta(days=3)
    page.get_by_label("会面时间（上海时间）").fill(f"{day.isoformat()}T14:30")
    page.get_by_label("地点").fill("门诊楼三楼会议室")
    page.get_by_role("button", name="提议会面时间").click()
    page.wait_for_load_state()
    assert "等待对方确认" in page.content() and f"{day.isoformat()} 14:30" in page.content()
    _logout(page)

    # 4. The company accepts; both have the calendar invitation.
    _login(page, live_server, "company@demo.xinyou.cn")
    page.goto(f"{live_server}/match/responses")
    page.get_by_role("link", name=NEED).click()
    page.get_by_role("button", name="接受该时间").click()
    page.wait_for_load_state()
    assert "会面已确认" in page.content()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载日历邀请（.ics）").click()
    ics = Path(download.value.path()).read_text(encoding="utf-8")
    assert "BEGIN:VEVENT" in ics and f"DTSTART:{day:%Y%m%d}T063000Z" in ics and "STATUS:CONFIRMED" in ics
    _logout(page)

    # 5. After the meeting (time passes: it began an hour ago) the hospital records 进入入院评估, which opens
    # its assessment of the product.
    meeting = db.session.scalar(sa.select(Meeting))
    meeting.starts_at = timeutil.utcnow() - timedelta(hours=1)
    db.session.commit()
    _login(page, live_server, "hospital@demo.xinyou.cn")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="通知").click()
    assert "医企面对面已确认" in page.content()
    page.goto(f"{live_server}/match/needs")
    page.get_by_role("link", name=NEED).click()
    page.get_by_role("link", name=PRODUCT).click()
    page.get_by_role("radio", name="进入入院评估").check()
    page.get_by_label("结果说明").fill("核医学科提交配备申请，进入入院评估。")
    page.get_by_role("button", name="记录结果").click()
    page.wait_for_load_state()
    assert "已记录对接结果：进入入院评估" in page.content()
    assert "已关联本院的入院评估任务（评估中）" in page.content()
    page.get_by_role("link", name="查看入院评估").click()
    page.wait_for_load_state()
    assert PRODUCT in page.locator("h1").inner_text() and "评估中" in page.content()
