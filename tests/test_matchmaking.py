"""医企对接: needs, matching, responses, meetings with ICS and reminders, outcomes and assessments, isolation."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.assessments.models import Assessment
from portal.audit.models import AuditEvent
from portal.core import timeutil
from portal.core.errors import DomainError, IllegalTransition, NotFound, PermissionDenied, StaleObject
from portal.extensions import db
from portal.matchmaking import meetings, needs
from portal.matchmaking.calendar import meeting_ics
from portal.matchmaking.models import MatchOutcome, Need
from portal.matchmaking.states import MatchState, MeetingState, NeedState
from portal.notifications.models import Notification
from portal.workflow import AssessmentState
from tests.conftest import login
from tests.factories import make_pdf_upload
from tests.factories_matchmaking import confirm_meeting, hold, tomorrow_at


def _titles(user) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.title).where(Notification.user_id == user.id)))


# Needs ------------------------------------------------------------------------------------------------------


def test_a_need_names_what_is_wrong(match_world, make_need):
    user = match_world["user_a"]
    with pytest.raises(DomainError) as exc:
        make_need(user, department="心内科")  # not in the controlled list
    assert exc.value.field == "department"
    with pytest.raises(DomainError) as exc:
        make_need(user, valid_until=timeutil.today_shanghai() - timedelta(days=1))
    assert exc.value.field == "valid_until" and "不能早于今天" in exc.value.message
    with pytest.raises(PermissionDenied):
        make_need(match_world["user_x"])


def test_hospital_edits_extends_and_closes_its_need(match_world, make_need):
    user = match_world["user_a"]
    need = make_need(user)
    with pytest.raises(StaleObject):
        needs.edit_need(user, need, version=need.version_id + 1, **_values(need, title="新名称"))
    needs.edit_need(user, need, version=need.version_id, **_values(need, title="新名称"))
    needs.extend_need(user, need, need.valid_until + timedelta(days=10))
    needs.close_need(user, need, comment="已找到合适产品")
    db.session.commit()
    assert need.title == "新名称" and need.state is NeedState.CLOSED
    with pytest.raises(NotFound):
        needs.close_need(match_world["user_b"], need)
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "need")).all()
    assert actions == ["need.publish", "need.edit", "need.extend", "need.close"]


def _values(need, **kw) -> dict:
    names = ("department", "title", "description", "key_area", "valid_until", "district")
    return {**{n: getattr(need, n) for n in names}, **kw}


def test_needs_past_their_date_close_themselves(app, match_world, make_need):
    need = make_need(match_world["user_a"])
    need.valid_until = timeutil.today_shanghai() - timedelta(days=1)
    db.session.commit()
    # Hidden from companies at once, before the cron run.
    assert needs.needs_for_company(match_world["user_x"]) == []
    assert needs.shown_state(need) == "已过期"
    result = app.test_cli_runner().invoke(args=["matchmaking", "expire"])
    assert "已关闭 1 条" in result.output
    assert db.session.get(Need, need.id).state is NeedState.EXPIRED
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "need.expire"))
    assert audit.subject == "system:matchmaking-cron"
    assert "已关闭 0 条" in app.test_cli_runner().invoke(args=["matchmaking", "expire"]).output
    # Extending reopens it.
    needs.extend_need(match_world["user_a"], need, timeutil.today_shanghai() + timedelta(days=5))
    assert need.state is NeedState.OPEN


# Companies: matching and responding ------------------------------------------------------------------------


def test_open_needs_fit_the_companys_products_best_first(match_world, make_need):
    rehab = make_need(
        match_world["user_a"],
        department="康复医学科",
        title="上肢康复训练",
        description="需要上肢康复训练设备。",
        key_area="高端康复治疗",
    )
    cardio = make_need(match_world["user_a"])
    unrelated = make_need(
        match_world["user_a"], department="眼科", title="眼底照相", description="门诊需要眼底照相机。", key_area=None
    )
    ranked = needs.needs_for_company(match_world["user_x"])
    assert [r.need.id for r in ranked] == [cardio.id, rehab.id, unrelated.id]
    best = ranked[0].fits
    assert best[0].product.name == "血管造影X射线机" and best[0].listed  # the listed product first
    assert [f.product.name for f in best] == ["血管造影X射线机", "心脏磁共振成像系统"]
    assert ranked[1].best.product.name == "上肢康复训练机器人" and not ranked[1].best.listed
    assert ranked[2].fits == []


def test_text_matches_through_the_search_analysis(match_world, make_need):
    need = make_need(
        match_world["user_a"], department="急诊科", key_area=None, title="康复训练设备", description="用于术后康复。"
    )
    fits = needs.needs_for_company(match_world["user_x"])[0]
    assert fits.need.id == need.id and fits.best.product.name == "上肢康复训练机器人"


def test_companies_whose_products_fit_are_told_of_a_new_need(match_world, make_need):
    make_need(
        match_world["user_a"], department="康复医学科", title="上肢康复", description="需要康复设备。", key_area=None
    )
    assert _titles(match_world["user_x"]) == ["有与您产品相符的新临床需求"]
    assert _titles(match_world["user_y"]) == []
    make_need(match_world["user_b"], district="宝山区")  # cardiology, for 宝山区 companies only
    assert _titles(match_world["user_y"]) == ["有与您产品相符的新临床需求"]
    assert len(_titles(match_world["user_x"])) == 1


def test_a_district_need_is_seen_only_by_that_districts_companies(match_world, make_need):
    need = make_need(match_world["user_b"], district="宝山区")
    assert [r.need.id for r in needs.needs_for_company(match_world["user_y"])] == [need.id]
    assert needs.needs_for_company(match_world["user_x"]) == []
    with pytest.raises(NotFound):
        needs.get_need_for_company(match_world["user_x"], need.id)


def test_a_response_is_checked_and_told_to_the_hospital(match_world, make_need, make_response):
    need = make_need(match_world["user_a"])
    with pytest.raises(DomainError) as exc:
        make_response(match_world["user_x"], need, match_world["y_product"])  # another company's product
    assert exc.value.field == "product_id"
    db.session.rollback()
    with pytest.raises(DomainError) as exc:
        make_response(match_world["user_x"], need, match_world["listed"], upload=make_pdf_upload(b"not a pdf"))
    assert exc.value.field == "file" and "不是 PDF" in exc.value.message
    db.session.rollback()
    match = make_response(match_world["user_x"], need, match_world["listed"], upload=make_pdf_upload())
    assert match.attachment.kind == "对接材料" and match.attachment.product_id is None
    with pytest.raises(DomainError, match="已响应过"):
        make_response(match_world["user_x"], need, match_world["listed"])
    assert any("新的企业响应" in t for t in _titles(match_world["user_a"]))


# Meetings and outcomes --------------------------------------------------------------------------------------


def test_meeting_is_proposed_countered_and_accepted(match_world, make_need, make_response):
    hospital, company = match_world["user_a"], match_world["user_x"]
    match = make_response(company, make_need(hospital), match_world["listed"])
    with pytest.raises(IllegalTransition, match="入围"):
        meetings.propose_meeting(hospital, match, starts_at=tomorrow_at(10), place="会议室")
    meetings.shortlist(hospital, match)
    with pytest.raises(DomainError) as exc:
        meetings.propose_meeting(hospital, match, starts_at=tomorrow_at(10, days=-2), place="会议室")
    assert exc.value.field == "starts_at"
    with pytest.raises(DomainError) as exc:
        meetings.propose_meeting(hospital, match, starts_at=tomorrow_at(10))
    assert exc.value.field == "place"
    meeting = meetings.propose_meeting(hospital, match, starts_at=tomorrow_at(10), place="门诊楼会议室")
    with pytest.raises(PermissionDenied):
        meetings.accept_meeting(hospital, match)  # one's own proposal
    meetings.propose_meeting(company, match, starts_at=tomorrow_at(15, days=2), online_link="https://meet.example.cn/1")
    assert meeting.state is MeetingState.COUNTERED and meeting.sequence == 1
    meetings.accept_meeting(hospital, match)
    db.session.commit()
    assert meeting.state is MeetingState.CONFIRMED
    assert timeutil.to_shanghai(meeting.starts_at).hour == 15  # entered as Shanghai time, stored in UTC
    assert any("已确认" in t for t in _titles(company)) and any("已确认" in t for t in _titles(hospital))


def test_ics_invitation(match_world, make_need, make_response):
    match = make_response(match_world["user_x"], make_need(match_world["user_a"]), match_world["listed"])
    meeting = confirm_meeting(match_world["user_a"], match_world["user_x"], match, tomorrow_at(9, days=3))
    text = meeting_ics(match, "https://portal.example.cn")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    start = timeutil.to_shanghai(meeting.starts_at).astimezone(timeutil.SHANGHAI)
    utc = (start - timedelta(hours=8)).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{utc}" in text and "SEQUENCE:0" in text and "STATUS:CONFIRMED" in text
    assert f"UID:match-meeting-{meeting.id}@xinyou-portal" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_day_before_reminder_goes_out_once(app, match_world, make_need, make_response):
    match = make_response(match_world["user_x"], make_need(match_world["user_a"]), match_world["listed"])
    meeting = confirm_meeting(match_world["user_a"], match_world["user_x"], match, tomorrow_at(10, days=1))
    runner = app.test_cli_runner()
    assert "共发送 1 场" in runner.invoke(args=["matchmaking", "remind"]).output
    assert "共发送 0 场" in runner.invoke(args=["matchmaking", "remind"]).output
    assert sum("明天的医企面对面" in t for t in _titles(match_world["user_x"])) == 1
    # A new time means a new reminder.
    meetings.propose_meeting(match_world["user_a"], match, starts_at=tomorrow_at(16, days=1), place="会议室")
    meetings.accept_meeting(match_world["user_x"], match)
    db.session.commit()
    assert meeting.reminded_at is None
    assert "共发送 1 场" in runner.invoke(args=["matchmaking", "remind"]).output


def test_admission_outcome_links_and_starts_the_assessment(match_world, make_need, make_response):
    hospital, company = match_world["user_a"], match_world["user_x"]
    match = make_response(company, make_need(hospital), match_world["listed"])
    with pytest.raises(IllegalTransition, match="会面（已确认的时间）之后"):
        meetings.record_outcome(hospital, match, "assessment", "进入评估")
    meeting = confirm_meeting(hospital, company, match)
    with pytest.raises(IllegalTransition, match="会面（已确认的时间）之后"):
        meetings.record_outcome(hospital, match, "assessment", "进入评估")  # not held yet
    hold(meeting)
    with pytest.raises(DomainError) as exc:
        meetings.record_outcome(hospital, match, "assessment", "")
    assert exc.value.field == "note"
    meetings.record_outcome(hospital, match, "assessment", "科室提交配备申请")
    db.session.commit()
    assessment = db.session.get(Assessment, match.assessment_id)
    assert assessment.hospital_id == match_world["a"].id and assessment.entry.product_id == match_world["listed"].id
    assert assessment.state is AssessmentState.IN_REVIEW
    assert match.state is MatchState.CONCLUDED and match.outcome is MatchOutcome.ASSESSMENT
    with pytest.raises(IllegalTransition):
        meetings.record_outcome(hospital, match, "trial", "再试用")


def test_admission_of_an_unlisted_product_says_there_is_no_assessment(client, match_world, make_need, make_response):
    hospital, company = match_world["user_a"], match_world["user_x"]
    match = make_response(company, make_need(hospital), match_world["unlisted"])
    hold(confirm_meeting(hospital, company, match))
    meetings.record_outcome(hospital, match, "assessment", "待列入目录后评估")
    db.session.commit()
    assert match.assessment_id is None
    login(client, company.email)
    html = client.get(f"/match/responses/{match.id}").get_data(as_text=True)
    assert "暂无入院评估任务" in html


def test_declining_needs_no_meeting(match_world, make_need, make_response):
    match = make_response(match_world["user_x"], make_need(match_world["user_a"]), match_world["other"])
    meetings.record_outcome(match_world["user_a"], match, "declined", "与需求不符")
    assert match.outcome is MatchOutcome.DECLINED


# Isolation --------------------------------------------------------------------------------------------------


def test_each_side_sees_only_its_own(client, match_world, make_need, make_response):
    need = make_need(match_world["user_a"])
    mine = make_response(match_world["user_x"], need, match_world["listed"], upload=make_pdf_upload())
    theirs = make_response(match_world["user_y"], need, match_world["y_product"])
    login(client, match_world["user_y"].email)
    assert client.get(f"/match/responses/{mine.id}").status_code == 404
    assert client.get(f"/match/responses/{mine.id}/file").status_code == 404
    assert client.get(f"/match/responses/{theirs.id}").status_code == 200
    page = client.get(f"/match/needs/{need.id}").get_data(as_text=True)
    assert "血管造影X射线机" not in page and "动态心电监测仪" in page
    assert "血管造影X射线机" not in client.get("/match/responses").get_data(as_text=True)
    client.post("/logout")
    login(client, match_world["user_b"].email)
    assert client.get(f"/match/needs/{need.id}").status_code == 404
    assert client.get(f"/match/responses/{mine.id}").status_code == 404
    assert client.post(f"/match/responses/{mine.id}/shortlist").status_code == 404
    client.post("/logout")
    login(client, match_world["user_a"].email)
    assert client.get(f"/match/responses/{mine.id}/file").status_code == 200
    page = client.get(f"/match/needs/{need.id}").get_data(as_text=True)
    assert "血管造影X射线机" in page and "动态心电监测仪" in page


def test_pages_show_each_step(client, match_world, make_need):
    hospital = match_world["user_a"]
    login(client, hospital.email)
    until = (timeutil.today_shanghai() + timedelta(days=20)).isoformat()
    response = client.post(
        "/match/needs/new", data={"department": "", "title": "x", "description": "y", "valid_until": until}
    )
    assert response.status_code == 400 and "请从科室列表中选择科室" in response.get_data(as_text=True)
    form = {"department": "心血管内科", "title": "动态心电监测", "description": "需要", "valid_until": until}
    response = client.post("/match/needs/new", data=form)
    assert response.status_code == 302
    need = db.session.scalar(sa.select(Need))
    client.post("/logout")
    login(client, match_world["user_x"].email)
    assert "动态心电监测" in client.get("/match/open-needs").get_data(as_text=True)
    response = client.post(
        f"/match/needs/{need.id}/respond", data={"product_id": str(match_world["listed"].id), "note": "可满足"}
    )
    assert response.status_code == 302 and "/match/responses/" in response.headers["Location"]


def test_a_response_racing_another_is_refused_not_a_server_error(match_world, make_need, monkeypatch):
    """Another request commits the same response between the duplicate check and the insert."""
    from portal.matchmaking import common
    from portal.matchmaking.models import Match

    need = make_need(match_world["user_a"])
    user, product = match_world["user_x"], match_world["listed"]
    real_text = common.text

    def text_then_race(value, *args, **kwargs):
        with db.engine.begin() as other:
            other.execute(
                sa.insert(Match.__table__).values(
                    need_id=need.id,
                    hospital_id=need.hospital_id,
                    company_id=user.company_id,
                    product_id=product.id,
                    note="并发",
                    state="responded",
                    outcome_note="",
                    created_by_id=user.id,
                    created_at=timeutil.utcnow(),
                    version_id=1,
                )
            )
        monkeypatch.setattr(common, "text", real_text)
        return real_text(value, *args, **kwargs)

    monkeypatch.setattr(common, "text", text_then_race)
    with pytest.raises(DomainError, match="已响应过") as exc:
        needs.respond(user, need, product_id=str(product.id), note="可满足")
    assert exc.value.field == "product_id"
