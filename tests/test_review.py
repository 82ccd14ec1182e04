"""Reviewer workflow: batches, formal check, expert review, decisions, concurrency, delisting, audit pages."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.applications import services as application_services
from portal.applications.models import Application
from portal.assessments import services as assessments
from portal.assessments.models import Assessment
from portal.audit.models import AuditEvent
from portal.catalogue import services as catalogue_services
from portal.catalogue.models import Batch, Entry
from portal.core import outbox, timeutil
from portal.core.errors import DomainError, PermissionDenied, StaleObject
from portal.notifications.models import Notification
from portal.review import services
from portal.review.models import ExpertReview
from portal.workflow import ApplicationState, AssessmentState, BatchState, EntryStatus
from tests.conftest import login
from tests.factories_assessments import make_hospital_user


@pytest.fixture
def catalogue(make_catalogue):
    return make_catalogue(notice_days=7)


@pytest.fixture
def queued(monkeypatch):
    """Index changes the review queued (the search area may apply and delete the outbox rows after a request)."""
    calls = []
    original = outbox.queue

    def recording(doc_type, doc_id):
        calls.append((doc_type, doc_id))
        original(doc_type, doc_id)

    for module in (application_services, catalogue_services):  # the areas that queue what the review changes
        monkeypatch.setattr(module, "queue", recording)
    return calls


@pytest.fixture
def reviewer(login_as, catalogue):
    return login_as(Role.REVIEWER, catalogues=[catalogue])


# Batches -------------------------------------------------------------------------------------------------


def test_reviewer_creates_batch_with_shanghai_window(client, db, reviewer, catalogue):
    response = client.post(
        "/review/batches/new",
        data={
            "catalogue_id": catalogue.id,
            "name": "第七批",
            "opens_at": "2026-12-01T09:00",
            "closes_at": "2026-12-31T17:00",
        },
    )
    assert response.status_code == 302
    batch = db.session.scalar(select(Batch).where(Batch.name == "第七批"))
    assert batch.state is BatchState.DRAFT
    # 09:00 in Shanghai is 01:00 UTC
    assert batch.opens_at.isoformat() == "2026-12-01T01:00:00+00:00"
    assert batch.closes_at.isoformat() == "2026-12-31T09:00:00+00:00"
    page = client.get(f"/review/batches/{batch.id}").get_data(as_text=True)
    assert "2026-12-01 09:00" in page and "开始征集" in page


def test_batch_form_keeps_input_and_names_the_field(client, db, reviewer, catalogue):
    response = client.post(
        "/review/batches/new",
        data={
            "catalogue_id": catalogue.id,
            "name": "第八批",
            "opens_at": "2026-12-31T09:00",
            "closes_at": "2026-12-01T09:00",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "征集截止时间必须晚于开始时间" in page and 'value="第八批"' in page
    assert db.session.scalar(select(func.count(Batch.id))) == 0


def test_reviewer_cannot_create_batch_in_another_catalogue(client, db, reviewer, make_catalogue):
    other = make_catalogue()
    response = client.post(
        "/review/batches/new",
        data={
            "catalogue_id": other.id,
            "name": "第九批",
            "opens_at": "2026-12-01T09:00",
            "closes_at": "2026-12-31T09:00",
        },
    )
    assert response.status_code == 200 and "请选择您负责的目录" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Batch.id))) == 0


def _advance(client, batch, action):
    return client.post(f"/review/batches/{batch.id}/advance", data={"action": action, "version_id": batch.version_id})


def test_batch_lifecycle_open_close_notice(client, db, reviewer, catalogue, make_batch, make_application):
    now = timeutil.utcnow()
    batch = make_batch(
        catalogue, state=BatchState.DRAFT, opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=20)
    )
    assert _advance(client, batch, "open").status_code == 302
    assert batch.state is BatchState.OPEN and batch.opens_at <= timeutil.utcnow()
    undecided = make_application(batch)
    assert _advance(client, batch, "close").status_code == 302
    assert batch.state is BatchState.REVIEWING and batch.closes_at <= timeutil.utcnow()

    response = _advance(client, batch, "start_notice")
    assert response.status_code == 400
    assert "1 份申报尚未作出决定" in response.get_data(as_text=True)
    assert batch.state is BatchState.REVIEWING

    services.pass_formal_check(reviewer, undecided, version=undecided.version_id)
    services.add_expert_review(
        reviewer,
        undecided,
        version=undecided.version_id,
        expert_name="张专家",
        recused=False,
        score=4,
        recommendation="recommend",
    )
    services.recommend_application(reviewer, undecided, version=undecided.version_id)
    db.session.commit()
    assert _advance(client, batch, "start_notice").status_code == 302
    assert batch.state is BatchState.PUBLIC_NOTICE
    start_day = timeutil.today_shanghai(batch.notice_starts_at)
    assert batch.notice_ends_at == timeutil.end_of_day_shanghai(start_day + timedelta(days=7))
    page = client.get(f"/review/batches/{batch.id}").get_data(as_text=True)
    assert f"公示期至 {start_day + timedelta(days=7):%Y-%m-%d} 结束" in page
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "batch", AuditEvent.object_id == batch.id)
    ).all()
    assert actions == ["batch.created", "batch.open", "batch.close", "batch.start_notice"]


def test_batch_page_shows_counts_and_blockers(
    client, db, reviewer, catalogue, make_batch, make_application, advance_batch
):
    batch = make_batch(catalogue)
    for _ in range(3):
        make_application(batch)
    make_application(batch, state=ApplicationState.RECOMMENDED)
    advance_batch(batch, BatchState.REVIEWING)
    page = client.get(f"/review/batches/{batch.id}").get_data(as_text=True)
    assert "3 份申报尚未作出决定" in page
    assert "disabled" in page  # the button is off while something blocks


def test_illegal_batch_step_is_refused(client, db, reviewer, catalogue, make_batch):
    batch = make_batch(catalogue, state=BatchState.REVIEWING)
    response = _advance(client, batch, "open")
    assert response.status_code == 409
    assert "不能执行「开始征集」" in response.get_data(as_text=True)


def test_other_catalogue_batch_is_not_found(client, db, reviewer, make_batch):
    batch = make_batch()  # another catalogue
    assert client.get(f"/review/batches/{batch.id}").status_code == 404
    assert _advance(client, batch, "close").status_code == 404


def test_admin_sees_but_cannot_act(client, db, login_as, make_batch):
    batch = make_batch(state=BatchState.OPEN)
    login_as(Role.ADMIN)
    page = client.get(f"/review/batches/{batch.id}")
    assert page.status_code == 200 and "管理员可查看批次" in page.get_data(as_text=True)
    assert _advance(client, batch, "close").status_code == 403
    assert batch.state is BatchState.OPEN


def test_window_edit_checks_version(client, db, reviewer, catalogue, make_batch):
    batch = make_batch(catalogue, state=BatchState.DRAFT, closes_at=timeutil.utcnow() + timedelta(days=5))
    stale = batch.version_id
    ok = client.post(
        f"/review/batches/{batch.id}/window",
        data={"version_id": stale, "opens_at": "2026-12-01T09:00", "closes_at": "2027-01-31T17:00"},
    )
    assert ok.status_code == 302
    again = client.post(
        f"/review/batches/{batch.id}/window",
        data={"version_id": stale, "opens_at": "2026-12-02T09:00", "closes_at": "2027-02-28T17:00"},
    )
    assert again.status_code == 409 and "已被他人修改" in again.get_data(as_text=True)
    assert timeutil.to_shanghai(batch.closes_at).strftime("%Y-%m-%d") == "2027-01-31"


# Decisions -----------------------------------------------------------------------------------------------


def test_formal_check_expert_review_and_recommendation(
    client, db, reviewer, catalogue, make_batch, make_application, advance_batch, queued
):
    batch = make_batch(catalogue)
    application = make_application(batch)
    advance_batch(batch, BatchState.REVIEWING)
    queued.clear()  # what the review queues, not the application's making
    page = client.get(f"/review/applications/{application.id}").get_data(as_text=True)
    assert application.product.name in page and "国家药监局" in page  # parsed registration number

    assert (
        client.post(
            f"/review/applications/{application.id}/formal-check", data={"pass-version_id": application.version_id}
        ).status_code
        == 302
    )
    assert application.state is ApplicationState.FORMAL_CHECK_PASSED

    # Recommending needs a counted expert opinion; a recused one counts for nothing.
    url = f"/review/applications/{application.id}/expert-reviews"
    response = client.post(
        url, data={"exp-version_id": application.version_id, "exp-expert_name": "李专家", "exp-recused": "y"}
    )
    assert response.status_code == 302
    refused = client.post(
        f"/review/applications/{application.id}/recommend", data={"rec-version_id": application.version_id}
    )
    assert refused.status_code == 400 and "至少录入一位非回避专家" in refused.get_data(as_text=True)

    for name, score, rec in (("张专家", "5", "recommend"), ("王专家", "3", "not_recommend")):
        data = {
            "exp-version_id": application.version_id,
            "exp-expert_name": name,
            "exp-score": score,
            "exp-recommendation": rec,
            "exp-comment": "意见",
        }
        assert client.post(url, data=data).status_code == 302
    recused = db.session.scalar(select(ExpertReview).where(ExpertReview.expert_name == "李专家"))
    assert recused.recused and recused.score is None and recused.recommendation is None
    summary = services.review_summary(application)
    assert (summary.counted, summary.recused, summary.average, summary.recommend) == (2, 1, 4.0, 1)
    page = client.get(f"/review/applications/{application.id}").get_data(as_text=True)
    assert "平均分 <strong>4.0</strong>" in page and "回避 1 人" in page

    assert (
        client.post(
            f"/review/applications/{application.id}/recommend", data={"rec-version_id": application.version_id}
        ).status_code
        == 302
    )
    assert application.state is ApplicationState.RECOMMENDED and application.decided_at is not None
    assert queued == [("application", application.id)] * 2
    titles = db.session.scalars(select(Notification.title)).all()
    assert any("拟推荐" in t for t in titles) or not application.company.users  # company has no user here


def test_expert_review_needs_score_unless_recused(client, db, reviewer, catalogue, make_batch, make_application):
    application = make_application(make_batch(catalogue), state=ApplicationState.FORMAL_CHECK_PASSED)
    response = client.post(
        f"/review/applications/{application.id}/expert-reviews",
        data={"exp-version_id": application.version_id, "exp-expert_name": "赵专家", "exp-score": "7"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "评分应为 1 到 5 分" in page and 'value="赵专家"' in page
    assert db.session.scalar(select(func.count(ExpertReview.id))) == 0


def test_return_requires_comment_and_stores_it_on_the_submission(
    client, db, reviewer, catalogue, make_batch, make_application, make_user
):
    application = make_application(make_batch(catalogue))
    company_user = make_user(Role.MANUFACTURER, company=application.company)
    url = f"/review/applications/{application.id}/return"
    empty = client.post(url, data={"ret-version_id": application.version_id, "ret-comment": "  "})
    assert empty.status_code == 400 and "退回修改必须填写修改意见" in empty.get_data(as_text=True)
    assert application.state is ApplicationState.SUBMITTED
    ok = client.post(url, data={"ret-version_id": application.version_id, "ret-comment": "请补充临床价值证明材料。"})
    assert ok.status_code == 302
    assert application.state is ApplicationState.RETURNED
    assert application.submissions[-1].return_comment == "请补充临床价值证明材料。"
    note = db.session.scalar(select(Notification).where(Notification.user_id == company_user.id))
    assert note is not None and "退回" in note.title


def test_reject_requires_reason(client, db, reviewer, catalogue, make_batch, make_application):
    application = make_application(make_batch(catalogue))
    url = f"/review/applications/{application.id}/reject"
    assert client.post(url, data={"rej-version_id": application.version_id}).status_code == 400
    assert (
        client.post(url, data={"rej-version_id": application.version_id, "rej-reason": "不属于创新产品。"}).status_code
        == 302
    )
    assert application.state is ApplicationState.REJECTED
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "application.reject"))
    assert event.comment == "不属于创新产品。" and event.actor_id == reviewer.id


def test_second_reviewer_acting_on_stale_page_gets_reload_message(
    app, db, catalogue, make_batch, make_application, reviewer_for
):
    """Two reviewers load the page; the first passes the formal check, the second returns it: refused."""
    application = make_application(make_batch(catalogue))
    first, second = reviewer_for(catalogue), reviewer_for(catalogue)
    clients = []
    for user in (first, second):
        c = app.test_client()
        assert login(c, user.email).status_code == 302
        assert c.get(f"/review/applications/{application.id}").status_code == 200
        clients.append(c)
    loaded_version = application.version_id
    ok = clients[0].post(
        f"/review/applications/{application.id}/formal-check", data={"pass-version_id": loaded_version}
    )
    assert ok.status_code == 302
    late = clients[1].post(
        f"/review/applications/{application.id}/return",
        data={"ret-version_id": loaded_version, "ret-comment": "请补充材料。"},
    )
    assert late.status_code == 303  # PRG: a refresh does not resend the stale action
    page = clients[1].get(late.headers["Location"]).get_data(as_text=True)
    assert "该记录已被他人修改，请刷新页面后重试" in page
    assert "形式审查通过" in page  # the page shows what the first reviewer did
    db.session.expire_all()
    assert application.state is ApplicationState.FORMAL_CHECK_PASSED
    assert application.submissions[-1].return_comment is None


def test_stale_version_raises_in_service(db, catalogue, make_batch, make_application, reviewer_for):
    application = make_application(make_batch(catalogue))
    reviewer = reviewer_for(catalogue)
    with pytest.raises(StaleObject):
        services.pass_formal_check(reviewer, application, version=application.version_id + 1)


def test_concurrent_flush_is_caught_as_stale(app, db, catalogue, make_batch, make_application, reviewer_for):
    """The version column also protects a change made between the check and the write."""
    from sqlalchemy.orm.exc import StaleDataError

    application = make_application(make_batch(catalogue))
    reviewer = reviewer_for(catalogue)
    version = application.version_id
    db.session.execute(
        Application.__table__.update().where(Application.id == application.id).values(version_id=version + 1)
    )
    with pytest.raises(StaleDataError):
        services.pass_formal_check(reviewer, application, version=version)
    db.session.rollback()


def test_reviewer_of_other_catalogue_gets_404_and_service_refuses(
    client, db, reviewer, make_batch, make_application, make_catalogue, reviewer_for
):
    application = make_application(make_batch())
    assert client.get(f"/review/applications/{application.id}").status_code == 404
    assert (
        client.post(
            f"/review/applications/{application.id}/formal-check", data={"pass-version_id": application.version_id}
        ).status_code
        == 404
    )
    with pytest.raises(PermissionDenied):
        services.pass_formal_check(reviewer, application, version=application.version_id)


def test_drafts_are_invisible_to_reviewers(client, db, reviewer, catalogue, make_batch, make_application):
    application = make_application(make_batch(catalogue, state=BatchState.OPEN), state=ApplicationState.DRAFT)
    assert client.get(f"/review/applications/{application.id}").status_code == 404
    assert application.product.name not in client.get("/review/applications").get_data(as_text=True)


def test_decisions_are_frozen_once_notice_starts(
    db, catalogue, make_batch, make_application, advance_batch, reviewer_for
):
    # A notice starts only when every application is decided, so the one to change is a recommended one; the
    # batch's state is checked before the workflow's, hence "不能更改" rather than "不能执行".
    batch = make_batch(catalogue)
    application = make_application(batch, state=ApplicationState.RECOMMENDED)
    advance_batch(batch, BatchState.PUBLIC_NOTICE)
    with pytest.raises(DomainError, match="不能更改"):
        services.reject_application(reviewer_for(catalogue), application, version=application.version_id, reason="x")


# Queue ---------------------------------------------------------------------------------------------------


def test_queue_filters_and_text_search(
    client, db, reviewer, catalogue, make_batch, make_application, make_product, make_company
):
    batch = make_batch(catalogue)
    acme = make_company(name="上海甲乙医疗科技有限公司")
    knee = make_application(
        batch, make_product(company=acme, name="全膝关节置换手术导航定位系统", key_area="高端手术系统")
    )
    mri = make_application(batch, make_product(name="超导磁共振成像系统"), state=ApplicationState.FORMAL_CHECK_PASSED)

    def names(**params):
        page = client.get("/review/applications", query_string=params).get_data(as_text=True)
        return {a.product.name for a in (knee, mri) if a.product.name in page}

    assert names() == {knee.product.name, mri.product.name}
    assert names(state="formal_check_passed") == {mri.product.name}
    assert names(key_area="高端手术系统") == {knee.product.name}
    assert names(company_id=acme.id) == {knee.product.name}
    assert names(q="关节") == {knee.product.name}
    assert names(q="甲乙医疗") == {knee.product.name}
    assert names(q=mri.product.registration_no[:10]) >= {mri.product.name}
    today = timeutil.today_shanghai()
    assert names(submitted_from=str(today + timedelta(days=1))) == set()
    assert names(submitted_from=str(today - timedelta(days=5)), submitted_to=str(today)) == {
        knee.product.name,
        mri.product.name,
    }


def test_queue_falls_back_to_sql_when_search_is_unavailable(
    client, db, reviewer, catalogue, make_batch, make_application, make_product, monkeypatch
):
    import portal.review.services as review_services

    monkeypatch.setattr(review_services, "_matching_ids", lambda *a: None)
    batch = make_batch(catalogue)
    make_application(batch, make_product(name="腔镜手术机器人"))
    assert "腔镜手术机器人" in client.get("/review/applications?q=手术机器").get_data(as_text=True)


def test_queue_paginates(client, db, reviewer, catalogue, make_batch, make_application, app):
    app.config["PORTAL_PAGE_SIZE"] = 2
    batch = make_batch(catalogue)
    for _ in range(3):
        make_application(batch)
    page = client.get("/review/applications").get_data(as_text=True)
    assert "第 1 / 2 页" in page


# Delisting -----------------------------------------------------------------------------------------------


@pytest.fixture
def listed_entry(db, catalogue, make_batch, make_application, make_hospital, advance_batch):
    """A recommended application, published three days ago to three public hospitals."""
    batch = make_batch(catalogue)
    application = make_application(batch, state=ApplicationState.RECOMMENDED)
    for _ in range(3):
        make_hospital()
    advance_batch(batch, BatchState.PUBLISHED, published_days_ago=3)
    return db.session.scalar(select(Entry).where(Entry.application_id == application.id))


def test_delisting_closes_open_assessments_and_keeps_history(client, db, reviewer, listed_entry, queued, make_user):
    decided, in_review, pending = db.session.scalars(
        select(Assessment).where(Assessment.entry_id == listed_entry.id).order_by(Assessment.id)
    ).all()
    assessments.decide(make_hospital_user(make_user, decided.hospital), decided, "admitted")
    assessments.start_assessment(make_hospital_user(make_user, in_review.hospital), in_review)
    db.session.commit()

    url = f"/review/entries/{listed_entry.id}/delist"
    refused = client.post(url, data={"reason": "", "delisted_on": str(timeutil.today_shanghai())})
    assert refused.status_code == 200 and "请填写调出原因" in refused.get_data(as_text=True)
    future = client.post(
        url, data={"reason": "注册证注销", "delisted_on": str(timeutil.today_shanghai() + timedelta(days=2))}
    )
    assert "调出日期不能晚于今天" in future.get_data(as_text=True)

    ok = client.post(url, data={"reason": "注册证已注销", "delisted_on": str(timeutil.today_shanghai())})
    assert ok.status_code == 302
    assert listed_entry.status is EntryStatus.DELISTED and listed_entry.delist_reason == "注册证已注销"
    db.session.refresh(decided), db.session.refresh(in_review), db.session.refresh(pending)
    assert decided.state is AssessmentState.DECIDED
    assert in_review.state is AssessmentState.CLOSED and pending.state is AssessmentState.CLOSED
    closes = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "assessment.close"))
    assert closes == 2
    assert queued == [("entry", listed_entry.id)]
    entry_page = client.get(f"/entries/{listed_entry.id}").get_data(as_text=True)
    assert "调出目录" in entry_page and "注册证已注销" in entry_page
    updates = client.get(f"/catalogues/{listed_entry.catalogue.code}/updates").get_data(as_text=True)
    assert "调出" in updates and "注册证已注销" in updates


def test_delisting_twice_is_refused(db, listed_entry, reviewer_for):
    reviewer = reviewer_for(listed_entry.catalogue)
    catalogue_services.delist_entry(reviewer, listed_entry, reason="原因", delisted_on=timeutil.today_shanghai())
    with pytest.raises(DomainError, match="已于"):
        catalogue_services.delist_entry(reviewer, listed_entry, reason="原因", delisted_on=timeutil.today_shanghai())


# Audit trail pages -------------------------------------------------------------------------------------------


def test_audit_pages_show_who_when_and_comment(client, db, reviewer, catalogue, make_batch, make_application):
    batch = make_batch(catalogue)
    application = make_application(batch)
    client.post(
        f"/review/applications/{application.id}/reject",
        data={"rej-version_id": application.version_id, "rej-reason": "资料不全且逾期未补。"},
    )
    page = client.get(f"/review/applications/{application.id}/history").get_data(as_text=True)
    assert "资料不全且逾期未补。" in page and "已提交 → 未通过" in page and "不予通过" in page
    assert reviewer.email in page and "submitted" not in page and "application.reject" not in page
    batch_page = client.get(f"/review/batches/{batch.id}/history")
    assert batch_page.status_code == 200 and "操作记录" in batch_page.get_data(as_text=True)


# Home board ----------------------------------------------------------------------------------------------


def test_reviewer_home_lists_batches_with_blockers(
    client, db, reviewer, catalogue, make_batch, make_application, advance_batch
):
    batch = make_batch(catalogue)
    make_application(batch)
    advance_batch(batch, BatchState.REVIEWING)
    page = client.get("/").get_data(as_text=True)
    assert batch.name in page and "1 份申报尚未作出决定" in page and "审核队列" in page
