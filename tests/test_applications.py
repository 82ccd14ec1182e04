"""Applications: apply from the product page, drafts, eligibility naming each failure, submission rounds,
退回修改 and resubmission with history, withdrawal, isolation between companies, the company's home board."""

from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from portal.accounts.models import Role
from portal.applications.models import Application, Submission
from portal.applications.services import (
    NotEligible,
    create_application,
    notify_company,
    submit_application,
    update_application,
    withdraw_application,
)
from portal.assessments.models import Assessment, Outcome
from portal.audit.models import AuditEvent
from portal.catalogue.models import Entry, Scope
from portal.core import timeutil
from portal.core.errors import DomainError, IllegalTransition, StaleObject
from portal.notifications.models import Notification
from portal.products.models import DeviceClass, ProductType
from portal.workflow import APPLICATION, ApplicationState, AssessmentState, BatchState, transition
from tests.conftest import login
from tests.factories import imported_batch


def _return(application, reviewer, comment):
    """Stand-in for the reviewer's 退回修改 (portal/review does this for real)."""
    try:
        from portal.review.services import return_application
    except ImportError:
        return_application = None
    if return_application is not None:
        return_application(reviewer, application, version=application.version_id, comment=comment)
    else:
        transition(APPLICATION, application, "return", reviewer, comment=comment)
        application.submissions[-1].return_comment = comment


@pytest.fixture
def setup(db, make_user, make_catalogue, make_batch, complete_product):
    catalogue = make_catalogue()
    user = make_user(Role.MANUFACTURER)
    return {
        "user": user,
        "catalogue": catalogue,
        "batch": make_batch(catalogue),
        "product": complete_product(user.company),
        "reviewer": make_user(Role.REVIEWER, catalogues=[catalogue]),
    }


# Creating ----------------------------------------------------------------------------------------------------


def test_apply_from_the_product_page_to_each_open_batch(client, db, setup, make_catalogue, make_batch):
    user, product, city_batch = setup["user"], setup["product"], setup["batch"]
    user.company.district = "宝山区"
    district_batch = make_batch(make_catalogue(scope=Scope.DISTRICT, district="宝山区"))
    make_batch(setup["catalogue"], state=BatchState.REVIEWING)  # not open: no button
    make_batch(make_catalogue(scope=Scope.DISTRICT, district="徐汇区"))  # another district: said, no button
    login(client, user.email)
    page = client.get(f"/products/{product.id}").get_data(as_text=True)
    for batch in (city_batch, district_batch):
        assert f"/products/{product.id}/apply/{batch.id}" in page
    assert page.count("/apply/") == 2
    assert "仅限徐汇区企业，贵公司所在区为宝山区，不能申报" in page
    for batch in (city_batch, district_batch):
        response = client.post(f"/products/{product.id}/apply/{batch.id}")
        assert response.status_code == 302 and "/applications/" in response.headers["Location"]
    applications = db.session.scalars(select(Application).order_by(Application.id)).all()
    assert [(a.batch_id, a.state) for a in applications] == [
        (city_batch.id, ApplicationState.DRAFT),
        (district_batch.id, ApplicationState.DRAFT),
    ]
    assert "/apply/" not in client.get(f"/products/{product.id}").get_data(as_text=True)
    # a second try says clearly that it exists
    response = client.post(f"/products/{product.id}/apply/{city_batch.id}", follow_redirects=True)
    assert "已申报" in response.get_data(as_text=True) and "请在申报记录中继续办理" in response.get_data(as_text=True)
    assert len(db.session.scalars(select(Application)).all()) == 2


@pytest.mark.parametrize(
    ("state", "closes_in_days", "words"),
    [
        (BatchState.REVIEWING, 10, "不接受申报"),
        (BatchState.DRAFT, 10, "不接受申报"),
        (BatchState.OPEN, -1, "截止征集"),
    ],
)
def test_create_needs_an_open_batch_before_its_close(db, setup, make_batch, state, closes_in_days, words):
    batch = make_batch(setup["catalogue"], state=state, closes_in_days=closes_in_days)
    with pytest.raises(DomainError, match=words):
        create_application(setup["user"], setup["product"], batch)


