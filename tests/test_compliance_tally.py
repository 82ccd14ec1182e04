"""The compliance tally: exact counts under concurrent decisions, overdue across due dates, paged hospital table."""

from datetime import timedelta

import pytest

from portal.accounts.models import Role
from portal.assessments import compliance, services, tally
from portal.assessments.creation import create_assessments
from portal.assessments.models import Assessment, AssessmentTally, Outcome
from portal.core import timeutil
from portal.extensions import db as _db
from tests.conftest import login
from tests.factories_assessments import (
    add_batch,
    assessments_of,
    decide_at_once,
    entries_of,
    make_hospital_user,
    publish,
)


def _stored(db, batch):
    rows = db.session.scalars(db.select(AssessmentTally).where(AssessmentTally.batch_id == batch.id)).all()
    return {t.hospital_id: tuple(getattr(t, n) for n in tally.COUNTS) for t in rows}


def _recomputed(db, batch):
    rows = db.session.execute(tally.aggregate(Assessment.batch_id == batch.id)).all()
    return {r.hospital_id: tuple(getattr(r, n) for n in tally.COUNTS) for r in rows}


def test_concurrent_decisions_of_one_hospital_all_count(db, app_config, make_catalogue, make_hospital, make_user):
    hospital = make_hospital()
    user = make_hospital_user(make_user, hospital)
    batch = publish(make_catalogue(), entries=4)
    ids = [a.id for a in assessments_of(hospital, batch)]
    assert decide_at_once(app_config, [(user.id, i) for i in ids]) == []
    db.session.expire_all()
    assert _stored(db, batch)[hospital.id][:2] == (4, 4)
    assert _stored(db, batch) == _recomputed(db, batch)


def test_overdue_is_exact_when_a_hospitals_due_dates_straddle_now(db, make_catalogue, make_hospital):
    hospital = make_hospital()
    catalogue = make_catalogue()
    old_day = timeutil.today_shanghai() - timedelta(days=40)
    batch = add_batch(catalogue, entries=2, published_on=old_day)
    create_assessments(batch, old_day)  # due 10 days ago
    _db.session.commit()
    for entry in entries_of(add_batch(catalogue, entries=3)):  # three more entries join the batch later
        entry.batch_id = batch.id
    _db.session.flush()
    create_assessments(batch, timeutil.today_shanghai())  # the three new entries are due in 30 days
    _db.session.commit()
    totals = compliance.batch_totals(batch)
    assert (totals.total, totals.open, totals.overdue) == (5, 5, 2)
    page = compliance.batch_compliance(batch, compliance.HospitalFilters(), 1, 10)
    assert [(h.id, p.overdue) for h, p in page.items] == [(hospital.id, 2)]
    assert _stored(db, batch) == _recomputed(db, batch)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PORTAL_PAGE_SIZE": 3}


def test_hospital_table_is_paged_and_filtered(db, client, make_catalogue, make_hospital, make_user):
    catalogue = make_catalogue()
    hospitals = [make_hospital(name=f"医院{i}", district="宝山区" if i < 2 else "徐汇区") for i in range(5)]
    batch = publish(catalogue, entries=2, days_ago=40)  # everything overdue
    chaser = make_hospital_user(make_user, hospitals[4])
    for a in assessments_of(hospitals[4], batch):
        services.decide(chaser, a, Outcome.ADMITTED, now=a.due_at + timedelta(days=1))
    _db.session.commit()
    reviewer = make_user(Role.REVIEWER, catalogues=[catalogue])
    login(client, reviewer.email)

    def table(query=""):
        html = client.get(f"/compliance/batches/{batch.id}{query}").get_data(as_text=True)
        return html.split('id="hospitals"')[1].split("逾期清单")[0]

    first = table()
    assert "第 1 / 2 页，共 5 条" in first and "医院4" not in first  # most overdue first; 医院4 finished late
    assert "医院4" in table("?page=2")
    baoshan = table("?district=宝山区")
    assert "医院0" in baoshan and "医院1" in baoshan and "医院2" not in baoshan
    late = table("?only=late")
    assert "医院4" in late and "医院0" not in late
    assert "第 1 / 2 页，共 4 条" in table("?only=overdue")
