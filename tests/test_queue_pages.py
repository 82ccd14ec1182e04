"""The queue's pages, read along the index in two runs, are exactly the full ordered query cut into pages,
whatever the filters, page size and tally-or-counted totals."""

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.assessments import compliance, services
from portal.assessments.models import Assessment, Outcome
from portal.assessments.queue import queue_page
from portal.assessments.services import QueueFilters
from portal.catalogue.models import Entry
from portal.catalogue.services import delist_entry
from portal.core import timeutil
from tests.conftest import login
from tests.factories_assessments import assessments_of, build_two_hospitals, publish


@pytest.fixture
def queue(db, make_catalogue, make_hospital, make_user):
    built = build_two_hospitals(make_catalogue, make_hospital, make_user)
    publish(built["catalogue"], entries=3, days_ago=40, name="逾期批")
    publish(built["catalogue"], entries=2, days_ago=1, name="新批")
    user = built["user_a"]
    assessments = assessments_of(built["a"])
    for assessment in assessments[::3]:  # some decided, some of them late
        services.decide(user, assessment, Outcome.ADMITTED)
    reviewer = make_user(Role.REVIEWER, catalogues=[built["catalogue"]])
    delist_entry(reviewer, assessments[1].entry, reason="注册证注销", delisted_on=timeutil.today_shanghai())
    db.session.commit()
    return built


FILTERS = [
    QueueFilters(),
    QueueFilters(state="open"),
    QueueFilters(state="overdue"),
    QueueFilters(state="decided"),
    QueueFilters(state="pending"),
    QueueFilters(state="closed"),
    QueueFilters(key_area="高端医学影像"),
    QueueFilters(q="支架", state="open"),
    QueueFilters(sort="name"),
    QueueFilters(sort="batch", state="open"),
]


def test_pages_cut_the_ordered_queue(db, queue):
    user = queue["user_a"]
    updates = compliance.hospital_updates(user.hospital_id, open_only=False)
    for filters in FILTERS:
        assert db.session.scalars(services.queue_query(user, filters)).first(), filters  # every filter finds some
        for batch_id in (None, queue["batch"].id):
            filters.batch_id = batch_id
            wanted = [a.id for a in db.session.scalars(services.queue_query(user, filters))]
            for per_page in (1, 2, 5, 50):
                for given in (updates, ()):  # totals from the tally, and counted
                    first = queue_page(user, filters, 1, per_page, updates=given)
                    pages = [queue_page(user, filters, n, per_page, updates=given) for n in range(1, first.pages + 1)]
                    got = [row.item.id for page in pages for row in page.items]
                    assert (got, first.total) == (wanted, len(wanted)), (filters, per_page, bool(given))


def test_page_beyond_the_end_shows_the_last(db, queue):
    page = queue_page(queue["user_a"], QueueFilters(), 10_000, 5)
    assert page.page == page.pages and page.items


def _row(html: str, assessment_id: int) -> str:
    return next(tr for tr in html.split("<tr") if f'href="/assessments/{assessment_id}"' in tr)


def test_remembered_rows_follow_the_data(db, queue, client):
    """Queue rows are remembered by the values they show: a decision, a renamed product and a checked box each
    give the row as it is now, never an earlier rendering."""
    user = queue["user_a"]
    assert login(client, user.email).status_code == 302
    first, second = [row.item for row in queue_page(user, QueueFilters(state="open"), 1, 2).items]
    before = client.get("/assessments").get_data(as_text=True)
    assert first.product_name in _row(before, first.id) and 'name="ids"' in _row(before, first.id)

    entry_id = db.session.get(Assessment, first.id).entry_id
    db.session.execute(sa.update(Entry).where(Entry.id == entry_id).values(product_name="改名后的产品"))
    services.decide(user, db.session.get(Assessment, first.id), Outcome.ADMITTED)
    db.session.commit()
    after = _row(client.get("/assessments").get_data(as_text=True), first.id)
    assert "改名后的产品" in after and Outcome.ADMITTED.label in after and 'name="ids"' not in after

    refused = client.post("/assessments/bulk", data={"ids": [str(second.id)], "reason": ""})  # no reason: 400
    assert refused.status_code == 400 and " checked>" in _row(refused.get_data(as_text=True), second.id)
    assert " checked>" not in _row(client.get("/assessments").get_data(as_text=True), second.id)


def test_filter_form_shows_the_filters_asked_for(db, queue, client):
    assert login(client, queue["user_a"].email).status_code == 302
    for state, other in (("open", "overdue"), ("overdue", "open")):
        html = client.get(f"/assessments?state={state}&q=支架").get_data(as_text=True)
        assert f'<option value="{state}" selected>' in html and f'<option value="{other}" selected>' not in html
        assert 'value="支架"' in html
    batch = queue["batch"]
    html = client.get(f"/assessments?batch={batch.id}").get_data(as_text=True)
    assert f'<option value="{batch.id}" selected>' in html and 'value="支架"' not in html
