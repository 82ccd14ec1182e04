"""Adoption services (DESIGN §4): 配备 and 使用情况 of admitted products, the file import, `adoption report`,
monthly reminders, and hospitals told of new assessments."""

import json

import pytest

from portal.accounts.system import system_actor
from portal.adoption import services
from portal.adoption.importer import import_usage
from portal.adoption.models import UsageReminder, UsageReport
from portal.adoption.reminders import send_usage_reminders
from portal.core.errors import DomainError, IllegalTransition, NotFound
from portal.extensions import db as _db
from portal.notifications.models import Notification
from tests.factories_adoption import build_adoption, days_ago, month_before, this_month, write_xlsx
from tests.factories_assessments import assessments_of, make_hospital_user, publish


@pytest.fixture
def world(make_catalogue, make_hospital, make_user):
    return build_adoption(make_catalogue, make_hospital, make_user)


def test_usage_only_for_an_admitted_product_and_never_before_equipping_or_in_the_future(db, world):
    user, admitted = world["user_a"], world["admitted"]
    report = services.report_usage(user, admitted, this_month(), 12)
    db.session.commit()
    assert (report.month, report.uses) == (this_month(), 12)
    with pytest.raises(IllegalTransition, match="只有「同意配备」"):
        services.report_usage(user, world["declined"], this_month(), 3)
    with pytest.raises(IllegalTransition):
        services.record_equipped(user, world["open"][0], days_ago(1), "tender")
    with pytest.raises(DomainError, match="早于配备日期") as error:
        services.report_usage(user, admitted, f"{days_ago(120):%Y-%m}", 3)
    assert error.value.field == "month"
    future = f"{days_ago(-40):%Y-%m}"
    with pytest.raises(DomainError, match="未来月份"):
        services.report_usage(user, admitted, future, 3)
    for bad, field in (("-1", "uses"), ("abc", "uses"), (True, "uses")):
        with pytest.raises(DomainError) as error:
            services.report_usage(user, admitted, this_month(), bad)
        assert error.value.field == field
    with pytest.raises(DomainError) as error:
        services.report_usage(user, admitted, "2026-13", 1)
    assert error.value.field == "month"
    with pytest.raises(NotFound):  # another hospital's assessment does not exist for this user
        services.report_usage(world["user_b"], admitted, this_month(), 1)


def test_reporting_a_month_again_replaces_it(db, world):
    user, admitted = world["user_a"], world["admitted"]
    services.report_usage(user, admitted, this_month(), 12)
    services.report_usage(user, admitted, this_month(), 20)
    db.session.commit()
    rows = db.session.scalars(db.select(UsageReport).where(UsageReport.assessment_id == admitted.id)).all()
    assert [(r.month, r.uses) for r in rows] == [(this_month(), 20)]


def test_equipping_needs_a_past_date_and_cannot_move_after_a_reported_month(db, world):
    user, admitted = world["user_a"], world["admitted"]
    with pytest.raises(DomainError, match="不能晚于今天"):
        services.record_equipped(user, admitted, days_ago(-1), "tender")
    with pytest.raises(DomainError, match="早于目录发布日期"):
        services.record_equipped(user, admitted, days_ago(100), "tender")
    with pytest.raises(DomainError) as error:
        services.record_equipped(user, admitted, days_ago(5), "barter")
    assert error.value.field == "route"
    services.report_usage(user, admitted, f"{days_ago(60):%Y-%m}", 4)
    db.session.commit()
    with pytest.raises(DomainError, match="配备日期不能晚于该月"):  # 35 days later is always a later month
        services.record_equipped(user, admitted, days_ago(25), "tender")
    equipping = services.record_equipped(user, admitted, days_ago(65), "租赁/以租代购")
    assert equipping.route.value == "lease"


def test_bulk_report_saves_all_or_nothing(db, world, make_user):
    user = world["user_a"]
    a = assessments_of(world["a"])
    admitted = world["admitted"]
    with pytest.raises(DomainError, match=world["declined"].entry.product_name):
        services.bulk_report(user, this_month(), {admitted: "5", world["declined"]: "3"})
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(UsageReport.id))) == 0
    assert services.bulk_report(user, this_month(), {admitted: "5", a[2]: ""}) == 1
    with pytest.raises(DomainError, match="至少填写"):
        services.bulk_report(user, this_month(), {admitted: " "})


def _usage_file(tmp_path, world, rows, name="usage.xlsx"):
    header = ("医院名称", "注册证编号", "月份", "使用例数", "配备日期")
    return write_xlsx(tmp_path / name, header, rows)


def test_import_usage_all_or_nothing_with_row_and_column(db, world, tmp_path):
    admitted, declined = world["admitted"], world["declined"]
    hospital = world["a"].name
    good = (hospital, admitted.entry.registration_no, this_month(), 7, None)
    path = _usage_file(
        tmp_path,
        world,
        [
            good,
            (hospital, declined.entry.registration_no, this_month(), 3, None),
            (hospital, admitted.entry.registration_no, this_month(), -2, None),
            (hospital, admitted.entry.registration_no, f"{days_ago(-40):%Y-%m}", 2, None),
            ("不存在的医院", admitted.entry.registration_no, this_month(), 2, None),
        ],
    )
    with pytest.raises(DomainError) as error:
        import_usage(system_actor(), path)
    db.session.rollback()
    message = error.value.message
    assert "第 3 行「注册证编号」列" in message and "暂不配备" in message
    assert "第 4 行「使用例数」列" in message and "负数" in message
    assert "第 5 行「月份」列" in message and "未来月份" in message
    assert "第 6 行「医院名称」列" in message
    assert db.session.scalar(db.select(db.func.count(UsageReport.id))) == 0

    path = _usage_file(tmp_path, world, [good], "good.xlsx")
    assert import_usage(system_actor(), path).reports == 1
    db.session.commit()
    path = _usage_file(tmp_path, world, [good[:3] + (9, None)], "again.xlsx")
    import_usage(system_actor(), path)
    db.session.commit()
    rows = db.session.scalars(db.select(UsageReport)).all()
    assert [(r.month, r.uses) for r in rows] == [(this_month(), 9)]  # the same month again replaced it


