"""Hospital assessments: services, pages, compliance, exports, reminders, calendar feed and isolation."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from portal.accounts.models import Role
from portal.assessments import compliance, reminders, services
from portal.assessments.calendar import fold
from portal.assessments.models import Assessment, AssessmentEvent, EventKind, Outcome, Reminder, ReminderKind
from portal.assessments.permissions import can_assess, can_view_compliance
from portal.audit.models import AuditEvent
from portal.core import timeutil
from portal.core.errors import DomainError, IllegalTransition, NotFound, StaleObject
from portal.notifications.models import Notification, OutboxMail
from portal.workflow import ASSESSMENT, AssessmentState, transition
from tests.conftest import login
from tests.factories_assessments import assessments_of, build_two_hospitals, make_hospital_user, publish


@pytest.fixture
def two_hospitals(make_catalogue, make_hospital, make_user):
    return build_two_hospitals(make_catalogue, make_hospital, make_user)


# Services ---------------------------------------------------------------------------------------------------


def test_queue_is_created_for_public_hospitals_in_scope(db, make_catalogue, make_hospital):
    from portal.catalogue.models import Scope

    city = make_catalogue()
    district = make_catalogue(scope=Scope.DISTRICT, district="宝山区")
    xuhui = make_hospital(district="徐汇区")
    baoshan = make_hospital(district="宝山区")
    private = make_hospital(district="宝山区", is_public=False)
    publish(city, entries=3)
    publish(district, entries=2)
    assert len(assessments_of(xuhui)) == 3
    assert len(assessments_of(baoshan)) == 5
    assert assessments_of(private) == []


def test_decide_requires_reason_for_declined_and_not_applicable(db, two_hospitals):
    user, a = two_hospitals["user_a"], assessments_of(two_hospitals["a"])[0]
    for outcome in (Outcome.DECLINED, Outcome.NOT_APPLICABLE):
        with pytest.raises(DomainError) as exc:
            services.decide(user, a, outcome, "  ")
        assert exc.value.field == "reason" and outcome.label in exc.value.message
    with pytest.raises(DomainError) as exc:
        services.decide(user, a, "maybe", "")
    assert exc.value.field == "outcome"
    services.decide(user, a, Outcome.ADMITTED)
    db.session.commit()
    assert a.state is AssessmentState.DECIDED and a.outcome is Outcome.ADMITTED
    assert a.decided_by_id == user.id and a.decided_at is not None and a.is_late is False


def test_decision_after_due_is_accepted_and_late(db, two_hospitals):
    user, a = two_hospitals["user_a"], assessments_of(two_hospitals["a"])[0]
    services.decide(user, a, Outcome.DECLINED, "预算不足", now=a.due_at + timedelta(seconds=1))
    db.session.commit()
    assert a.state is AssessmentState.DECIDED and a.is_late is True
    b = assessments_of(two_hospitals["a"])[1]
    services.decide(user, b, Outcome.ADMITTED, now=a.due_at)  # exactly at the deadline is on time
    assert b.is_late is False


def test_changing_a_decision_keeps_history(db, two_hospitals):
    user, a = two_hospitals["user_a"], assessments_of(two_hospitals["a"])[0]
    services.decide(user, a, Outcome.ADMITTED)
    db.session.commit()
    services.decide(user, a, Outcome.DECLINED, "院内已有同类设备")
    db.session.commit()
    services.decide(user, a, Outcome.DECLINED, "院内已有同类设备")  # the same again changes nothing
    db.session.commit()
    decisions = db.session.scalars(
        db.select(AssessmentEvent).where(
            AssessmentEvent.assessment_id == a.id, AssessmentEvent.kind == EventKind.DECISION
        )
    ).all()
    assert [e.outcome for e in decisions] == [Outcome.ADMITTED, Outcome.DECLINED]
    audit = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.object_type == "assessment", AuditEvent.action == "assessment.decide")
    ).all()
    assert len(audit) == 2 and audit[1].data["previous_outcome"] == "admitted"
    assert a.outcome is Outcome.DECLINED and a.reason == "院内已有同类设备"


def test_closed_assessment_cannot_be_decided(db, two_hospitals, make_user):
    user, a = two_hospitals["user_a"], assessments_of(two_hospitals["a"])[0]
    admin = make_user(Role.ADMIN)
    assert services.close_for_entry(admin, a.entry) == 2  # both hospitals' open ones
    db.session.commit()
    assert a.state is AssessmentState.CLOSED
    with pytest.raises(IllegalTransition):
        services.decide(user, a, Outcome.ADMITTED)
    with pytest.raises(IllegalTransition):
        services.add_event(user, a, EventKind.NOTE, timeutil.today_shanghai(), "备注")


def test_stale_version_is_refused(db, two_hospitals):
    user, a = two_hospitals["user_a"], assessments_of(two_hospitals["a"])[0]
    loaded = a.version_id
    services.decide(user, a, Outcome.ADMITTED, version=loaded)
    db.session.commit()
    with pytest.raises(StaleObject):
        services.decide(user, a, Outcome.DECLINED, "理由", version=loaded)


def test_events_start_the_assessment_and_check_dates(db, two_hospitals):
    user, a = two_hospitals["user_a"], assessments_of(two_hospitals["a"])[0]
    today = timeutil.today_shanghai()
    with pytest.raises(DomainError) as exc:
        services.add_event(user, a, EventKind.DEPARTMENT_REQUEST, today + timedelta(days=1), "")
    assert exc.value.field == "occurred_on"
    with pytest.raises(DomainError) as exc:
        services.add_event(user, a, EventKind.NOTE, today, "")
    assert exc.value.field == "note"
    services.add_event(user, a, EventKind.NOTE, today, "先看看")
    assert a.state is AssessmentState.PENDING  # a note alone does not start it
    services.add_event(user, a, EventKind.COMMITTEE_REVIEW, today, "同意提交", committee="医学装备委员会")
    db.session.commit()
    assert a.state is AssessmentState.IN_REVIEW
    assert a.events[-1].note == "医学装备委员会审议：同意提交"
    with pytest.raises(DomainError) as exc:
        services.add_event(user, a, EventKind.COMMITTEE_REVIEW, today, "", committee="院长办公会")
    assert exc.value.field == "committee"


def test_bulk_not_applicable_is_all_or_nothing(db, two_hospitals):
    user = two_hospitals["user_a"]
    mine = assessments_of(two_hospitals["a"])
    theirs = assessments_of(two_hospitals["b"])
    with pytest.raises(DomainError) as exc:
        services.bulk_not_applicable(user, mine[:2], "")
    assert exc.value.field == "reason"
    with pytest.raises(NotFound):
        services.bulk_not_applicable(user, [mine[0], theirs[0]], "无相关科室")
    db.session.rollback()
    assert all(a.state is AssessmentState.PENDING for a in assessments_of(two_hospitals["a"]))
    assert services.bulk_not_applicable(user, mine[:3], "无相关科室") == 3
    db.session.commit()
    states = [a.state for a in assessments_of(two_hospitals["a"])]
    assert states.count(AssessmentState.DECIDED) == 3
    assert all(a.reason == "无相关科室" for a in assessments_of(two_hospitals["a"])[:3])


def test_permissions(db, two_hospitals, make_user, make_catalogue):
    a = assessments_of(two_hospitals["a"])[0]
    assert can_assess(two_hospitals["user_a"], a) and not can_assess(two_hospitals["user_b"], a)
    assert not can_assess(make_user(Role.ADMIN), a)
    batch = two_hospitals["batch"]
    assert can_view_compliance(make_user(Role.REVIEWER, catalogues=[two_hospitals["catalogue"]]), batch)
    assert not can_view_compliance(make_user(Role.REVIEWER, catalogues=[make_catalogue()]), batch)
    assert can_view_compliance(make_user(Role.ADMIN), batch)
    assert not can_view_compliance(two_hospitals["user_a"], batch)


# Pages ------------------------------------------------------------------------------------------------------


def _login(client, user):
    assert login(client, user.email).status_code == 302


def test_home_shows_updates_with_days_left_and_progress(db, client, two_hospitals, make_catalogue):
    overdue = publish(two_hospitals["catalogue"], entries=2, days_ago=40, name="第一批")
    _login(client, two_hospitals["user_a"])
    html = client.get("/").get_data(as_text=True)
    assert "第一批" in html and "已逾期 10 天" in html
    assert html.index("第一批") < html.index(two_hospitals["batch"].name)  # overdue first
    assert '<progress class="update-progress" value="0" max="4"' in html
    services.decide(two_hospitals["user_a"], assessments_of(two_hospitals["a"], overdue)[0], Outcome.ADMITTED)
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert '<progress class="update-progress" value="1" max="2"' in html


def test_queue_search_filters_sort_and_pagination(app, db, client, two_hospitals):
    old = publish(two_hospitals["catalogue"], entries=3, days_ago=40, name="第一批")
    _login(client, two_hospitals["user_a"])
    html = client.get("/assessments").get_data(as_text=True)
    names = re.findall(r'/assessments/\d+">([^<]+)</a>', html)
    assert len(names) == 7
    overdue_names = {a.entry.product_name for a in assessments_of(two_hospitals["a"], old)}
    assert set(names[:3]) == overdue_names  # overdue first

    target = assessments_of(two_hospitals["a"])[0].entry
    html = client.get("/assessments", query_string={"q": target.product_name}).get_data(as_text=True)
    assert re.findall(r'/assessments/\d+">([^<]+)</a>', html) == [target.product_name]
    html = client.get("/assessments", query_string={"q": target.registration_no}).get_data(as_text=True)
    assert re.findall(r'/assessments/\d+">([^<]+)</a>', html) == [target.product_name]

    html = client.get("/assessments", query_string={"department": "关节外科"}).get_data(as_text=True)
    found = re.findall(r'/assessments/\d+">([^<]+)</a>', html)
    assert found and all("全膝关节" in n for n in found)
    html = client.get("/assessments", query_string={"key_area": "高端医学影像"}).get_data(as_text=True)
    assert all("磁共振" in n for n in re.findall(r'/assessments/\d+">([^<]+)</a>', html))
    html = client.get("/assessments", query_string={"state": "overdue"}).get_data(as_text=True)
    assert set(re.findall(r'/assessments/\d+">([^<]+)</a>', html)) == overdue_names
    html = client.get("/assessments", query_string={"batch": two_hospitals["batch"].id}).get_data(as_text=True)
    assert len(re.findall(r'/assessments/\d+">', html)) == 4

    app.config["PORTAL_PAGE_SIZE"] = 3
    html = client.get("/assessments", query_string={"page": 3}).get_data(as_text=True)
    assert "第 3 / 3 页" in html and len(re.findall(r'/assessments/\d+">', html)) == 1


def test_assessment_page_event_and_decision(db, client, two_hospitals):
    a = assessments_of(two_hospitals["a"])[0]
    _login(client, two_hospitals["user_a"])
    html = client.get(f"/assessments/{a.id}").get_data(as_text=True)
    assert a.entry.product_name in html and a.entry.registration_no in html and "评估结论" in html
    today = timeutil.today_shanghai().isoformat()
    response = client.post(
        f"/assessments/{a.id}/events",
        data={"kind": "committee_review", "occurred_on": today, "committee": "医学装备委员会", "note": "通过"},
    )
    assert response.status_code == 302
    db.session.refresh(a)
    assert a.state is AssessmentState.IN_REVIEW
    # A decline without a reason is refused and shows what was typed.
    response = client.post(
        f"/assessments/{a.id}/decision", data={"outcome": "declined", "reason": "", "version": a.version_id}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "必须填写理由" in html
    assert 'value="declined" checked' in html or 'value="declined"' in html
    response = client.post(
        f"/assessments/{a.id}/decision", data={"outcome": "declined", "reason": "暂无预算", "version": a.version_id}
    )
    assert response.status_code == 302
    db.session.refresh(a)
    assert a.outcome is Outcome.DECLINED and a.reason == "暂无预算"
    html = client.get(f"/assessments/{a.id}").get_data(as_text=True)
    assert "医学装备委员会审议：通过" in html and "暂无预算" in html


def test_decision_form_with_stale_version_is_refused(db, client, two_hospitals):
    a = assessments_of(two_hospitals["a"])[0]
    stale = a.version_id
    services.decide(two_hospitals["user_a"], a, Outcome.ADMITTED)
    db.session.commit()
    _login(client, two_hospitals["user_a"])
    response = client.post(
        f"/assessments/{a.id}/decision", data={"outcome": "declined", "reason": "改主意", "version": stale}
    )
    assert response.status_code == 400 and "已被他人修改" in response.get_data(as_text=True)
    assert "改主意" in response.get_data(as_text=True)
    db.session.refresh(a)
    assert a.outcome is Outcome.ADMITTED


def test_bulk_page(db, client, two_hospitals):
    mine = assessments_of(two_hospitals["a"])
    _login(client, two_hospitals["user_a"])
    response = client.post("/assessments/bulk", data={"ids": [mine[0].id, mine[1].id], "reason": ""})
    assert response.status_code == 400 and "必须填写理由" in response.get_data(as_text=True)
    assert "checked" in response.get_data(as_text=True)
    response = client.post("/assessments/bulk", data={"ids": [mine[0].id, mine[1].id], "reason": "未开设科室"})
    assert response.status_code == 302
    assert [a.outcome for a in assessments_of(two_hospitals["a"])[:2]] == [Outcome.NOT_APPLICABLE] * 2
    theirs = assessments_of(two_hospitals["b"])[0]
    assert client.post("/assessments/bulk", data={"ids": [theirs.id], "reason": "x"}).status_code == 404
    assert assessments_of(two_hospitals["b"])[0].state is AssessmentState.PENDING


def test_isolation_pages_and_exports(db, client, two_hospitals):
    theirs = assessments_of(two_hospitals["b"])[0]
    _login(client, two_hospitals["user_a"])
    assert client.get(f"/assessments/{theirs.id}").status_code == 404
    assert client.post(f"/assessments/{theirs.id}/decision", data={"outcome": "admitted"}).status_code == 404
    assert (
        client.post(
            f"/assessments/{theirs.id}/events",
            data={"kind": "note", "occurred_on": timeutil.today_shanghai().isoformat(), "note": "x"},
        ).status_code
        == 404
    )
    assert assessments_of(two_hospitals["b"])[0].state is AssessmentState.PENDING
    services.decide(two_hospitals["user_b"], theirs, Outcome.DECLINED, "乙医院的秘密理由")
    db.session.commit()
    body = client.get("/assessments/export.csv").data.decode("utf-8-sig")
    assert "乙医院的秘密理由" not in body and len(list(csv.reader(io.StringIO(body)))) == 5
    batch = two_hospitals["batch"]
    assert client.get(f"/compliance/batches/{batch.id}").status_code == 403
    assert client.get(f"/compliance/batches/{batch.id}/export.csv").status_code == 403


def test_compliance_pages_and_exports(db, client, two_hospitals, make_user, make_catalogue):
    batch = two_hospitals["batch"]
    mine = assessments_of(two_hospitals["a"])
    services.decide(two_hospitals["user_a"], mine[0], Outcome.ADMITTED)
    services.decide(two_hospitals["user_a"], mine[1], Outcome.DECLINED, "无预算", now=mine[1].due_at + timedelta(1))
    old = publish(two_hospitals["catalogue"], entries=2, days_ago=40, name="第一批")
    reviewer = make_user(Role.REVIEWER, catalogues=[two_hospitals["catalogue"]])
    _login(client, reviewer)
    html = client.get("/compliance").get_data(as_text=True)
    assert batch.name in html and "第一批" in html
    html = client.get(f"/compliance/batches/{batch.id}").get_data(as_text=True)
    assert "甲医院" in html and "乙医院" in html and "50.0%" in html  # 1 on time of 2 decided, 2 not yet due
    html = client.get(f"/compliance/batches/{old.id}").get_data(as_text=True)
    assert "逾期清单（4 项" in html
    html = client.get(f"/compliance/batches/{batch.id}/hospitals/{two_hospitals['a'].id}").get_data(as_text=True)
    assert "无预算" in html and "逾期完成" in html

    response = client.get(f"/compliance/batches/{batch.id}/export.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("医院", "区", "级别", "任务总数")
    first = {r[0]: r for r in rows[1:]}["甲医院"]
    assert first[3:9] == (4, 2, 1, 1, 2, 0)
    response = client.get(f"/compliance/batches/{old.id}/export.csv")
    assert response.data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert table[0][0] == "医院" and len(table) == 3
    overdue = client.get(f"/compliance/batches/{old.id}/export.csv?part=overdue").data.decode("utf-8-sig")
    assert overdue.splitlines()[0].startswith("医院,区,产品名称") and len(overdue.splitlines()) == 5

    client.post("/logout")
    _login(client, make_user(Role.REVIEWER, catalogues=[make_catalogue()]))
    assert client.get(f"/compliance/batches/{batch.id}").status_code == 404
    assert client.get(f"/compliance/batches/{batch.id}/export.xlsx").status_code == 404


# Command line -----------------------------------------------------------------------------------------------


def test_status_command(app, db, two_hospitals):
    mine = assessments_of(two_hospitals["a"])
    services.decide(two_hospitals["user_a"], mine[0], Outcome.ADMITTED)
    services.decide(two_hospitals["user_a"], mine[1], Outcome.ADMITTED, now=mine[1].due_at + timedelta(1))
    db.session.commit()
    runner = app.test_cli_runner()
    code = two_hospitals["catalogue"].code
    result = runner.invoke(args=["assessments", "status", "--catalogue", code, "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["hospital"]: r for r in json.loads(result.output)}
    assert set(rows) == {"甲医院", "乙医院"}
    assert rows["甲医院"] == {
        "hospital": "甲医院",
        "district": "徐汇区",
        "total": 4,
        "decided": 2,
        "on_time": 1,
        "late": 1,
        "open": 2,
        "due_at": timeutil.to_shanghai(mine[0].due_at).isoformat(timespec="seconds"),
    }
    result = runner.invoke(args=["assessments", "status", "--batch", two_hospitals["batch"].name])
    assert result.exit_code == 0 and "甲医院" in result.output and "合计：2 家医疗机构" in result.output
    result = runner.invoke(args=["assessments", "status", "--catalogue", "NOPE"])
    assert result.exit_code != 0 and "NOPE" in result.output


def test_remind_sends_each_reminder_once_grouped_per_hospital(app, db, two_hospitals, make_user):
    catalogue = two_hospitals["catalogue"]
    publish(catalogue, entries=2, days_ago=25, name="五天后到期")  # due in 5 days → due_in_7
    publish(catalogue, entries=3, days_ago=28, name="两天后到期")  # due in 2 days → due_in_3
    publish(catalogue, entries=1, days_ago=31, name="已逾期")  # overdue
    second_user_a = make_hospital_user(make_user, two_hospitals["a"])
    app.config["PORTAL_MAIL_SERVER"] = "127.0.0.1:9"  # nothing listens: mail stays queued for retry
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["assessments", "remind", "--dry-run"])
    assert dry.exit_code == 0 and "将发送 6 条提醒" in dry.output
    assert db.session.scalar(db.select(db.func.count(Reminder.id))) == 0

    result = runner.invoke(args=["assessments", "remind"])
    assert result.exit_code == 0, result.output
    assert "已发送 6 条提醒，涉及 12 项" in result.output
    kinds = db.session.execute(db.select(Reminder.kind, db.func.count(Reminder.id)).group_by(Reminder.kind)).all()
    assert dict(kinds) == {ReminderKind.DUE_IN_7: 4, ReminderKind.DUE_IN_3: 6, ReminderKind.OVERDUE: 2}
    notes = db.session.scalars(db.select(Notification).where(Notification.user_id == second_user_a.id)).all()
    assert len(notes) == 3  # one per kind for the hospital, listing its items
    overdue_note = next(n for n in notes if "逾期" in n.title)
    assert "已逾期" in overdue_note.body and "1 项" in overdue_note.title
    assert db.session.scalar(db.select(db.func.count(OutboxMail.id))) == 9  # 3 users × 3 kinds

    again = runner.invoke(args=["assessments", "remind"])
    assert "已发送 0 条提醒" in again.output
    reminders = ~Notification.title.startswith("新的入院评估任务")  # publishing told them of the queue too
    assert db.session.scalar(db.select(db.func.count(Notification.id)).where(reminders)) == 9


def test_reminder_claim_is_atomic(db, two_hospitals):
    """A reminder already claimed (say, by an overlapping cron run) is never sent again."""
    catalogue = two_hospitals["catalogue"]
    batch = publish(catalogue, entries=1, days_ago=31, name="已逾期")
    a = assessments_of(two_hospitals["a"], batch)[0]
    db.session.add(Reminder(assessment_id=a.id, kind=ReminderKind.OVERDUE))
    db.session.commit()
    sent = reminders.send_reminders()
    db.session.commit()
    assert [(b.hospital.name, len(b.items)) for b in sent] == [("乙医院", 1)]


def test_decided_assessments_get_no_reminders(db, two_hospitals):
    batch = publish(two_hospitals["catalogue"], entries=1, days_ago=31, name="已逾期")
    for hospital, user in (("a", "user_a"), ("b", "user_b")):
        a = assessments_of(two_hospitals[hospital], batch)[0]
        services.decide(two_hospitals[user], a, Outcome.ADMITTED)
    db.session.commit()
    assert reminders.send_reminders() == []


# Calendar feed ----------------------------------------------------------------------------------------------


def test_fold_at_75_octets_without_splitting_characters():
    line = "SUMMARY:" + "入院评估截止日期" * 10
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line


def test_calendar_feed(db, client, two_hospitals):
    other = publish(two_hospitals["catalogue"], entries=1, days_ago=1, name="只给乙医院看的批次")
    for a in assessments_of(two_hospitals["a"], other):  # remove A's assessments of that batch
        db.session.delete(a)
    db.session.commit()
    _login(client, two_hospitals["user_a"])
    html = client.post("/assessments/calendar").get_data(as_text=True)
    url = re.search(r'value="(http[^"]+\.ics)"', html).group(1)
    path = url.split("localhost", 1)[1]
    assert two_hospitals["a"].calendar_token_hash not in url  # only the hash is stored
    client.post("/logout")
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = response.get_data(as_text=True)
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    unfolded = body.replace("\r\n ", "")
    due = timeutil.to_shanghai(assessments_of(two_hospitals["a"])[0].due_at).date()
    assert f"DTSTART;VALUE=DATE:{due:%Y%m%d}" in unfolded
    assert unfolded.count("BEGIN:VEVENT") == 1 and "UID:assessment-due-" in unfolded and "DTSTAMP:" in unfolded
    assert "SUMMARY:入院评估截止" in unfolded and "只给乙医院看的批次" not in unfolded
    assert client.get("/calendar/wrong-token.ics").status_code == 404
    # A new token ends the old URL.
    _login(client, two_hospitals["user_a"])
    client.post("/assessments/calendar")
    assert client.get(path).status_code == 404


def test_closing_keeps_only_required_in_progress(db, two_hospitals, make_user):
    admin = make_user(Role.ADMIN)
    a = assessments_of(two_hospitals["a"])[0]
    transition(ASSESSMENT, a, "close", admin, comment="调出")
    db.session.commit()
    progress = compliance.hospital_updates(two_hospitals["a"].id)[0][1]
    assert progress.total == 4 and progress.required == 3 and progress.closed == 1


def test_assessment_count_unchanged_when_creation_runs_twice(db, two_hospitals):
    from portal.assessments.creation import create_assessments

    before = db.session.scalar(db.select(db.func.count(Assessment.id)))
    assert create_assessments(two_hospitals["batch"], two_hospitals["batch"].published_on) == 0
    assert db.session.scalar(db.select(db.func.count(Assessment.id))) == before
