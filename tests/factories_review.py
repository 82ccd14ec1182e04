"""Factories for the review tests: batches in any state, applications with their submission (products come from
the company side's `make_product`)."""

import itertools
from datetime import timedelta

import pytest

from portal.accounts.models import Role
from portal.applications.models import Application, Submission
from portal.catalogue.models import Batch
from portal.core import timeutil
from portal.review.models import ExpertReview, Recommendation
from portal.workflow import ApplicationState, BatchState
from tests.factories_company import make_product  # noqa: F401  (a fixture the ones below use)

_n = itertools.count(1)


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
def make_application(db, make_product):  # noqa: F811 (the fixture imported above)
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