def test_create_for_another_companys_product_is_not_found(db, setup, make_user):
    from portal.core.errors import NotFound

    with pytest.raises(NotFound):
        create_application(make_user(Role.MANUFACTURER), setup["product"], setup["batch"])


# Submitting ----------------------------------------------------------------------------------------------------


def test_submit_freezes_a_round_and_is_logged(db, setup, monkeypatch):
    queued = []
    monkeypatch.setattr("portal.applications.services.queue", lambda kind, doc_id: queued.append((kind, doc_id)))
    application = create_application(setup["user"], setup["product"], setup["batch"])
    update_application(setup["user"], application, "创新性强。", application.version_id)
    submission = submit_application(setup["user"], application)
    db.session.commit()
    assert application.state is ApplicationState.SUBMITTED and application.round == 1
    assert submission.round == 1 and submission.submitted_by_id == setup["user"].id
    snap = submission.snapshot
    assert snap["registration_no"] == setup["product"].registration_no
    assert {a["kind"] for a in snap["attachments"]} == {"注册证", "创新性证明材料", "临床价值证明材料"}
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "application").order_by(AuditEvent.id)
    ).all()
    assert actions == ["application.created", "application.updated", "application.submit"]
    assert ("application", application.id) in queued


def test_every_eligibility_failure_is_named(
    db, make_user, make_company, make_catalogue, make_batch, make_product, add_pdf
):
    company = make_company(district="浦东新区")
    user = make_user(Role.MANUFACTURER, company=company)
    catalogue = make_catalogue(
        scope=Scope.DISTRICT,
        district="宝山区",
        first_approval_cutoff=date(2022, 1, 1),
        allowed_product_types=["device", "ivd"],
        allows_class_one=False,
    )
    drug = make_product(
        company,
        product_type=ProductType.DRUG,
        registration_no="国药准字H20210002",
        device_class=None,
        first_approved_on=date(2021, 3, 1),
        key_area="创新药",
    )
    add_pdf(drug, "注册证")
    application = create_application(user, drug, make_batch(catalogue))
    with pytest.raises(NotEligible) as refused:
        submit_application(user, application)
    failures = refused.value.failures
    expected = [
        "只接受宝山区的企业，贵公司所在区为浦东新区",
        "早于本目录要求的 2022-01-01",
        "本目录不接受药品类产品（接受：医疗器械、体外诊断试剂）",
        "缺少本目录要求的附件：创新性证明材料、临床价值证明材料",
        "请填写申报说明",
    ]
    for words in expected:
        assert any(words in f for f in failures), (words, failures)
    assert len(failures) == len(expected)
    assert "共 5 项" in refused.value.message


def test_class_one_filing_only_where_allowed(db, setup, make_catalogue, make_batch, complete_product):
    product = complete_product(setup["user"].company, registration_no="沪械备20190012号", device_class=DeviceClass.I)
    strict = create_application(setup["user"], product, make_batch(make_catalogue(allows_class_one=False)))
    strict.statement = "说明"
    with pytest.raises(NotEligible, match="不接受第一类医疗器械备案产品"):
        submit_application(setup["user"], strict)
    relaxed = create_application(setup["user"], product, make_batch(make_catalogue(allows_class_one=True)))
    relaxed.statement = "说明"
    submit_application(setup["user"], relaxed)
    assert relaxed.state is ApplicationState.SUBMITTED


def test_submit_after_the_call_closed_is_refused(db, setup):
    application = create_application(setup["user"], setup["product"], setup["batch"])
    application.statement = "说明"
    setup["batch"].closes_at = timeutil.utcnow() - timedelta(minutes=1)
    with pytest.raises(NotEligible, match="截止征集"):
        submit_application(setup["user"], application)


