"""Factories for products, attachments, batches and applications: one per model, registered as a pytest plugin
(`pytest_plugins` in tests/conftest.py), so a test asks for them by name and imports nothing.

Batches and applications are never built in a later state: the factory creates the initial object and drives it
through the services (portal.catalogue.batches, portal.applications.services, portal.review.services,
portal.publishing.services), acting as a reviewer of the batch's catalogue and a user of the product's company.
What the services cannot do is time passing (a call window or a public notice that is over); the helpers that
move those dates say so.
"""

import itertools
import re
from datetime import date, datetime, timedelta
from io import BytesIO

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from portal.accounts.models import Role, User
from portal.applications import services as applications
from portal.applications.models import Application
from portal.catalogue import batches
from portal.catalogue.models import Batch
from portal.core import timeutil
from portal.core.actors import COMMAND_LINE
from portal.extensions import db
from portal.products.models import DeviceClass, InnovativeReview, Product, ProductType, Track
from portal.products.samples import minimal_pdf
from portal.publishing.services import publish_batch
from portal.review import services as review
from portal.workflow import BATCH, ApplicationState, BatchState, transition

PDF = minimal_pdf("test")
ATTACHMENT_KINDS = ("注册证", "创新性证明材料", "临床价值证明材料")
STATEMENT = "本产品具有显著的临床价值。"
_serial = itertools.count(1000)


def make_pdf_upload(data: bytes = PDF, filename: str = "注册证.pdf") -> FileStorage:
    return FileStorage(stream=BytesIO(data), filename=filename, content_type="application/pdf")


def field_errors(html: str, name: str) -> list[str]:
    """The error messages shown inside the form field (div.field) holding the input called `name`."""
    for chunk in re.split(r'(?=<div class="field)', html):
        if f'name="{name}"' in chunk:
            return re.findall(r'<p class="error" role="alert">(.*?)</p>', chunk, re.S)
    raise AssertionError(f"no field {name!r} in the page")


def product_form(**overrides) -> dict:
    """A complete, valid product form post."""
    data = {
        "name": "全膝关节置换手术导航定位系统",
        "model": "KN-100",
        "product_type": "device",
        "registration_no": "国械注准20213010563",
        "device_class": "",
        "first_approved_on": "2021-07-05",
        "key_area": "高端手术系统",
        "departments": ["骨科", "关节外科"],
        "indications": "用于全膝关节置换手术中的导航定位。",
        "description": "光学导航。",
        "innovative_review": "national",
        "track": "innovative",
        "price": "",
        "insurance_code": "",
    }
    data.update(overrides)
    return data


# Products and attachments ----------------------------------------------------------------------------------


@pytest.fixture
def make_product(db, make_company):
    def make(company=None, **kw) -> Product:
        company = company or make_company()
        serial = next(_serial)
        product = Product(
            company_id=company.id,
            name=kw.pop("name", f"测试产品{serial}"),
            model=kw.pop("model", "M-1"),
            product_type=kw.pop("product_type", ProductType.DEVICE),
            registration_no=kw.pop("registration_no", f"国械注准2019306{serial:04d}"),
            device_class=kw.pop("device_class", DeviceClass.III),
            first_approved_on=kw.pop("first_approved_on", date(2019, 5, 1)),
            key_area=kw.pop("key_area", "高端医学影像"),
            departments=kw.pop("departments", ["医学影像科"]),
            indications=kw.pop("indications", "用于临床诊断。"),
            innovative_review=kw.pop("innovative_review", InnovativeReview.NATIONAL),
            track=kw.pop("track", Track.INNOVATIVE),
            **kw,
        )
        db.session.add(product)
        db.session.commit()
        return product

    return make


@pytest.fixture
def add_pdf(db):
    from portal.products.storage import store_pdf

    def add(product, kind="注册证", data=PDF, filename=None, actor=None):
        attachment = store_pdf(actor, make_pdf_upload(data, filename or f"{kind}.pdf"), kind, product=product)
        db.session.commit()
        return attachment

    return add


@pytest.fixture
def complete_product(make_product, add_pdf):
    """A product with the three usual attachments, ready to submit."""

    def make(company=None, **kw) -> Product:
        product = make_product(company, **kw)
        for kind in ATTACHMENT_KINDS:
            add_pdf(product, kind)
        return product

    return make


# People ----------------------------------------------------------------------------------------------------


