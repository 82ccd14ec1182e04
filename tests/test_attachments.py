"""PDF attachments: checked by content and size, stored under server-chosen names outside static/, served with
nosniff as attachments, and only to those allowed (404 for everyone else, never revealing existence)."""

import hashlib
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.catalogue.models import Entry
from portal.core.errors import DomainError
from portal.extensions import db as _db
from portal.products import storage
from portal.products.models import Attachment, AttachmentChunk
from portal.products.permissions import can_download
from portal.products.storage import store_pdf
from tests.conftest import login
from tests.factories import PDF, field_errors, imported_batch, make_pdf_upload, product_form

SMALL_LIMIT = 2048


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PORTAL_UPLOAD_MAX_BYTES": SMALL_LIMIT}


def _files(app) -> list[Path]:
    folder = Path(app.config["PORTAL_UPLOAD_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


def _stored(app) -> list:
    """Whatever holds attachment bytes: files in the upload folder, or attachments with chunk rows."""
    ids = _db.session.scalars(select(AttachmentChunk.attachment_id).distinct()).all()
    return _files(app) + list(ids)


def _upload(client, product, data, filename="材料.pdf", kind="注册证"):
    return client.post(
        f"/products/{product.id}/attachments",
        data={"kind": kind, "file": (BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_upload_stores_a_pdf_under_a_random_name_outside_static(app, client, login_as, make_product, db):
    user = login_as(Role.MANUFACTURER)
    product = make_product(user.company)
    response = _upload(client, product, PDF, filename="../../注册证 扫描件.pdf")
    assert response.status_code == 302
    attachment = db.session.scalar(select(Attachment))
    assert attachment.kind == "注册证" and attachment.product_id == product.id
    assert attachment.company_id == user.company_id and attachment.uploaded_by_id == user.id
    assert attachment.original_name == "注册证 扫描件.pdf"  # no path kept
    assert attachment.size == len(PDF) and attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    if storage.in_database():  # PostgreSQL: in the database, so that every app node can serve it
        assert _files(app) == []
        chunks = db.session.scalars(select(AttachmentChunk).where(AttachmentChunk.attachment_id == attachment.id))
        assert b"".join(c.data for c in chunks) == PDF
        return
    [stored] = _files(app)
    assert stored.name == attachment.stored_name and len(stored.stem) == 32 and "注册证" not in stored.name
    assert stored.read_bytes() == PDF
    assert "static" not in str(stored.resolve().relative_to(Path(app.config["PORTAL_UPLOAD_DIR"]).resolve().parent))


def test_content_decides_not_the_name(client, login_as, make_product, db):
    user = login_as(Role.MANUFACTURER)
    product = make_product(user.company)
    assert _upload(client, product, PDF, filename="scan.txt").status_code == 302  # a PDF with another name is fine
    response = _upload(client, product, b"<html><script>alert(1)</script></html>", filename="evil.pdf")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert any("不是 PDF 文件" in e for e in field_errors(html, "file"))
    assert db.session.scalar(select(Attachment.original_name)) == "scan.txt.pdf"
    assert len(db.session.scalars(select(Attachment)).all()) == 1


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"%PDF-" + b"x" * SMALL_LIMIT, "超过 2 KB 上限"),
        (b"", "是空的"),
        (b"PK\x03\x04 a zip file", "不是 PDF 文件"),
    ],
)
def test_refused_files_leave_nothing_behind_and_keep_the_choice(app, client, login_as, make_product, db, data, words):
    user = login_as(Role.MANUFACTURER)
    product = make_product(user.company)
    response = _upload(client, product, data, kind="临床价值证明材料")
    html = response.get_data(as_text=True)
    assert any(words in e for e in field_errors(html, "file")), field_errors(html, "file")
    assert '<option selected value="临床价值证明材料">' in html  # the chosen kind is kept
    assert db.session.scalar(select(Attachment)) is None
    assert _stored(app) == []


def test_unknown_kind_is_refused(client, login_as, make_product, db):
    user = login_as(Role.MANUFACTURER)
    response = _upload(client, make_product(user.company), PDF, kind="随便什么")
    assert "请从列表中选择附件类型" in response.get_data(as_text=True)
    assert db.session.scalar(select(Attachment)) is None


def test_bad_file_on_the_product_form_keeps_every_typed_field(app, client, login_as, db):
    login_as(Role.MANUFACTURER)
    data = product_form(name="我输入的产品名", model="我输入的型号", indications="我输入的适用范围")
    data["upload_certificate"] = (BytesIO(b"not a pdf at all"), "证书.pdf")
    data["upload_clinical"] = (BytesIO(PDF), "临床.pdf")
    response = client.post("/products/new", data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert any("不是 PDF 文件" in e for e in field_errors(html, "upload_certificate"))
    assert any("请重新选择" in e for e in field_errors(html, "upload_clinical"))
    for typed in ("我输入的产品名", "我输入的型号", "我输入的适用范围", "国械注准20213010563"):
        assert typed in html
    assert db.session.scalar(select(Attachment)) is None
    assert _stored(app) == []  # the good file written before the bad one was removed with the rollback


def test_product_form_uploads_with_the_product(client, login_as, db):
    login_as(Role.MANUFACTURER)
    data = product_form()
    data["upload_certificate"] = (BytesIO(PDF), "证书.pdf")
    response = client.post("/products/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.scalar(select(Attachment.kind)) == "注册证"


def test_store_pdf_rollback_removes_the_file(app, db, make_product):
    product = make_product()
    store_pdf(None, make_pdf_upload(), "注册证", product=product)
    assert len(_stored(app)) == 1
    db.session.rollback()
    assert _stored(app) == []
    with pytest.raises(DomainError) as refused:
        store_pdf(None, make_pdf_upload(b"%PDF-" + b"0" * SMALL_LIMIT), "注册证", product=product)
    assert refused.value.field == "file" and "2 KB" in refused.value.message


def test_download_headers(client, login_as, make_product, add_pdf):
    user = login_as(Role.MANUFACTURER)
    attachment = add_pdf(make_product(user.company), "注册证", filename="注册证书.pdf")
    response = client.get(f"/attachments/{attachment.id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E6%B3%A8%E5%86%8C%E8%AF%81%E4%B9%A6.pdf" in disposition
    inline = client.get(f"/attachments/{attachment.id}?inline=1")
    assert inline.headers["Content-Disposition"].startswith("inline")
    assert inline.headers["Content-Security-Policy"] == "sandbox"
    assert inline.headers["X-Content-Type-Options"] == "nosniff"


@pytest.fixture
def scene(db, make_company, make_user, make_catalogue, make_product, add_pdf, make_batch, make_application):
    """Company A's product applied to catalogue X; a listed product of A; users of every kind."""
    company_a, company_b = make_company(), make_company()
    catalogue_x, catalogue_y = make_catalogue(), make_catalogue()
    applied = make_product(company_a)
    make_application(make_batch(catalogue_x), applied)
    listed = make_product(company_a)
    batch = imported_batch(catalogue_x, "第一批", date(2026, 1, 1))
    db.session.add(
        Entry(
            catalogue_id=catalogue_x.id,
            batch=batch,
            product=listed,
            listed_on=date(2026, 1, 1),
            product_name=listed.name,
            registration_no=listed.registration_no,
            manufacturer=company_a.name,
            product_type="device",
        )
    )
    db.session.commit()
    return {
        "applied_cert": add_pdf(applied, "注册证"),
        "listed_cert": add_pdf(listed, "注册证"),
        "listed_evidence": add_pdf(listed, "创新性证明材料"),
        "a": make_user(Role.MANUFACTURER, company=company_a),
        "b": make_user(Role.MANUFACTURER, company=company_b),
        "reviewer_x": make_user(Role.REVIEWER, catalogues=[catalogue_x]),
        "reviewer_y": make_user(Role.REVIEWER, catalogues=[catalogue_y]),
        "hospital": make_user(Role.HOSPITAL),
        "admin": make_user(Role.ADMIN),
    }


# attachment -> who may download it (everyone else gets 404)
MATRIX = {
    "applied_cert": {"a", "reviewer_x", "admin"},
    "listed_cert": {"a", "reviewer_x", "admin", "b", "reviewer_y", "hospital", "anonymous"},
    "listed_evidence": {"a", "admin"},
}


@pytest.mark.parametrize("attachment_key", sorted(MATRIX))
def test_who_may_download(app, scene, attachment_key):
    attachment = scene[attachment_key]
    for who in ("a", "b", "reviewer_x", "reviewer_y", "hospital", "admin", "anonymous"):
        client = app.test_client()
        if who != "anonymous":
            assert login(client, scene[who].email).status_code == 302
            assert can_download(scene[who], attachment) == (who in MATRIX[attachment_key])
        status = client.get(f"/attachments/{attachment.id}").status_code
        assert status == (200 if who in MATRIX[attachment_key] else 404), (who, status)


def test_guessed_ids_and_missing_ones_look_the_same(app, scene):
    client = app.test_client()
    login(client, scene["b"].email)
    hidden = client.get(f"/attachments/{scene['applied_cert'].id}")
    missing = client.get("/attachments/987654")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_data(as_text=True) == missing.get_data(as_text=True)


def test_retired_attachment_leaves_the_product_but_stays_downloadable(client, login_as, make_product, add_pdf, db):
    user = login_as(Role.MANUFACTURER)
    product = make_product(user.company)
    attachment = add_pdf(product, "注册证", filename="旧证书.pdf")
    response = client.post(f"/products/{product.id}/attachments/{attachment.id}/retire")
    assert response.status_code == 302
    assert attachment.retired_at is not None and product.current_attachments == []
    assert f'href="/attachments/{attachment.id}"' not in client.get(f"/products/{product.id}").get_data(as_text=True)
    assert client.get(f"/attachments/{attachment.id}").status_code == 200


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(storage, "DB_CHUNK", 100)


def test_a_file_of_many_chunks_streams_back_whole(app, client, login_as, make_product, small_chunks, db):
    user = login_as(Role.MANUFACTURER)
    data = b"%PDF-" + bytes(range(256)) * 7  # 1797 bytes: 18 chunks of 100 on PostgreSQL
    assert _upload(client, make_product(user.company), data).status_code == 302
    attachment = db.session.scalar(select(Attachment))
    response = client.get(f"/attachments/{attachment.id}")
    assert response.status_code == 200 and response.data == data
    assert response.headers["Content-Length"] == str(len(data))
    assert response.headers["ETag"] == f'"{attachment.sha256}"'
    if storage.in_database():
        assert db.session.scalar(select(_db.func.count(AttachmentChunk.seq))) == 18
    again = client.get(f"/attachments/{attachment.id}", headers={"If-None-Match": f'"{attachment.sha256}"'})
    assert again.status_code == 304


def test_a_crash_while_storing_leaves_no_row_and_no_bytes(app, db, make_product, small_chunks, monkeypatch):
    product = make_product()
    real_execute = db.session.execute
    calls = {"n": 0}

    def dying_execute(statement, *args, **kwargs):
        if getattr(getattr(statement, "table", None), "name", None) == "attachment_chunk":
            calls["n"] += 1
            if calls["n"] == 3:
                raise OSError("connection lost half-way")
        return real_execute(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "execute", dying_execute)
    data = b"%PDF-" + b"1" * 900
    if storage.in_database():
        with pytest.raises(OSError):
            store_pdf(None, make_pdf_upload(data), "注册证", product=product)
    else:
        store_pdf(None, make_pdf_upload(data), "注册证", product=product)
    db.session.rollback()  # what the request's teardown does
    monkeypatch.undo()
    assert db.session.scalar(select(Attachment)) is None
    assert _stored(app) == []
