"""Public notice and objections: the public page, named objections with checks, the rate limit, evidence PDFs,
and the reviewer's resolution (upheld → the application is rejected; dismissed with a reason)."""

import io

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.notifications.models import Notification
from portal.objections import services
from portal.objections.models import Objection
from portal.products.models import Attachment
from portal.workflow import ApplicationState, BatchState, ObjectionState
from tests.conftest import login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def on_notice(db, make_batch, make_application, advance_batch):
    batch = make_batch()
    recommended = make_application(batch, state=ApplicationState.RECOMMENDED)
    rejected = make_application(batch, state=ApplicationState.REJECTED)
    advance_batch(batch, BatchState.PUBLIC_NOTICE, notice_running=True)
    return batch, recommended, rejected


def _form(application, **overrides):
    data = {
        "application_id": str(application.id),
        "name": "王建国",
        "phone": "138 0123 4567",
        "organisation": "某某医院",
        "reason": "该产品的创新性证明材料与实际不符，请核实。",
    }
    data.update(overrides)
    return data


def test_public_notice_lists_only_recommended_and_the_period(client, on_notice):
    batch, recommended, rejected = on_notice
    page = client.get(f"/notices/{batch.id}").get_data(as_text=True)
    assert recommended.product.name in page and rejected.product.name not in page
    assert "公示期" in page and "提出异议" in page
    assert batch.name in client.get("/notices").get_data(as_text=True)


def test_batches_not_on_notice_are_not_public(client, make_batch):
    batch = make_batch(state=BatchState.REVIEWING)
    assert client.get(f"/notices/{batch.id}").status_code == 404
    assert client.post(f"/notices/{batch.id}/objection", data={}).status_code == 404


def test_visitor_files_named_objection(client, db, on_notice):
    batch, recommended, _ = on_notice
    response = client.post(f"/notices/{batch.id}/objection", data=_form(recommended))
    assert response.status_code == 302
    objection = db.session.scalar(select(Objection))
    assert objection.state is ObjectionState.OPEN and objection.application_id == recommended.id
    assert objection.phone == "13801234567" and objection.ip == "127.0.0.1"
    assert "异议已提交" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_incomplete_objection_shows_every_field_error_and_keeps_input(client, db, on_notice):
    batch, recommended, _ = on_notice
    response = client.post(
        f"/notices/{batch.id}/objection", data=_form(recommended, name="匿名", phone="12345", reason="太贵")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "匿名异议不予受理" in page
    assert "11 位手机号" in page
    assert "至少 10 个字" in page
    assert 'value="12345"' in page and "太贵" in page
    assert db.session.scalar(select(func.count(Objection.id))) == 0


def test_empty_name_is_refused(client, db, on_notice):
    batch, recommended, _ = on_notice
    response = client.post(f"/notices/{batch.id}/objection", data=_form(recommended, name=""))
    assert response.status_code == 400 and "真实姓名" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("021-62345678", "021-62345678"),
        ("0755 23456789", "075523456789"),
        ("021-62345678-123", "021-62345678-123"),
        ("12812345678", None),
        ("62345678", None),
        ("abc", None),
    ],
)
def test_phone_formats(raw, expected):
    assert services.normalise_phone(raw) == expected


def test_objection_outside_notice_period_is_refused(client, db, make_batch, make_application, advance_batch):
    batch = make_batch()
    recommended = make_application(batch, state=ApplicationState.RECOMMENDED)
    advance_batch(batch, BatchState.PUBLIC_NOTICE)  # notice already over
    response = client.post(f"/notices/{batch.id}/objection", data=_form(recommended))
    assert response.status_code == 409 and "不在公示期内" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Objection.id))) == 0


def test_objection_against_application_not_on_the_list_is_refused(db, on_notice):
    batch, _, rejected = on_notice
    with pytest.raises(services.DomainError, match="公示名单"):
        services.file_objection(batch, ip=None, **_form(rejected))