@pytest.fixture
def company_user(make_user):
    def make(company=None, **kw):
        if company is not None:
            kw["company"] = company
        return make_user(Role.MANUFACTURER, **kw)

    return make


@pytest.fixture
def reviewer_for(make_user):
    """A new reviewer of `catalogue`."""

    def make(catalogue, **kw):
        return make_user(Role.REVIEWER, catalogues=[catalogue], **kw)

    return make


@pytest.fixture
def actors(db, make_user):
    """The people the factories act as, one per catalogue (a reviewer who runs its batches) and one per company
    (a user who applies: its first user, if it has one); made on first use."""
    reviewers, applicants = {}, {}

    class Actors:
        @staticmethod
        def reviewer(catalogue):
            if catalogue.id not in reviewers:
                reviewers[catalogue.id] = make_user(
                    Role.REVIEWER, catalogues=[catalogue], email=f"batch-reviewer-{catalogue.id}@example.cn"
                )
            return reviewers[catalogue.id]

        @staticmethod
        def applicant(company):
            """The company's first user, or a new one when it has none."""
            if company.id not in applicants:
                applicants[company.id] = db.session.scalar(
                    select(User)
                    .where(User.company_id == company.id, User.role == Role.MANUFACTURER)
                    .order_by(User.id)
                    .limit(1)
                ) or make_user(Role.MANUFACTURER, company=company, email=f"applicant-{company.id}@example.cn")
            return applicants[company.id]

    return Actors()


# Batches ---------------------------------------------------------------------------------------------------

BATCH_ORDER = [BatchState.DRAFT, BatchState.OPEN, BatchState.REVIEWING, BatchState.PUBLIC_NOTICE, BatchState.PUBLISHED]
_BATCH_ACTION = {BatchState.DRAFT: "open", BatchState.OPEN: "close", BatchState.REVIEWING: "start_notice"}


def call_closed(batch: Batch, *, ago: timedelta = timedelta(days=1)) -> Batch:
    """Time passes: the open batch's call window ended `ago` (it stays OPEN until a reviewer closes it)."""
    batch.closes_at = timeutil.utcnow() - ago
    db.session.commit()
    return batch


def notice_over(batch: Batch, *, before: datetime | None = None) -> Batch:
    """Time passes: the batch's public notice ran for a week and ended just before `before` (default now)."""
    before = before or timeutil.utcnow()
    batch.notice_starts_at, batch.notice_ends_at = before - timedelta(days=8), before - timedelta(seconds=1)
    db.session.commit()
    return batch


def imported_batch(catalogue, name: str, published_on: date) -> Batch:
    """A batch published before the portal existed, as `flask catalogue import` makes it: a draft taken to
    PUBLISHED by the workflow's `import_published` step, by the command line. Add its entries with
    `entry_from_product` (as the importer does); it has no applications."""
    batch = Batch(
        catalogue=catalogue,
        name=name,
        state=BatchState.DRAFT,
        published_on=published_on,
        published_at=timeutil.start_of_day_shanghai(published_on),
    )
    db.session.add(batch)
    transition(BATCH, batch, "import_published", COMMAND_LINE, comment="导入（测试）")
    db.session.flush()
    return batch


@pytest.fixture
def advance_batch(db, actors):
    """Drive `batch` forward to `state` through the batch and publishing services, as its catalogue's reviewer.

    `notice_running=False` (the default) lets the public notice end before the next step (or before the test,
    when `state` is PUBLIC_NOTICE); `published_days_ago` dates the publication in the past. Reaching the notice
    needs a recommended application and no undecided one: make the applications while the batch is open.
    """

    def advance(batch: Batch, state: BatchState, *, notice_running=False, published_days_ago: int = 0) -> Batch:
        actor = actors.reviewer(batch.catalogue)
        if BATCH_ORDER.index(state) < BATCH_ORDER.index(batch.state):
            raise AssertionError(f"a batch never goes back from {batch.state} to {state}")
        while batch.state is not state:
            if batch.state is BatchState.PUBLIC_NOTICE:
                when = timeutil.utcnow() - timedelta(days=published_days_ago)
                if batch.notice_ends_at > when:
                    notice_over(batch, before=when)
                publish_batch(actor, batch, now=when)
            else:
                batches.advance_batch(actor, batch, _BATCH_ACTION[batch.state], version=batch.version_id)
                stays_running = notice_running and state is BatchState.PUBLIC_NOTICE
                if batch.state is BatchState.PUBLIC_NOTICE and not stays_running:
                    db.session.flush()
                    notice_over(batch)
            db.session.commit()
        return batch

    return advance


