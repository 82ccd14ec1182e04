"""Issue 14, what each role meets on a first day: one opinion per expert, replaced attachments, the objection
form's phone numbers and messages, Chinese histories, the company and public homes, and the small things."""

from io import BytesIO

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Role
from portal.applications.services import create_application, snapshot_of, withdraw_application
from portal.core.errors import DomainError, IllegalTransition
from portal.objections import services as objection_services
from portal.products.models import Attachment
from portal.review import services
from portal.review.models import ExpertReview
from portal.workflow import ApplicationState, BatchState
from tests.conftest import login
from tests.factories import PDF
from tests.factories_search import build_examples


@pytest.fixture
def catalogue(make_catalogue):
    return make_catalogue(notice_days=7)


# 1. Expert opinions -------------------------------------------------------------------------------------------


def test_a_recused_expert_cannot_then_be_scored_and_is_not_counted(
    db, catalogue, make_batch, make_application, reviewer_for
):
    reviewer = reviewer_for(catalogue)
    application = make_application(make_batch(catalogue), state=ApplicationState.FORMAL_CHECK_PASSED)
    services.add_expert_review(
        reviewer,
        application,
        version=application.version_id,
        expert_name="李专家",
        recused=True,
        score=5,
        recommendation="recommend",
    )
    with pytest.raises(DomainError) as refused:
        services.add_expert_review(
            reviewer,
            application,
            version=application.version_id,
            expert_name=" 李专家 ",
            recused=False,
            score=5,
            recommendation="recommend",
        )
    assert refused.value.field == "expert_name" and "李专家" in refused.value.message
    services.add_expert_review(
        reviewer,
        application,
        version=application.version_id,
        expert_name="张专家",
        recused=False,
        score=3,
        recommendation="recommend",
    )
    db.session.commit()
    summary = services.review_summary(application)
    assert (summary.counted, summary.recused, summary.average) == (1, 1, 3.0)
    recused = db.session.scalar(select(ExpertReview).where(ExpertReview.expert_name == "李专家"))
    assert recused.score is None and recused.recommendation is None


def test_the_database_keeps_one_opinion_per_expert(db, catalogue, make_batch, make_application):
    application = make_application(make_batch(catalogue), state=ApplicationState.FORMAL_CHECK_PASSED)
    for _ in range(2):
        db.session.add(ExpertReview(application=application, expert_name="王专家", recused=True))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


# 3. Attachments ------------------------------------------------------------------------------------------------


def _upload(client, product, filename, kind="注册证"):
    return client.post(
        f"/products/{product.id}/attachments",
        data={"kind": kind, "file": (BytesIO(PDF), filename)},
        content_type="multipart/form-data",
    )


def test_a_new_file_of_a_kind_replaces_the_current_one(client, db, login_as, make_product):
    user = login_as(Role.MANUFACTURER)
    product = make_product(user.company)
    for name in ("old.pdf", "real.pdf"):
        assert _upload(client, product, name).status_code == 302
    assert _upload(client, product, "价值.pdf", kind="临床价值证明材料").status_code == 302
    db.session.expire_all()
    current = product.current_attachments
    assert sorted(a.original_name for a in current) == ["real.pdf", "价值.pdf"]
    old = db.session.scalar(select(Attachment).where(Attachment.original_name == "old.pdf"))
    new = db.session.scalar(select(Attachment).where(Attachment.original_name == "real.pdf"))
    assert old.retired_at is not None and old.superseded_by_id == new.id
    names = [a["original_name"] for a in snapshot_of(product, product.current_attachments)["attachments"]]
    assert sorted(names) == ["real.pdf", "价值.pdf"]
    page = client.get(f"/products/{product.id}").get_data(as_text=True)
    current_table = page.split("已被替换的旧文件")[0].split('id="attachments"')[1]
    assert "real.pdf" in current_table and "old.pdf" not in current_table
    assert "old.pdf" in page and "已被替换" in page


# 4. Objection form -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone", ["021-12345678", "021 1234 5678", "(021)62345678", "0512-8765432", "13812345678", "+86 138 1234 5678"]
)
def test_objection_phone_numbers_in_the_forms_people_write(phone):
    assert objection_services.normalise_phone(phone) is not None


@pytest.mark.parametrize("phone", ["12345", "021-123", "1381234567", "abc"])
def test_objection_phone_numbers_that_are_not(phone):
    assert objection_services.normalise_phone(phone) is None


