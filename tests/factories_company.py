"""Factories for the company side (products, attachments, batches, applications). Import the fixtures with
`from tests.factories_company import *` in a test module."""

import itertools
import re
from datetime import date, timedelta
from io import BytesIO

import pytest
from werkzeug.datastructures import FileStorage

from portal.accounts.models import Role
from portal.applications.models import Application
from portal.catalogue.models import Batch
from portal.core import timeutil
from portal.products.models import DeviceClass, InnovativeReview, Product, ProductType, Track
from portal.products.samples import minimal_pdf
from portal.workflow import ApplicationState, BatchState

__all__ = [
    "PDF",
    "field_errors",
    "make_application",
    "make_batch",
    "make_pdf_upload",
    "make_product",
    "add_pdf",
    "company_user",
    "complete_product",
    "product_form",
]

PDF = minimal_pdf("test")
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
        for kind in ("注册证", "创新性证明材料", "临床价值证明材料"):
            add_pdf(product, kind)
        return product

    return make


@pytest.fixture
def make_batch(db, make_catalogue):
    def make(catalogue=None, state=BatchState.OPEN, closes_in_days=10, **kw) -> Batch:
        now = timeutil.utcnow()
        batch = Batch(
            catalogue=catalogue or make_catalogue(),
            name=kw.pop("name", f"第{next(_serial)}批"),
            state=state,
            opens_at=now - timedelta(days=5),
            closes_at=now + timedelta(days=closes_in_days),
            **kw,
        )
        db.session.add(batch)
        db.session.commit()
        return batch

    return make


@pytest.fixture
def make_application(db):
    def make(product, batch, state=ApplicationState.DRAFT, statement="本产品具有显著的临床价值。") -> Application:
        application = Application(
            product=product, batch=batch, company_id=product.company_id, state=state, statement=statement
        )
        db.session.add(application)
        db.session.commit()
        return application

    return make


@pytest.fixture
def company_user(make_user):
    def make(company=None, **kw):
        if company is not None:
            kw["company"] = company
        return make_user(Role.MANUFACTURER, **kw)

    return make