def test_import_usage_records_equipping_from_the_file(db, world, tmp_path, make_user):
    from portal.assessments.services import decide

    other = assessments_of(world["a"])[2]
    decide(world["user_a"], other, "admitted")
    db.session.commit()
    row = (world["a"].name, other.entry.registration_no, this_month(), 3, days_ago(2).isoformat())
    result = import_usage(system_actor(), _usage_file(tmp_path, world, [row]))
    db.session.commit()
    assert (result.reports, result.equipped) == (1, 1)
    assert services.equipping_of(other).equipped_on == days_ago(2)
    assert services.equipping_of(other).recorded_by_id == system_actor().id  # the named system actor


def test_adoption_report_json_equals_the_data(app, db, world):
    user = world["user_a"]
    services.report_usage(user, world["admitted"], this_month(), 12)
    services.report_usage(user, world["admitted"], month_before(this_month()), 3)
    db.session.commit()
    runner = app.test_cli_runner()
    code = world["catalogue"].code
    result = runner.invoke(args=["adoption", "report", "--catalogue", code, "--batch", "第一批", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 4
    first = rows[0]
    assert first == {
        "entry_id": world["admitted"].entry_id,
        "registration_no": world["admitted"].entry.registration_no,
        "product_name": world["admitted"].entry.product_name,
        "hospitals": 2,
        "decided": 1,
        "admitted": 1,
        "declined": 0,
        "not_applicable": 0,
        "late": 1,  # decided after the due date
        "open": 1,
        "equipped": 1,
        "in_use": 1,
        "uses": 15,
    }
    assert rows[1]["declined"] == 1 and rows[1]["in_use"] == 0
    # District filter: hospital B's district only sees B.
    result = runner.invoke(args=["adoption", "report", "--catalogue", code, "--district", "黄浦区", "--json"])
    assert json.loads(result.output) == []
    result = runner.invoke(args=["adoption", "report", "--catalogue", "NOPE"])
    assert result.exit_code != 0 and "NOPE" in result.output
    result = runner.invoke(args=["adoption", "report", "--catalogue", code])
    assert "合计" in result.output


def test_monthly_reminder_for_missing_last_month_goes_out_once(app, db, world):
    last = month_before(this_month())
    sent = send_usage_reminders()
    db.session.commit()
    assert [(b.hospital.id, b.month, len(b.products)) for b in sent] == [(world["a"].id, last, 1)]
    assert db.session.scalar(db.select(db.func.count(UsageReminder.id))) == 1
    assert send_usage_reminders() == []  # each once
    notes = db.session.scalars(db.select(Notification).where(Notification.user_id == world["user_a"].id)).all()
    assert any(f"请填报 {last} 的使用情况" in n.title for n in notes)


def test_no_reminder_when_last_month_is_reported(db, world):
    services.report_usage(world["user_a"], world["admitted"], month_before(this_month()), 0)
    db.session.commit()
    assert send_usage_reminders() == []


def test_hospitals_are_told_of_new_assessments(db, make_catalogue, make_hospital, make_user):
    catalogue = make_catalogue()
    hospital = make_hospital()
    user = make_hospital_user(make_user, hospital)
    batch = publish(catalogue, entries=3, name="第九批")
    notes = db.session.scalars(_db.select(Notification).where(Notification.user_id == user.id)).all()
    assert len(notes) == 1 and "第九批" in notes[0].title and "3 项" in notes[0].title
    assert notes[0].link == f"/assessments?batch={batch.id}"
    from portal.assessments.creation import create_assessments

    assert create_assessments(batch, batch.published_on) == 0  # nothing new: nobody is told again
    db.session.commit()
    assert db.session.scalar(_db.select(_db.func.count(Notification.id)).where(Notification.user_id == user.id)) == 1


def _strip(rows):
    return sorted(rows, key=lambda r: r["hospital_id"])


def test_rollups_stay_equal_to_the_data(app, db, world, make_user):
    from portal.accounts.models import Role
    from portal.adoption import figures
    from portal.adoption.models import HospitalRollup
    from portal.assessments.services import close_for_entry, decide
    from portal.catalogue.models import Entry

    scope = figures.Scope(catalogue_id=world["catalogue"].id)
    services.report_usage(world["user_a"], world["admitted"], this_month(), 12)
    decide(world["user_b"], world["b_items"][0], "not_applicable", "无相应科室")
    db.session.commit()
    close_for_entry(make_user(Role.ADMIN), db.session.get(Entry, world["open"][1].entry_id))  # a delisting
    db.session.commit()
    live = figures._live_hospital_counts(scope, None)
    assert _strip(figures.hospital_counts(scope)) == _strip(live)
    assert sum(r["uses"] for r in live) == 12 and sum(r["not_applicable"] for r in live) == 1
    trend = {r["month"]: r for r in figures.trends(scope, [this_month()])}
    assert trend[this_month()]["uses"] == 12
    # `adoption rollup` rebuilds it from scratch.
    db.session.execute(db.delete(HospitalRollup))
    db.session.commit()
    assert figures.hospital_counts(scope) == []
    result = app.test_cli_runner().invoke(args=["adoption", "rollup"])
    assert result.exit_code == 0, result.output
    assert _strip(figures.hospital_counts(scope)) == _strip(live)