@pytest.fixture
def make_batch(db, make_catalogue, actors, advance_batch):
    """A batch created by a reviewer of `catalogue` and driven to `state` (default OPEN, its call running since
    five days and closing in `closes_in_days`; a negative number lets the open call run out).

    PUBLIC_NOTICE and PUBLISHED need recommended applications: make the batch open, its applications, then call
    `advance_batch`.
    """

    def make(
        catalogue=None,
        state: BatchState = BatchState.OPEN,
        *,
        name: str | None = None,
        opens_at: datetime | None = None,
        closes_at: datetime | None = None,
        closes_in_days: int = 10,
    ) -> Batch:
        catalogue = catalogue or make_catalogue()
        now = timeutil.utcnow()
        ran_out = closes_at is None and closes_in_days <= 0
        batch = batches.create_batch(
            actors.reviewer(catalogue),
            catalogue,
            name=name or f"第{next(_serial)}批",
            opens_at=opens_at or now - timedelta(days=5),
            closes_at=closes_at or now + timedelta(days=10 if ran_out else closes_in_days),
        )
        db.session.commit()
        if state is not BatchState.DRAFT:
            advance_batch(batch, BatchState.OPEN)
            if ran_out:
                call_closed(batch, ago=timedelta(days=-closes_in_days or 1))
            advance_batch(batch, state)
        return batch

    return make


# Applications ----------------------------------------------------------------------------------------------

# The reviewer's (or, for a withdrawal, the company's) steps from a submitted application to each state.
_STEPS = {
    ApplicationState.SUBMITTED: (),
    ApplicationState.FORMAL_CHECK_PASSED: ("pass",),
    ApplicationState.RECOMMENDED: ("pass", "recommend"),
    ApplicationState.REJECTED: ("reject",),
    ApplicationState.RETURNED: ("return",),
    ApplicationState.WITHDRAWN: ("withdraw",),
}


@pytest.fixture
def make_application(db, make_product, add_pdf, actors):
    """An application of `product` (a new one by default) to the open `batch`, made and submitted by a user of
    the product's company and driven to `state` by a reviewer of the catalogue (default SUBMITTED; DRAFT stops
    before submitting). Submitting needs the catalogue's attachments: the ones the product lacks are uploaded.
    `reviews` expert opinions (4 points, recommend) are recorded after the formal check; a recommendation
    needs at least one.
    """

    def make(
        batch: Batch,
        product: Product | None = None,
        *,
        state: ApplicationState = ApplicationState.SUBMITTED,
        reviews: int = 0,
        statement: str = STATEMENT,
    ) -> Application:
        if not applications.batch_is_open(batch):
            raise AssertionError(
                "applications are made while the call is open: make them first, then advance the batch"
            )
        product = product or make_product()
        applicant = actors.applicant(product.company)
        application = applications.create_application(applicant, product, batch)
        applications.update_application(applicant, application, statement, None)
        db.session.commit()
        if state is ApplicationState.DRAFT:
            return application
        present = {a.kind for a in product.current_attachments}
        for kind in batch.catalogue.required_attachments or ():
            if kind not in present:
                add_pdf(product, kind)
        applications.submit_application(applicant, application)
        db.session.commit()
        steps = _STEPS[state]
        reviewer = actors.reviewer(batch.catalogue) if steps else None
        if reviews and "pass" not in steps:
            raise AssertionError("expert opinions are recorded after the formal check")
        for step in steps:
            version = application.version_id
            if step == "pass":
                review.pass_formal_check(reviewer, application, version=version)
                wanted = max(reviews, 1) if state is ApplicationState.RECOMMENDED else reviews
                for i in range(wanted):
                    review.add_expert_review(
                        reviewer,
                        application,
                        version=application.version_id,
                        expert_name=f"专家{i}",
                        recused=False,
                        score=4,
                        recommendation="recommend",
                    )
            elif step == "recommend":
                review.recommend_application(reviewer, application, version=version)
            elif step == "reject":
                review.reject_application(reviewer, application, version=version, reason="不属于创新产品。")
            elif step == "return":
                review.return_application(reviewer, application, version=version, comment="请补充材料。")
            elif step == "withdraw":
                applications.withdraw_application(applicant, application, "产品改型，下批再报")
            db.session.commit()
        return application

    return make