def test_objections_are_rate_limited_per_ip(client, db, on_notice):
    batch, recommended, _ = on_notice
    for _ in range(5):
        assert client.post(f"/notices/{batch.id}/objection", data=_form(recommended)).status_code == 302
    response = client.post(f"/notices/{batch.id}/objection", data=_form(recommended))
    assert response.status_code == 429 and "每小时最多提交 5 条异议" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Objection.id))) == 5
    # another address is not affected
    other = client.post(
        f"/notices/{batch.id}/objection", data=_form(recommended), environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert other.status_code == 302


def test_evidence_pdf_is_stored_with_the_objection(client, db, on_notice):
    batch, recommended, _ = on_notice
    data = _form(recommended, evidence=(io.BytesIO(PDF), "证据.pdf"))
    response = client.post(f"/notices/{batch.id}/objection", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    objection = db.session.scalar(select(Objection))
    attachment = db.session.scalar(select(Attachment).where(Attachment.objection_id == objection.id))
    assert attachment is not None and attachment.kind == "异议证据" and attachment.size == len(PDF)


def test_evidence_that_is_not_a_pdf_is_refused_beside_the_field(client, db, on_notice):
    batch, recommended, _ = on_notice
    data = _form(recommended, evidence=(io.BytesIO(b"MZ not a pdf"), "virus.pdf"))
    response = client.post(f"/notices/{batch.id}/objection", data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and "不是 PDF" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Objection.id))) == 0


# Resolution ------------------------------------------------------------------------------------------------


@pytest.fixture
def objection(db, on_notice):
    batch, recommended, _ = on_notice
    item = services.file_objection(batch, ip="10.1.1.1", **_form(recommended))
    db.session.commit()
    return item


def _resolve(client, objection, **data):
    prefix = f"o{objection.id}-"
    payload = {prefix + "version_id": objection.version_id, **{prefix + k: v for k, v in data.items()}}
    return client.post(f"/review/objections/{objection.id}/resolve", data=payload)


def test_dismissal_requires_a_reason(client, db, objection, make_user):
    reviewer = make_user(Role.REVIEWER, catalogues=[objection.batch.catalogue])
    login(client, reviewer.email)
    refused = _resolve(client, objection, decision="dismiss", resolution="")
    assert refused.status_code == 400 and "处理意见" in refused.get_data(as_text=True)
    assert objection.state is ObjectionState.OPEN
    ok = _resolve(client, objection, decision="dismiss", resolution="经核实，材料真实有效。")
    assert ok.status_code == 302
    assert objection.state is ObjectionState.DISMISSED and objection.resolved_by_id == reviewer.id
    assert objection.application.state is ApplicationState.RECOMMENDED


def test_upheld_objection_rejects_the_application_and_tells_the_company(client, db, objection, make_user):
    reviewer = make_user(Role.REVIEWER, catalogues=[objection.batch.catalogue])
    company_user = make_user(Role.MANUFACTURER, company=objection.application.company)
    login(client, reviewer.email)
    assert _resolve(client, objection, decision="uphold", resolution="证明材料存在虚假内容。").status_code == 302
    assert objection.state is ObjectionState.UPHELD
    assert objection.application.state is ApplicationState.REJECTED
    note = db.session.scalar(select(Notification).where(Notification.user_id == company_user.id))
    assert note is not None and "异议成立" in note.title
    page = client.get(f"/notices/{objection.batch_id}").get_data(as_text=True)
    assert objection.application.product.name not in page


def test_resolving_with_a_stale_form_is_refused(client, db, objection, make_user):
    reviewer = make_user(Role.REVIEWER, catalogues=[objection.batch.catalogue])
    login(client, reviewer.email)
    stale_version = objection.version_id
    assert _resolve(client, objection, decision="dismiss", resolution="理由充分。").status_code == 302
    response = client.post(
        f"/review/objections/{objection.id}/resolve",
        data={
            f"o{objection.id}-version_id": stale_version,
            f"o{objection.id}-decision": "uphold",
            f"o{objection.id}-resolution": "成立。",
        },
    )
    assert response.status_code == 303  # PRG: a refresh does not resend the stale decision
    assert "已被他人修改" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert objection.state is ObjectionState.DISMISSED


def test_reviewer_of_another_catalogue_cannot_resolve(client, db, objection, make_user):
    login(client, make_user(Role.REVIEWER).email)
    assert _resolve(client, objection, decision="uphold", resolution="x").status_code == 404
    assert objection.state is ObjectionState.OPEN