def test_submit_page_lists_each_failure_and_keeps_the_statement(client, db, setup, make_product):
    product = make_product(setup["user"].company)  # no attachments
    application = create_application(setup["user"], product, setup["batch"])
    db.session.commit()
    login(client, setup["user"].email)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "提交前还需处理" in page and "缺少本目录要求的附件" in page
    response = client.post(
        f"/applications/{application.id}",
        data={"statement": "我写的申报说明", "action": "submit", "version_id": application.version_id},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (
        "不能提交，共 1 项不符合要求" in html
        and "缺少本目录要求的附件：注册证、创新性证明材料、临床价值证明材料" in html
    )
    assert "我写的申报说明" in html
    db.session.refresh(application)
    assert application.state is ApplicationState.DRAFT and application.statement == ""


def test_save_draft_incomplete_then_stale_version(client, db, setup):
    application = create_application(setup["user"], setup["product"], setup["batch"])
    db.session.commit()
    login(client, setup["user"].email)
    old = application.version_id
    response = client.post(
        f"/applications/{application.id}", data={"statement": "", "action": "save", "version_id": old}
    )
    assert response.status_code == 302
    response = client.post(
        f"/applications/{application.id}", data={"statement": "第一版", "action": "save", "version_id": old}
    )
    assert response.status_code == 302
    response = client.post(
        f"/applications/{application.id}", data={"statement": "过期表单", "action": "save", "version_id": old}
    )
    assert "该记录已被他人修改" in response.get_data(as_text=True)
    db.session.refresh(application)
    assert application.statement == "第一版"
    with pytest.raises(StaleObject):
        update_application(setup["user"], application, "x", old)


# Returned and resubmitted ------------------------------------------------------------------------------------


def test_returned_application_shows_the_comment_and_resubmits_as_round_two(client, db, setup, monkeypatch):
    sent = []
    monkeypatch.setattr(
        "portal.applications.services.notify", lambda users, title, body="", link="": sent.append((users, title))
    )
    user, product = setup["user"], setup["product"]
    application = create_application(user, product, setup["batch"])
    application.statement = "第一轮说明"
    submit_application(user, application)
    db.session.commit()
    _return(application, setup["reviewer"], "注册证扫描件不清晰，请重新上传。")
    db.session.commit()

    login(client, user.email)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "审核意见（退回修改）" in page and "注册证扫描件不清晰，请重新上传。" in page
    assert "重新提交" in page

    old_name = product.name
    product.name = "改正后的名称"
    db.session.commit()
    response = client.post(
        f"/applications/{application.id}",
        data={"statement": "第二轮说明", "action": "submit", "version_id": application.version_id},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(application)
    assert application.state is ApplicationState.SUBMITTED and application.round == 2
    rounds = db.session.scalars(select(Submission).order_by(Submission.round)).all()
    assert [s.round for s in rounds] == [1, 2]
    assert rounds[0].snapshot["name"] == old_name and rounds[1].snapshot["name"] == "改正后的名称"
    assert rounds[0].return_comment == "注册证扫描件不清晰，请重新上传。"
    history = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "第 1 轮" in history and "第 2 轮" in history and "审核意见：注册证扫描件不清晰" in history


# Withdrawing -------------------------------------------------------------------------------------------------


def test_withdraw_needs_a_reason_and_happens_before_a_decision(client, db, setup):
    user = setup["user"]
    application = create_application(user, setup["product"], setup["batch"])
    application.statement = "说明"
    submit_application(user, application)
    db.session.commit()
    login(client, user.email)
    response = client.post(f"/applications/{application.id}/withdraw", data={"reason": " "})
    assert "请填写撤回原因" in response.get_data(as_text=True)
    response = client.post(
        f"/applications/{application.id}/withdraw",
        data={"reason": "产品改型，下批再报", "version_id": application.version_id},
    )
    assert response.status_code == 302
    db.session.refresh(application)
    assert application.state is ApplicationState.WITHDRAWN
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "application.withdraw"))
    assert event.comment == "产品改型，下批再报"


