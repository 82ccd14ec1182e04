"""Publishing a batch: entries, assessments, index, notifications; idempotent and safe with two publishers;
the catalogue update page and its Atom feed."""

import threading
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.assessments.models import Assessment
from portal.audit.models import AuditEvent
from portal.catalogue.models import Batch, Entry
from portal.catalogue.services import entry_from_product
from portal.core import timeutil
from portal.core.errors import DomainError
from portal.extensions import db as _db
from portal.notifications.models import Notification
from portal.objections.models import Objection
from portal.publishing import services as publishing
from portal.publishing.services import publish_batch
from portal.workflow import ApplicationState, BatchState
from tests.factories import imported_batch

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def queued(monkeypatch):
    calls = []
    original = publishing.queue

    def recording(doc_type, doc_id):
        calls.append((doc_type, doc_id))
        original(doc_type, doc_id)

    monkeypatch.setattr(publishing, "queue", recording)
    return calls


@pytest.fixture
def ready(db, make_catalogue, make_batch, make_application, advance_batch, make_hospital, make_user):
    """A batch whose notice is over: 3 recommended, 1 rejected; 4 public hospitals and 1 private."""
    catalogue = make_catalogue(deadline_days=30)
    batch = make_batch(catalogue)
    recommended = [make_application(batch, state=ApplicationState.RECOMMENDED) for _ in range(3)]
    make_application(batch, state=ApplicationState.REJECTED)
    advance_batch(batch, BatchState.PUBLIC_NOTICE)
    for _ in range(4):
        make_hospital()
    make_hospital(is_public=False)
    company_user = make_user(Role.MANUFACTURER, company=recommended[0].company)
    reviewer = make_user(Role.REVIEWER, catalogues=[catalogue])
    return batch, recommended, reviewer, company_user


def _counts(batch_id):
    entries = _db.session.scalar(select(func.count(Entry.id)).where(Entry.batch_id == batch_id))
    assessments = _db.session.scalar(select(func.count(Assessment.id)).where(Assessment.batch_id == batch_id))
    return entries, assessments


def test_publish_creates_entries_assessments_index_and_notifications(db, ready, queued):
    batch, recommended, reviewer, company_user = ready
    result = publish_batch(reviewer, batch)
    db.session.commit()
    assert not result.already and (result.entries, result.assessments) == (3, 12)
    assert batch.state is BatchState.PUBLISHED
    assert batch.published_on == timeutil.today_shanghai(batch.published_at)
    assert _counts(batch.id) == (3, 12)
    entries = db.session.scalars(select(Entry).where(Entry.batch_id == batch.id)).all()
    assert {e.application_id for e in entries} == {a.id for a in recommended}
    assert all(e.listed_on == batch.published_on for e in entries)
    due = {a.due_at for a in db.session.scalars(select(Assessment).where(Assessment.batch_id == batch.id))}
    assert due == {timeutil.due_at(batch.published_on, 30)}
    assert sorted(queued) == sorted(("entry", e.id) for e in entries)
    note = db.session.scalar(select(Notification).where(Notification.user_id == company_user.id))
    assert note is not None and "列入目录" in note.title
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "batch.publish"))
    assert event.actor_id == reviewer.id and event.data["assessments"] == 12


def test_publishing_twice_changes_nothing(db, ready):
    batch, _, reviewer, _ = ready
    first = publish_batch(reviewer, batch)
    db.session.commit()
    version = batch.version_id
    second = publish_batch(reviewer, batch)
    db.session.commit()
    assert second.already and "无需重复发布" in second.message
    assert (second.entries, second.assessments, second.published_on) == (
        first.entries,
        first.assessments,
        first.published_on,
    )
    assert _counts(batch.id) == (3, 12) and batch.version_id == version
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "batch.publish")) == 1


def test_publish_refused_while_notice_runs_or_objection_open(db, ready):
    batch, recommended, reviewer, _ = ready
    batch.notice_ends_at = timeutil.utcnow() + timedelta(days=2)
    db.session.commit()
    with pytest.raises(DomainError, match="公示期至"):
        publish_batch(reviewer, batch)
    db.session.rollback()
    batch.notice_ends_at = timeutil.utcnow() - timedelta(minutes=1)
    db.session.add(
        Objection(batch=batch, application=recommended[0], name="王五", phone="13800000000", reason="理由" * 6)
    )
    db.session.commit()
    with pytest.raises(DomainError, match="1 条异议待处理"):
        publish_batch(reviewer, batch)
    db.session.rollback()
    assert _counts(batch.id) == (0, 0) and batch.state is BatchState.PUBLIC_NOTICE