def test_objection_form_takes_its_own_example_number(
    client, db, catalogue, make_batch, make_application, advance_batch
):
    batch = make_batch(catalogue)
    application = make_application(batch, state=ApplicationState.RECOMMENDED)
    advance_batch(batch, BatchState.PUBLIC_NOTICE, notice_running=True)
    response = client.post(
        f"/notices/{batch.id}/objection",
        data={
            "application_id": application.id,
            "name": "王建国",
            "phone": "021-12345678",
            "reason": "该产品的临床试验数据与公开文献不一致，请核实。",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def test_objection_resolution_errors_are_separate_messages(
    client, db, login_as, catalogue, make_batch, make_application, advance_batch
):
    login_as(Role.REVIEWER, catalogues=[catalogue])
    batch = make_batch(catalogue)
    application = make_application(batch, state=ApplicationState.RECOMMENDED)
    advance_batch(batch, BatchState.PUBLIC_NOTICE, notice_running=True)
    objection = objection_services.file_objection(
        batch,
        application_id=application.id,
        name="王建国",
        phone="13812345678",
        organisation="",
        reason="该产品的临床试验数据与公开文献不一致。",
        ip=None,
    )
    db.session.commit()
    page = client.post(
        f"/review/objections/{objection.id}/resolve", data={f"o{objection.id}-version_id": objection.version_id}
    ).get_data(as_text=True)
    assert "；请" not in page and "。；" not in page
    assert "请选择处理结果。" in page and "请填写处理意见或理由。" in page


# 2. Histories and the audit log in Chinese ---------------------------------------------------------------------


def test_audit_log_in_words_with_what_an_edit_changed(app, client, db, make_user, make_product):
    from tests.factories import product_form

    company_user = make_user(Role.MANUFACTURER, name="陈经理")
    product = make_product(company_user.company)
    login(client, company_user.email)
    form = product_form(model="KN-200", version_id=product.version_id)
    assert client.post(f"/products/{product.id}/edit", data=form).status_code == 302
    admin = make_user(Role.ADMIN, name="系统管理员甲")
    client.post("/logout")
    login(client, admin.email)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "修改产品信息" in page and "型号规格：" in page and "→ KN-200" in page
    assert "登录" in page and "陈经理" in page and "用户 系统管理员甲" in page
    for code in ("product.updated", "login.success", "user #", "product #"):
        assert code not in page


# 5. Company home -----------------------------------------------------------------------------------------------


def _stat(html: str, label: str) -> str:
    import re

    found = re.search(r'<span class="stat-value">([^<]*)</span><span class="stat-label">' + label + "<", html)
    return found.group(1) if found else "absent"


def test_company_home_does_not_count_listed_products_as_recommended(
    client, db, login_as, catalogue, make_batch, make_application, advance_batch, make_product
):
    user = login_as(Role.MANUFACTURER)
    published, noticed = make_batch(catalogue), make_batch(catalogue)
    make_application(published, make_product(user.company), state=ApplicationState.RECOMMENDED)
    make_application(noticed, make_product(user.company), state=ApplicationState.RECOMMENDED)
    advance_batch(published, BatchState.PUBLISHED)
    advance_batch(noticed, BatchState.PUBLIC_NOTICE, notice_running=True)
    home = client.get("/").get_data(as_text=True)
    assert _stat(home, "拟推荐") == "1"


def test_a_draft_is_not_withdrawn_and_its_missing_attachments_link_to_the_upload_form(
    client, db, login_as, make_catalogue, make_batch, make_product
):
    user = login_as(Role.MANUFACTURER)
    catalogue = make_catalogue(required_attachments=["注册证", "临床价值证明材料"])
    product = make_product(user.company)
    application = create_application(user, product, make_batch(catalogue, state=BatchState.OPEN))
    db.session.commit()
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "撤回申报" not in page
    upload = f"/products/{product.id}?kind=%E6%B3%A8%E5%86%8C%E8%AF%81#attachments"  # kind=注册证
    assert upload in page
    home = client.get("/").get_data(as_text=True)
    assert upload in home and "上传注册证" in home
    with pytest.raises(IllegalTransition):
        withdraw_application(user, application, "不报了")


# 6. Public home, navigation, progress ----------------------------------------------------------------------------


def test_public_home_has_search_notices_updates_and_help(
    app, client, db, catalogue, make_batch, make_application, advance_batch, make_product
):
    app.config["PORTAL_HELP_CONTACT"] = "目录咨询：市卫健委药械处 021-23111111"
    noticed = make_batch(catalogue, name="第七批")
    make_application(noticed, state=ApplicationState.RECOMMENDED)
    advance_batch(noticed, BatchState.PUBLIC_NOTICE, notice_running=True)
    published = make_batch(catalogue, name="第五批")
    make_application(published, make_product(name="磁共振成像系统"), state=ApplicationState.RECOMMENDED)
    advance_batch(published, BatchState.PUBLISHED)
    page = client.get("/").get_data(as_text=True)
    assert 'role="search"' in page and 'action="/search"' in page and 'name="q"' in page
    assert f"/notices/{noticed.id}" in page and "第七批" in page
    assert "最新动态" in page and "第五批发布：新增 1 个产品" in page
    assert "021-23111111" in page and "favicon.svg" in page and 'href="#main"' in page
    assert "“新优药械”" in page and '"新优药械"' not in page
    assert client.get("/static/favicon.svg").status_code == 200


def _progress(application):
    from portal.applications.progress import progress

    return progress(application)


@pytest.mark.parametrize(
    ("state", "current", "holder"),
    [
        (ApplicationState.DRAFT, "提交申报", "申报企业"),
        (ApplicationState.RETURNED, "提交申报", "申报企业"),
        (ApplicationState.SUBMITTED, "形式审查", "审核人员"),
        (ApplicationState.FORMAL_CHECK_PASSED, "专家评审", "审核人员"),
        (ApplicationState.RECOMMENDED, "公示", "审核人员"),
    ],
)
def test_progress_says_which_step_what_next_and_who(
    db, catalogue, make_batch, make_application, state, current, holder
):
    application = make_application(make_batch(catalogue), state=state)
    p = _progress(application)
    [(label, _)] = [s for s in p.steps if s[1] == "current"]
    assert label == current and p.holder == holder and p.next


def test_progress_of_a_listed_and_a_rejected_application(db, catalogue, make_batch, make_application, advance_batch):
    batch = make_batch(catalogue)
    application = make_application(batch, state=ApplicationState.RECOMMENDED)
    advance_batch(batch, BatchState.PUBLISHED)
    listed = _progress(application)
    assert all(status == "done" for _, status in listed.steps) and listed.now == "已列入目录"
    rejected = _progress(make_application(make_batch(catalogue), state=ApplicationState.REJECTED))
    assert ("专家评审", "stopped") in rejected.steps


def test_company_sees_the_stepper_and_breadcrumbs(
    client, db, login_as, catalogue, make_batch, make_application, make_product
):
    user = login_as(Role.MANUFACTURER)
    application = make_application(make_batch(catalogue), make_product(user.company))
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "办理进度" in page and 'aria-current="step"' in page and "等待形式审查" in page
    assert 'aria-label="当前位置"' in page and 'href="/applications"' in page


# 8. Small things ---------------------------------------------------------------------------------------------


def test_a_page_past_the_results_does_not_say_nothing_was_found(client, world):
    build_examples(world)
    page = client.get("/search?page=999").get_data(as_text=True)
    assert "没有找到" not in page and "已超出检索结果" in page and "回到第 1 页" in page


def test_hospital_pages_device_class_calendar_and_token(client, db, make_catalogue, make_hospital, make_user):
    from tests.factories_assessments import assessments_of, make_hospital_user, publish

    hospital = make_hospital()
    user = make_hospital_user(make_user, hospital)
    publish(make_catalogue(), entries=1)
    login(client, user.email)
    page = client.get(f"/assessments/{assessments_of(hospital)[0].id}").get_data(as_text=True)
    assert "第三类" in page and ">III<" not in page
    first = client.post("/assessments/calendar").get_data(as_text=True)
    assert "订阅地址" in first and "旧的订阅地址已失效" not in first and 'data-copy="#feed-url"' in first
    assert "旧的订阅地址已失效" in client.post("/assessments/calendar").get_data(as_text=True)
    token_page = client.post("/account/api-tokens", data={"name": "HRP"}).get_data(as_text=True)
    assert 'data-copy="#new-token"' in token_page and 'class="secret-row"' in token_page
    assert "<script>" not in token_page and "onclick" not in token_page


def test_no_duplicate_ids_on_pages_of_many_forms(app, client, db, make_catalogue, make_hospital, make_user):
    import re
    from collections import Counter

    from tests.factories_assessments import assessments_of, make_hospital_user, publish

    hospital = make_hospital()
    login(client, make_hospital_user(make_user, hospital).email)
    publish(make_catalogue(), entries=1)
    for name in ("HRP", "LIS"):
        client.post("/account/api-tokens", data={"name": name})
    app.config["WTF_CSRF_ENABLED"] = True  # render the tokens (a GET checks none)
    for url in (f"/assessments/{assessments_of(hospital)[0].id}", "/account/api-tokens"):
        page = client.get(url).get_data(as_text=True)
        assert page.count('name="csrf_token"') > 2, url
        ids = Counter(re.findall(r'\sid="([^"]+)"', page))
        assert [i for i, n in ids.items() if n > 1] == [], url


def test_product_edit_confirmations_use_the_dialog_script_not_inline_confirm(client, db, login_as, make_product):
    user = login_as(Role.MANUFACTURER)
    product = make_product(user.company)
    page = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "confirm(" not in page
    script = client.get("/static/js/portal.js").get_data(as_text=True)
    assert "showModal" in script and "window.confirm" not in script
