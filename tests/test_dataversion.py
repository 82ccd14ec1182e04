"""The data token (core.dataversion) changes with every committed write and only then; what is remembered under
it (the home page's board, entry reads, the queue's content, the header's user parts) shows each change at
once, and each new day."""

import re
from datetime import timedelta

import sqlalchemy as sa

from portal.accounts.models import Role
from portal.assessments import services
from portal.assessments.models import Outcome
from portal.core import timeutil
from portal.core.dataversion import DataVersion
from portal.directory.models import Company
from portal.notifications.services import notify
from tests.conftest import login
from tests.factories_assessments import assessments_of, build_two_hospitals


def _token(db):
    return db.session.execute(sa.select(DataVersion.token).where(DataVersion.id == 1)).scalar()


def test_every_committed_write_and_only_a_write_changes_the_token(db, make_company):
    company = make_company()
    db.session.commit()
    seen = [_token(db)]
    company.short_name = "改名一"  # a flush
    db.session.commit()
    seen.append(_token(db))
    db.session.connection().execute(sa.update(Company).values(short_name="改名二"))  # Core, past the session
    db.session.commit()
    seen.append(_token(db))
    db.session.execute(sa.text("UPDATE company SET short_name = '改名三'"))  # hand-written SQL
    db.session.commit()
    seen.append(_token(db))
    assert None not in seen and len(set(seen)) == len(seen)

    db.session.execute(sa.update(Company).values(short_name="撤回"))
    db.session.rollback()
    db.session.scalars(sa.select(Company)).all()
    db.session.commit()  # a transaction that only read
    assert _token(db) == seen[-1]


def test_reading_pages_writes_nothing(db, client, make_catalogue, make_hospital, make_user):
    built = build_two_hospitals(make_catalogue, make_hospital, make_user)
    entry_id = assessments_of(built["a"])[0].entry_id
    assert login(client, built["user_a"].email).status_code == 302
    pages = ["/", "/assessments", "/assessments?state=open", f"/entries/{entry_id}", "/notifications", "/catalogues"]
    pages.append("/search?q=支架")
    for url in pages:  # the first round may catch up on work left by the set-up (the search index)
        assert client.get(url).status_code == 200, url
    before = _token(db)
    for url in pages:
        assert client.get(url).status_code == 200, url
    assert _token(db) == before


def test_the_home_page_follows_the_data(db, client, make_catalogue):
    make_catalogue(name="第一目录")
    db.session.commit()
    assert "第一目录" in client.get("/").get_data(as_text=True)
    make_catalogue(name="第二目录")
    db.session.commit()
    assert "第二目录" in client.get("/").get_data(as_text=True)


def test_the_queue_follows_decisions_notices_and_the_day(db, client, make_catalogue, make_hospital, make_user,
                                                         monkeypatch):
    built = build_two_hospitals(make_catalogue, make_hospital, make_user)  # one batch of 4, published 5 days ago
    user = built["user_a"]
    first = assessments_of(built["a"])[0]
    assert login(client, user.email).status_code == 302
    page = client.get("/assessments").get_data(as_text=True)
    assert 'class="row-overdue"' not in page
    unread = int(re.search(r'通知<span class="count">(\d+)</span>', page).group(1))  # the publication's notice

    services.decide(user, first, Outcome.ADMITTED)
    notify([user], "测试通知")
    db.session.commit()
    page = client.get("/assessments").get_data(as_text=True)
    assert "已完成 <span class=\"done-count\">1</span>" in page
    assert f'通知<span class="count">{unread + 1}</span>' in page

    later = timeutil.utcnow() + timedelta(days=60)  # past the deadline: nothing written, a new day
    monkeypatch.setattr(timeutil, "utcnow", lambda: later)
    assert 'class="row-overdue"' in client.get("/assessments").get_data(as_text=True)


def test_the_header_shows_each_user_their_own(db, client, make_hospital, make_user):
    one = make_user(Role.HOSPITAL, hospital=make_hospital(), name="甲医生")
    two = make_user(Role.HOSPITAL, hospital=make_hospital(), name="乙医生")
    db.session.commit()
    for user, other in ((one, two), (two, one)):
        client.post("/logout")
        assert login(client, user.email).status_code == 302
        page = client.get("/assessments").get_data(as_text=True)
        assert user.display_name in page and other.display_name not in page
