"""Factories for the review tests: products, batches in any state, applications with their submission."""

import itertools
from datetime import date, timedelta

import pytest

from portal.accounts.models import Role
from portal.applications.models import Application, ExpertReview, Recommendation, Submission
from portal.catalogue.models import Batch
from portal.core import timeutil
from portal.products.models import DeviceClass, Product, ProductType
from portal.workflow import ApplicationState, BatchState

_n = itertools.count(1)


@pytest.fixture
def make_product(db, make_company):
    def make(company=None, **kw) -> Product:
        n = next(_n)
        product = Product(
            company=company or make_company(),
            name=kw.pop("name", f"测试磁共振成像系统{n}"),
            model=kw.pop("model", f"uMR-{n}"),
            product_type=kw.pop("product_type", ProductType.DEVICE),
            registration_no=kw.pop("registration_no", f"国械注准2021306{n:04d}"),
            device_class=kw.pop("device_class", DeviceClass.III),
            first_approved_on=kw.pop("first_approved_on", date(2021, 3, 1)),
            key_area=kw.pop("key_area", "高端医学影像"),
            departments=kw.pop("departments", ["医学影像科"]),
            indications=kw.pop("indications", "用于磁共振成像检查。"),
            **kw,
        )
        db.session.add(product)
        db.session.commit()
        return product

    return make


@pytest.fixture
def make_batch(db, make_catalogue):
    """A batch in `state`, with the dates that state implies (notice over unless notice_running=True)."""

    def make(catalogue=None, state=BatchState.REVIEWING, notice_running=False, **kw) -> Batch:
        now = timeutil.utcnow()
        batch = Batch(
            catalogue=catalogue or make_catalogue(),
            name=kw.pop("name", f"第{next(_n)}批"),
            state=state,
            opens_at=kw.pop("opens_at", now - timedelta(days=30)),
            closes_at=kw.pop(
                "closes_at", now - timedelta(days=1) if state is not BatchState.OPEN else now + timedelta(days=10)
            ),
            **kw,
        )
        if state in (BatchState.PUBLIC_NOTICE, BatchState.PUBLISHED):
            if notice_running:
                batch.notice_starts_at, batch.notice_ends_at = now - timedelta(days=1), now + timedelta(days=6)
            else:
                batch.notice_starts_at, batch.notice_ends_at = now - timedelta(days=8), now - timedelta(seconds=1)
        db.session.add(batch)
        db.session.commit()
        return batch

    return make


@pytest.fixture
def make_application(db, make_product):
    def make(batch, product=None, state=ApplicationState.SUBMITTED, reviews=0) -> Application:
        product = product or make_product()
        now = timeutil.utcnow()
        application = Application(
            batch=batch,
            product=product,
            company_id=product.company_id,
            state=state,
            statement="创新性和临床价值说明。",
            round=1,
            submitted_at=now - timedelta(days=2),
        )
        db.session.add(application)
        db.session.add(
            Submission(
                application=application,
                round=1,
                snapshot={"name": product.name, "registration_no": product.registration_no, "attachments": []},
                submitted_at=now - timedelta(days=2),
            )
        )
        for i in range(reviews):
            db.session.add(
                ExpertReview(
                    application=application,
                    expert_name=f"专家{i}",
                    score=4,
                    recommendation=Recommendation.RECOMMEND,
                )
            )
        db.session.commit()
        return application

    return make


@pytest.fixture
def reviewer_for(make_user):
    def make(catalogue, **kw):
        return make_user(Role.REVIEWER, catalogues=[catalogue], **kw)

    return make
