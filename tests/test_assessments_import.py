"""`flask assessments import` (DESIGN §6): decisions made on paper, late after the due date, all or nothing,
and a second import changes nothing."""

import pytest

from portal.accounts.system import system_actor
from portal.assessments.importer import import_decisions
from portal.assessments.models import Outcome
from portal.audit.models import AuditEvent
from portal.core.errors import DomainError
from portal.workflow import AssessmentState
from tests.factories_adoption import days_ago, write_xlsx
from tests.factories_assessments import assessments_of, build_two_hospitals, publish

HEADER = ("医院名称", "注册证编号", "结论", "理由", "决定日期")


@pytest.fixture
def world(make_catalogue, make_hospital, make_user):
    world = build_two_hospitals(make_catalogue, make_hospital, make_user)
    world["old"] = publish(world["catalogue"], entries=2, days_ago=50, name="旧批次")
    return world


def test_import_decides_open_assessments_and_marks_late(app, db, world, tmp_path):
    recent = assessments_of(world["a"], world["batch"])  # published 5 days ago: on time
    old = assessments_of(world["b"], world["old"])  # due 20 days ago: late
    rows = [
        (world["a"].name, recent[0].entry.registration_no, "同意配备", "", days_ago(1).isoformat()),
        (world["b"].name, old[0].entry.registration_no, "暂不配备", "预算不足", f"{days_ago(2):%Y/%m/%d}"),
        (world["b"].name, old[1].entry.registration_no, "不适用", "无相应科室", f"{days_ago(15):%Y年%m月%d日}"),
    ]
    path = write_xlsx(tmp_path / "decisions.xlsx", HEADER, rows)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["assessments", "import", path])
    assert result.exit_code == 0, result.output
    assert "已导入 3 项决定（其中逾期 2 项）" in result.output
    db.session.expire_all()
    assert recent[0].state is AssessmentState.DECIDED and recent[0].outcome is Outcome.ADMITTED
    assert not recent[0].is_late
    assert old[0].is_late and old[0].reason == "预算不足" and old[1].outcome is Outcome.NOT_APPLICABLE
    assert recent[0].decided_by_id == system_actor().id  # the named system actor, never None
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "assessment.imported"))
    # A second import changes nothing.
    result = runner.invoke(args=["assessments", "import", path])
    assert result.exit_code == 0 and "已导入 0 项决定" in result.output and "3 项已是该决定" in result.output


def test_any_bad_row_imports_nothing_and_names_row_and_column(db, world, tmp_path):
    a = assessments_of(world["a"], world["batch"])
    rows = [
        (world["a"].name, a[0].entry.registration_no, "同意配备", "", days_ago(1).isoformat()),
        (world["a"].name, a[1].entry.registration_no, "暂不配备", "", days_ago(1).isoformat()),
        (world["a"].name, a[2].entry.registration_no, "同意", "", days_ago(1).isoformat()),
        (world["a"].name, a[3].entry.registration_no, "同意配备", "", days_ago(-3).isoformat()),
        (world["a"].name, "国械注准20990000000", "同意配备", "", days_ago(1).isoformat()),
        ("无此医院", a[0].entry.registration_no, "同意配备", "", "2026-02-30"),
    ]
    with pytest.raises(DomainError) as error:
        import_decisions(system_actor(), write_xlsx(tmp_path / "bad.xlsx", HEADER, rows))
    db.session.rollback()
    message = error.value.message
    assert "第 3 行「理由」列" in message
    assert "第 4 行「结论」列" in message
    assert "第 5 行「决定日期」列" in message and "晚于今天" in message
    assert "第 6 行「注册证编号」列" in message
    assert "第 7 行「决定日期」列" in message or "第 7 行「医院名称」列" in message
    db.session.expire_all()
    assert all(x.state is AssessmentState.PENDING for x in assessments_of(world["a"]))


def test_a_different_decision_on_a_decided_assessment_is_an_error(db, world, tmp_path):
    from portal.assessments.services import decide

    a = assessments_of(world["a"], world["batch"])[0]
    decide(world["user_a"], a, "admitted")
    db.session.commit()
    row = (world["a"].name, a.entry.registration_no, "暂不配备", "x", days_ago(1).isoformat())
    with pytest.raises(DomainError, match="第 2 行「结论」列：该评估任务当前为「同意配备」"):
        import_decisions(system_actor(), write_xlsx(tmp_path / "x.xlsx", HEADER, [row]))
