"""The kept district rows and the copies of the hospitals' names and districts stay equal to a fresh grouping
of the assessments through everything that changes them, and the hospital table read in index order shows
what a grouping of the assessments would, in every phase of a batch (running, past due, straddling)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.accounts.models import Role
from portal.accounts.system import system_actor
from portal.assessments import compliance, services, tally
from portal.assessments.creation import create_assessments
from portal.assessments.importer import import_decisions
from portal.assessments.models import Assessment, AssessmentDistrictTally, AssessmentTally, EventKind, Outcome
from portal.catalogue.services import delist_entry
from portal.core import timeutil
from portal.directory.models import Hospital, HospitalLevel
from portal.directory.services import import_hospitals, save_hospital
from portal.extensions import db as _db
from portal.workflow import AssessmentState
from tests.factories_adoption import days_ago, write_xlsx
from tests.factories_assessments import (
    add_batch,
    assessments_of,
    decide_at_once,
    entries_of,
    make_hospital_user,
    publish,
    recomputed_districts,
)

DISTRICTS = ("宝山区", "徐汇区", "浦东新区")
OPEN = (AssessmentState.PENDING, AssessmentState.IN_REVIEW)
DECISION_COLUMNS = ("医院名称", "注册证编号", "结论", "理由", "决定日期")
HOSPITAL_COLUMNS = ("医院名称", "区", "级别", "是否公立")


def _kept_pairs(db, batch) -> dict:
    rows = db.session.scalars(db.select(AssessmentTally).where(AssessmentTally.batch_id == batch.id))
    return {t.hospital_id: (t.district, t.name, *(getattr(t, n) for n in tally.COUNTS)) for t in rows}


def _fresh_pairs(db, batch) -> dict:
    pairs = tally.aggregate(Assessment.batch_id == batch.id).subquery()
    rows = db.session.execute(
        db.select(pairs, Hospital.district, Hospital.name).join(Hospital, Hospital.id == pairs.c.hospital_id)
    )
    return {r.hospital_id: (r.district, r.name, *(getattr(r, n) for n in tally.COUNTS)) for r in rows}


NAMES = (*tally.HOSPITAL_COUNTS, *tally.COUNTS)


def _check_districts(db, batch) -> None:
    kept = db.session.scalars(db.select(AssessmentDistrictTally).where(AssessmentDistrictTally.batch_id == batch.id))
    kept = {d.district: d for d in kept}
    fresh = {r.district: r for r in db.session.execute(recomputed_districts(Assessment.batch_id == batch.id))}
    assert {k: tuple(getattr(d, n) for n in NAMES) for k, d in kept.items()} == {
        k: tuple(getattr(r, n) for n in NAMES) for k, r in fresh.items()
    }
    for district, row in fresh.items():  # the kept due dates bound the real ones (they only ever widen)
        assert kept[district].due_min <= row.due_min and kept[district].due_max >= row.due_max


def _check(db, *batches) -> None:
    db.session.expire_all()
    for batch in batches:
        assert _kept_pairs(db, batch) == _fresh_pairs(db, batch)
        _check_districts(db, batch)


@pytest.fixture
def world(db, make_catalogue, make_hospital, make_user):
    catalogue = make_catalogue()
    hospitals = [make_hospital(name=f"序列医院{i}", district=DISTRICTS[i % 3]) for i in range(6)]
    users = [make_hospital_user(make_user, h) for h in hospitals[:2]]
    reviewer = make_user(Role.REVIEWER, catalogues=[catalogue])
    admin = make_user(Role.ADMIN)
    old = publish(catalogue, entries=4, days_ago=40, name="旧批次")  # ten days past due
    new = publish(catalogue, entries=3, name="新批次")  # due in 30 days
    return dict(catalogue=catalogue, hospitals=hospitals, users=users, reviewer=reviewer, admin=admin, old=old, new=new)


def test_kept_rows_equal_a_fresh_grouping_after_a_realistic_sequence(db, world, tmp_path):
    hospitals, (user, other), old, new = world["hospitals"], world["users"], world["old"], world["new"]
    _check(db, old, new)  # publishing
    mine = assessments_of(hospitals[0], old)
    services.decide(user, mine[0], Outcome.ADMITTED)  # late: the batch is past due
    services.decide(user, mine[1], Outcome.DECLINED, "预算不足")
    db.session.commit()
    services.decide(user, mine[1], Outcome.ADMITTED)  # a changed decision
    services.add_event(user, mine[2], EventKind.DEPARTMENT_REQUEST, timeutil.today_shanghai())  # in review
    services.decide(user, assessments_of(hospitals[0], new)[0], Outcome.ADMITTED)  # on time
    db.session.commit()
    _check(db, old, new)
    services.bulk_not_applicable(other, assessments_of(hospitals[1], new), "无相应科室")  # a hospital done
    db.session.commit()
    paper = [(hospitals[2].name, a.entry.registration_no, "同意配备", "", days_ago(1).isoformat())
             for a in assessments_of(hospitals[2], old)[:2]]
    import_decisions(system_actor(), write_xlsx(tmp_path / "decisions.xlsx", DECISION_COLUMNS, paper))
    db.session.commit()
    _check(db, old, new)
    delist_entry(world["reviewer"], entries_of(old)[3], reason="注册证注销", delisted_on=timeutil.today_shanghai())
    db.session.commit()  # every hospital's open assessment of the entry closed
    _check(db, old, new)
    for entry in entries_of(add_batch(world["catalogue"], entries=2)):  # entries joining the past-due batch
        entry.batch_id = old.id
    db.session.flush()
    create_assessments(old, timeutil.today_shanghai())  # `catalogue import --assess`: due in 30 days
    db.session.commit()
    _check(db, old, new)
    save_hospital(world["admin"], hospitals[3], name="更名医院", district="浦东新区", level=HospitalLevel.TERTIARY,
                  is_public=True)  # renamed and moved by an administrator
    db.session.commit()
    _check(db, old, new)
    rows = [(hospitals[4].name, "宝山区", "二级", "是"), ("新建医院", "徐汇区", "一级", "是")]
    import_hospitals(world["admin"], write_xlsx(tmp_path / "hospitals.xlsx", HOSPITAL_COLUMNS, rows))
    db.session.commit()  # one moved by an import, one new (no assessments of these batches)
    _check(db, old, new)
    assert {d.district for d in db.session.scalars(db.select(AssessmentDistrictTally))} == set(DISTRICTS)


def _expected(db, batch, filters: compliance.HospitalFilters, now) -> list[tuple]:
    """The hospital table worked out from the assessments, as the page did before there was any tally."""
    rows = {}
    for a, hospital in db.session.execute(
        db.select(Assessment, Hospital)
        .join(Hospital, Hospital.id == Assessment.hospital_id)
        .where(Assessment.batch_id == batch.id)
    ):
        row = rows.setdefault(hospital.id, dict(hospital=hospital, overdue=0, late=0, open=0, due_min=a.due_at))
        is_open = a.state in OPEN
        row["open"] += is_open
        row["overdue"] += is_open and a.due_at < now
        row["late"] += a.state is AssessmentState.DECIDED and a.is_late
        row["due_min"] = min(row["due_min"], a.due_at)
    kept = [
        r for r in rows.values()
        if (not filters.district or r["hospital"].district == filters.district)
        and (filters.only != "overdue" or (r["open"] and r["due_min"] < now))
        and (filters.only != "late" or r["late"])
    ]
    kept.sort(key=lambda r: (-r["overdue"], -r["late"], r["hospital"].district, r["hospital"].name, r["hospital"].id))
    return [(r["hospital"].id, r["overdue"], r["late"]) for r in kept]


def _shown(batch, filters, now, per_page=2) -> list[tuple]:
    shown, page = [], 1
    while True:
        result = compliance.batch_compliance(batch, filters, page, per_page, now)
        shown += [(h.id, p.overdue, p.late) for h, p in result.items]
        if not result.has_next:
            assert result.total == len(shown)
            return shown
        page += 1


def test_hospital_table_in_index_order_equals_a_grouping_of_the_assessments(db, world):
    hospitals, (user, other), old, new = world["hospitals"], world["users"], world["old"], world["new"]
    for a in assessments_of(hospitals[0], old)[:2]:
        services.decide(user, a, Outcome.ADMITTED)  # late
    services.decide(other, assessments_of(hospitals[1], old)[0], Outcome.ADMITTED, now=old.published_at)  # on time
    services.decide(other, assessments_of(hospitals[1], new)[0], Outcome.ADMITTED)
    db.session.commit()
    straddling = publish(world["catalogue"], entries=2, days_ago=40, name="跨期批次")
    for entry in entries_of(add_batch(world["catalogue"], entries=1)):
        entry.batch_id = straddling.id
    db.session.flush()
    create_assessments(straddling, timeutil.today_shanghai())
    db.session.commit()
    now = timeutil.utcnow()
    # Past due: overdue is open; running: nothing is overdue; straddling: each row's overdue is worked out.
    phases = {old: "assessment_tally.open DESC", new: "assessment_tally.late DESC", straddling: "CASE"}
    for batch, leading in phases.items():
        order = compliance.table_order(compliance.batch_figures(batch, now).districts, now)
        assert str(order[0]).startswith(leading)
        for district in ("", DISTRICTS[0]):
            for only in compliance.HospitalFilters.ONLY:
                filters = compliance.HospitalFilters(district=district, only=only)
                assert _shown(batch, filters, now) == _expected(db, batch, filters, now), (batch.name, filters)
        figures = compliance.batch_figures(batch, now)
        assert figures.totals.overdue == sum(r[1] for r in _expected(db, batch, compliance.HospitalFilters(), now))
    assert compliance.batch_figures(old, now + timedelta(days=60)).totals.overdue > 0


def test_concurrent_decisions_of_one_district_all_count(db, app_config, make_catalogue, make_hospital, make_user):
    """Hospitals of one district decide at the same moment: each adds to the same district row, and none is lost."""
    hospitals = [make_hospital(district="宝山区") for _ in range(4)]
    users = [make_hospital_user(make_user, h) for h in hospitals]
    batch = publish(make_catalogue(), entries=2, days_ago=40)
    jobs = [(u.id, assessments_of(h, batch)[0].id) for u, h in zip(users, hospitals, strict=True)]
    assert decide_at_once(app_config, jobs) == []
    _check(db, batch)
    baoshan = compliance.batch_figures(batch).districts[0]
    assert (baoshan.district, baoshan.hospitals, baoshan.hospitals_late) == ("宝山区", 4, 4)


def test_a_savepoint_rolled_back_takes_its_district_increments_along(db, world):
    hospitals, (user, other), old = world["hospitals"], world["users"], world["old"]
    kept, dropped = assessments_of(hospitals[0], old)[0], assessments_of(hospitals[1], old)[0]
    with db.session.begin_nested():
        services.decide(user, kept, Outcome.ADMITTED)
    with pytest.raises(RuntimeError), db.session.begin_nested():
        services.decide(other, dropped, Outcome.ADMITTED)
        db.session.flush()  # written, then rolled back with its savepoint
        raise RuntimeError
    db.session.commit()
    _check(db, old)
    assert compliance.batch_totals(old).decided == 1


def test_an_open_transaction_does_not_hold_up_decisions_of_its_district(db, app_config, world):
    """A transaction that has decided (and flushed) but not committed, like an import going through its rows,
    locks its hospitals' rows only: another hospital of the district decides meanwhile."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: the second transaction waits for the database itself")
    hospitals, (user, _other), old = world["hospitals"], world["users"], world["old"]
    assert hospitals[0].district == hospitals[3].district
    services.decide(user, assessments_of(hospitals[0], old)[0], Outcome.ADMITTED)
    db.session.flush()
    second = create_app(app_config)
    with second.app_context():
        try:
            _db.session.execute(sa.text("SET LOCAL lock_timeout = '3s'"))  # fail rather than wait
            same_district = _db.session.scalars(
                sa.select(Assessment).where(Assessment.hospital_id == hospitals[3].id, Assessment.batch_id == old.id)
            ).first()
            services.decide(system_actor(), same_district, Outcome.ADMITTED)
            _db.session.commit()
        finally:
            _db.session.remove()
            _db.engine.dispose()
    db.session.commit()
    _check(db, old)