def test_no_withdrawal_after_a_decision(db, setup, make_application):
    decided = make_application(setup["batch"], setup["product"], state=ApplicationState.RECOMMENDED)
    with pytest.raises(IllegalTransition, match="不能执行「撤回」"):
        withdraw_application(setup["user"], decided, "想撤回")


# Isolation ---------------------------------------------------------------------------------------------------


def test_company_b_gets_404_for_everything_of_company_a(app, db, setup, make_user):
    application = create_application(setup["user"], setup["product"], setup["batch"])
    db.session.commit()
    product, attachment = setup["product"], setup["product"].attachments[0]
    intruder = make_user(Role.MANUFACTURER)
    client = app.test_client()
    login(client, intruder.email)
    gets = [
        f"/products/{product.id}",
        f"/products/{product.id}/edit",
        f"/applications/{application.id}",
        f"/attachments/{attachment.id}",
        "/applications/424242",
        "/products/424242",
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = [
        f"/products/{product.id}/edit",
        f"/products/{product.id}/attachments",
        f"/products/{product.id}/attachments/{attachment.id}/retire",
        f"/products/{product.id}/apply/{setup['batch'].id}",
        f"/applications/{application.id}",
        f"/applications/{application.id}/withdraw",
    ]
    for url in posts:
        assert client.post(url, data={"statement": "x", "action": "submit", "reason": "x"}).status_code == 404, url
    db.session.refresh(application)
    assert application.state is ApplicationState.DRAFT and attachment.retired_at is None
    assert (
        "/applications/"
        not in client.get("/applications").get_data(as_text=True).split("<main")[1].split("从产品发起申报")[1]
    )


def test_reviewers_see_only_their_catalogues_applications(app, db, setup, make_user, make_catalogue):
    application = create_application(setup["user"], setup["product"], setup["batch"])
    db.session.commit()
    client = app.test_client()
    login(client, setup["reviewer"].email)
    assert client.get(f"/applications/{application.id}").status_code == 404  # a draft is the company's own
    update_application(setup["user"], application, "创新性强。", application.version_id)
    submit_application(setup["user"], application)
    db.session.commit()
    page = client.get(f"/applications/{application.id}")
    assert page.status_code == 200 and "撤回申报" not in page.get_data(as_text=True)
    other = make_user(Role.REVIEWER, catalogues=[make_catalogue()])
    client = app.test_client()
    login(client, other.email)
    assert client.get(f"/applications/{application.id}").status_code == 404


# Notifications -----------------------------------------------------------------------------------------------


def test_notify_company_tells_only_that_companys_active_users(db, setup, make_user):
    colleague = make_user(Role.MANUFACTURER, company=setup["user"].company)
    make_user(Role.MANUFACTURER, company=setup["user"].company, active=False)
    outsider = make_user(Role.MANUFACTURER)
    application = create_application(setup["user"], setup["product"], setup["batch"])
    notify_company(application, "申报被退回修改", "请查看审核意见。")
    db.session.commit()
    recipients = set(db.session.scalars(select(Notification.user_id)))
    assert recipients == {setup["user"].id, colleague.id}
    assert outsider.id not in recipients
    assert db.session.scalar(select(Notification.link)) == f"/applications/{application.id}"


# Home board --------------------------------------------------------------------------------------------------


@pytest.fixture
def adoption_scene(db, setup, make_hospital, make_batch, make_product):
    """Two listed entries of the company; hospitals decided, undecided and overdue.

    The assessments are written as rows, not reached through publishing and the hospitals' decisions: the
    scene needs due dates that differ between hospitals of one entry, and an entry assessed by one hospital
    only, which one publication never gives (all hospitals in scope, one due date)."""
    company = setup["user"].company
    now = timeutil.utcnow()
    published = imported_batch(setup["catalogue"], "第五批", date(2026, 1, 1))
    hospitals = [make_hospital(name=f"测试医院{n}") for n in range(6)]
    entries = []
    for name in ("甲产品", "乙产品"):
        product = make_product(company, name=name)
        entry = Entry(
            catalogue_id=setup["catalogue"].id,
            batch=published,
            product=product,
            listed_on=date(2026, 1, 1),
            product_name=name,
            registration_no=product.registration_no,
            manufacturer=company.name,
            product_type="device",
        )
        db.session.add(entry)
        entries.append(entry)
    db.session.flush()
    decided = dict(decided_at=now, decided_by_id=setup["reviewer"].id, state=AssessmentState.DECIDED)
    plan = [
        dict(outcome=Outcome.ADMITTED, **decided),
        dict(outcome=Outcome.ADMITTED, **decided),
        dict(outcome=Outcome.DECLINED, reason="同类设备仍在使用年限内。", **decided),
        dict(outcome=Outcome.NOT_APPLICABLE, reason="本院无相应科室。", **decided),
        dict(state=AssessmentState.PENDING),
        dict(state=AssessmentState.IN_REVIEW, due_at=now - timedelta(days=1)),
    ]
    for hospital, fields in zip(hospitals, plan, strict=True):
        fields.setdefault("due_at", now + timedelta(days=10))
        db.session.add(Assessment(hospital=hospital, entry=entries[0], batch=published, **fields))
    db.session.add(Assessment(hospital=hospitals[0], entry=entries[1], batch=published, due_at=now + timedelta(days=3)))
    db.session.commit()
    return entries


def test_home_shows_adoption_per_listed_product_and_reasons(client, setup, adoption_scene):
    from portal.assessments.home import adoption_by_entry

    rows = {row["product_name"]: row for row in adoption_by_entry(setup["user"].company_id)}
    first = rows["甲产品"]
    assert (first["total"], first["admitted"], first["declined"], first["not_applicable"]) == (6, 2, 1, 1)
    assert (first["undecided"], first["overdue"]) == (1, 1)
    assert (rows["乙产品"]["total"], rows["乙产品"]["undecided"], rows["乙产品"]["admitted"]) == (1, 1, 0)
    login(client, setup["user"].email)
    home = client.get("/").get_data(as_text=True)
    assert "已入目录产品的医院配备情况" in home and "甲产品" in home
    assert "同类设备仍在使用年限内。" in home and "本院无相应科室。" in home


def test_home_board_query_count_does_not_grow_with_entries(app, db, setup, adoption_scene, make_product):
    from portal.applications.home import manufacturer_board

    def queries() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            db.session.expire_all()
            manufacturer_board(setup["user"])
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    before = queries()
    for n in range(5):
        product = make_product(setup["user"].company, name=f"新增{n}")
        db.session.add(
            Entry(
                catalogue_id=setup["catalogue"].id,
                batch=adoption_scene[0].batch,
                product=product,
                listed_on=date(2026, 1, 1),
                product_name=product.name,
                registration_no=product.registration_no,
                manufacturer="x",
                product_type="device",
            )
        )
    db.session.commit()
    assert queries() == before


def test_home_lists_applications_with_next_action_and_deadline(client, db, setup):
    application = create_application(setup["user"], setup["product"], setup["batch"])
    db.session.commit()
    login(client, setup["user"].email)
    home = client.get("/").get_data(as_text=True)
    assert f"/applications/{application.id}" in home
    assert "完善申报材料并提交" in home and "剩 " in home and "正在征集的批次" in home


def test_snapshot_rows_show_chinese_labels_not_codes():
    from portal.applications.services import snapshot_rows

    rows = dict(
        snapshot_rows(
            {
                "name": "X射线计算机体层摄影设备",
                "product_type": "device",
                "device_class": "III",
                "innovative_review": "none",
                "track": "famous",
                "departments": ["医学影像科", "急诊科"],
            }
        )
    )
    assert rows["产品类别"] == "医疗器械" and rows["管理类别"] == "第三类"
    assert rows["创新医疗器械特别审查"] == "否" and rows["申报类别"] == "名优产品"
    assert rows["适用科室"] == "医学影像科、急诊科" and rows["型号规格"] == "—"