def test_publish_needs_public_notice_state(db, make_batch, make_user):
    batch = make_batch(state=BatchState.REVIEWING)
    reviewer = make_user(Role.REVIEWER, catalogues=[batch.catalogue])
    with pytest.raises(DomainError, match="只有公示结束的批次可以发布"):
        publish_batch(reviewer, batch)


def test_product_already_listed_is_skipped_not_duplicated(db, ready):
    batch, recommended, reviewer, _ = ready
    # Meanwhile an import of an earlier, paper-era batch listed the first product.
    earlier = imported_batch(batch.catalogue, "第一批", timeutil.today_shanghai())
    db.session.add(entry_from_product(recommended[0].product, earlier, timeutil.today_shanghai()))
    db.session.commit()
    result = publish_batch(reviewer, batch)
    db.session.commit()
    assert result.entries == 2 and result.skipped == (recommended[0].product.name,)


def test_publish_through_the_page(client, db, ready):
    from tests.conftest import login

    batch, _, reviewer, _ = ready
    login(client, reviewer.email)
    response = client.post(
        f"/review/batches/{batch.id}/advance", data={"action": "publish", "version_id": batch.version_id}
    )
    assert response.status_code == 302
    assert batch.state is BatchState.PUBLISHED
    again = client.post(
        f"/review/batches/{batch.id}/advance",
        data={"action": "publish", "version_id": batch.version_id},
        follow_redirects=True,
    )
    assert "无需重复发布" in again.get_data(as_text=True)
    assert _counts(batch.id) == (3, 12)


def test_two_concurrent_publishers_create_one_set(app, db, ready):
    """Two threads, each with its own app context and session, publish at the same moment."""
    batch, _, reviewer, _ = ready
    batch_id, reviewer_id = batch.id, reviewer.id
    db.session.commit()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def publisher():
        with app.app_context():
            try:
                from portal.accounts.models import User

                actor = _db.session.get(User, reviewer_id)
                target = _db.session.get(Batch, batch_id)
                _db.session.rollback()  # no read transaction held while waiting at the barrier
                barrier.wait(timeout=10)
                result = publish_batch(actor, target)
                _db.session.commit()
                results.append(result)
            except Exception as exc:  # the test reports any error a user would have seen
                _db.session.rollback()
                errors.append(repr(exc))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=publisher) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(r.already for r in results) == [False, True]
    assert {(r.entries, r.assessments) for r in results} == {(3, 12)}
    db.session.expire_all()
    assert _counts(batch_id) == (3, 12)
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "batch.publish")) == 1


# Catalogue update page and Atom feed -------------------------------------------------------------------------


def test_update_page_and_atom_feed(client, db, ready):
    batch, recommended, reviewer, _ = ready
    publish_batch(reviewer, batch)
    db.session.commit()
    code = batch.catalogue.code
    page = client.get(f"/catalogues/{code}/updates").get_data(as_text=True)
    assert batch.name in page and "新增 3 个产品" in page
    assert all(a.product.name in page for a in recommended)

    response = client.get(f"/catalogues/{code}/updates.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)  # noqa: S314 - our own output
    assert feed.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{tag}") is not None and feed.find(f"{ATOM}{tag}").text
    assert feed.find(f"{ATOM}link[@rel='self']").get("href").endswith(f"/catalogues/{code}/updates.atom")
    assert feed.find(f"{ATOM}author/{ATOM}name").text
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    entry = entries[0]
    assert entry.find(f"{ATOM}id").text.startswith("tag:")
    assert batch.name in entry.find(f"{ATOM}title").text
    assert entry.find(f"{ATOM}link").get("href").endswith(f"#batch-{batch.id}")
    from datetime import datetime

    datetime.fromisoformat(entry.find(f"{ATOM}updated").text)  # RFC 3339
    everything = client.get("/updates.atom")
    assert (
        everything.status_code == 200
        and len(
            ET.fromstring(everything.data).findall(f"{ATOM}entry")  # noqa: S314
        )
        == 1
    )
    assert client.get("/catalogues/NOPE/updates.atom").status_code == 404
