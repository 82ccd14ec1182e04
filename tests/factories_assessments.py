"""Factories for the assessment tests: published batches with entries, and the hospitals' queues."""

import itertools
import threading
from datetime import date, timedelta

import sqlalchemy as sa

from portal import create_app
from portal.accounts.models import User
from portal.assessments import services, tally
from portal.assessments.creation import create_assessments
from portal.assessments.models import Assessment, Outcome
from portal.catalogue.models import Batch, Entry
from portal.catalogue.services import entry_from_product
from portal.core import timeutil
from portal.directory.models import Company, Hospital
from portal.extensions import db
from portal.products.models import DeviceClass, InnovativeReview, Product, ProductType
from tests.conftest import make_uscc
from tests.factories import imported_batch

_n = itertools.count(900_000)  # apart from conftest's counter, which also numbers USCCs

PRODUCT_NAMES = ["超导磁共振成像系统", "全膝关节置换手术导航定位系统", "冠脉药物洗脱支架系统", "上肢康复训练机器人"]
AREAS = ["高端医学影像", "高端手术系统", "高端植入介入", "高端康复治疗"]
DEPTS = [["医学影像科", "神经内科"], ["骨科", "关节外科"], ["心血管内科"], ["康复医学科"]]


def registration_no(n: int) -> str:
    return f"国械注准2021306{n % 10000:04d}"


def add_batch(catalogue, *, entries: int = 4, published_on: date | None = None, name: str | None = None) -> Batch:
    """An imported published batch of `catalogue` listing `entries` new products (no assessments yet)."""
    n = next(_n)
    published_on = published_on or timeutil.today_shanghai()
    batch = imported_batch(catalogue, name or f"第{n}批", published_on)
    company = Company(uscc=make_uscc(n), name=f"上海测试医疗器械有限公司{n}", district="浦东新区")
    db.session.add(company)
    for i in range(entries):
        k = next(_n)
        product = Product(
            company=company,
            name=f"{PRODUCT_NAMES[i % 4]}{k}",
            model=f"M-{k}",
            product_type=ProductType.DEVICE,
            registration_no=registration_no(k),
            device_class=DeviceClass.III,
            key_area=AREAS[i % 4],
            departments=DEPTS[i % 4],
            innovative_review=InnovativeReview.NATIONAL,
        )
        db.session.add(product)
        db.session.add(entry_from_product(product, batch, published_on))
    db.session.flush()
    return batch


def publish(catalogue, *, entries: int = 4, days_ago: int = 0, name: str | None = None) -> Batch:
    """A published batch with its assessments created (as publishing does)."""
    published_on = timeutil.today_shanghai() - timedelta(days=days_ago)
    batch = add_batch(catalogue, entries=entries, published_on=published_on, name=name)
    create_assessments(batch, published_on)
    db.session.commit()
    return batch


def assessments_of(hospital, batch=None) -> list[Assessment]:
    query = db.select(Assessment).where(Assessment.hospital_id == hospital.id)
    if batch is not None:
        query = query.where(Assessment.batch_id == batch.id)
    return db.session.scalars(query.order_by(Assessment.id)).all()


def entries_of(batch) -> list[Entry]:
    return db.session.scalars(db.select(Entry).where(Entry.batch_id == batch.id).order_by(Entry.id)).all()


def make_hospital_user(make_user, hospital):
    """A hospital user of `hospital` (conftest's make_user also makes a spare hospital: drop it)."""
    from portal.accounts.models import Role
    from portal.directory.models import Hospital

    before = set(db.session.scalars(db.select(Hospital.id)))
    user = make_user(Role.HOSPITAL, hospital=hospital)
    spare = set(db.session.scalars(db.select(Hospital.id))) - before
    if spare:
        db.session.execute(db.delete(Hospital).where(Hospital.id.in_(spare)))
        db.session.commit()
    return user


def build_two_hospitals(make_catalogue, make_hospital, make_user) -> dict:
    """A city catalogue with a published batch, and a hospital user in each of two public hospitals."""
    catalogue = make_catalogue()
    hospital_a = make_hospital(name="甲医院")
    hospital_b = make_hospital(name="乙医院")
    user_a = make_hospital_user(make_user, hospital_a)
    user_b = make_hospital_user(make_user, hospital_b)
    batch = publish(catalogue, entries=4, days_ago=5)
    return {
        "catalogue": catalogue,
        "batch": batch,
        "a": hospital_a,
        "b": hospital_b,
        "user_a": user_a,
        "user_b": user_b,
    }


def recomputed_districts(where) -> sa.Select:
    """A batch's district rows computed afresh from the assessments matching `where`: what the kept ones
    (tally.py) must equal."""
    pairs = tally.aggregate(where).subquery()
    with_district = sa.select(pairs, Hospital.district).join(Hospital, Hospital.id == pairs.c.hospital_id).subquery()
    return tally.district_aggregate(with_district)


def decide_at_once(app_config, jobs: list[tuple[int, int]]) -> list[str]:
    """Each (user id, assessment id) admitted from its own thread and app, all at the same moment, as
    concurrent requests would; the errors, if any."""
    errors = []
    start = threading.Barrier(len(jobs))
    workers = [create_app(app_config) for _ in jobs]  # built here: the threads only decide

    def decide(worker, user_id, assessment_id):
        try:
            with worker.app_context():
                try:
                    actor = db.session.get(User, user_id)
                    assessment = db.session.get(Assessment, assessment_id)
                    start.wait(timeout=60)
                    services.decide(actor, assessment, Outcome.ADMITTED)
                    db.session.commit()
                finally:
                    db.session.remove()
                    db.engine.dispose()  # this thread's app has its own pool: give its connections back
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)
            start.abort()  # the others need not wait for this one

    threads = [threading.Thread(target=decide, args=(w, *job)) for w, job in zip(workers, jobs, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    causes = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)]  # the rest only followed
    return [repr(e) for e in causes or errors]
