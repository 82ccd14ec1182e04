"""The web import: upload an official spreadsheet, preview every row's errors, confirm, progress; nothing is
written before the confirmation."""

import io
import os
import re
import time
from pathlib import Path

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.catalogue.models import Batch, Entry
from portal.directory.models import Hospital
from portal.imports import services, staging
from portal.products.models import Product
from tests.spreadsheets import official_workbook
from tests.test_tabular import HEADER, _rows


def _plain_rows():
    rows = _rows()
    rows[1][1] = "uSONIQUE 80"  # no formula: openpyxl cannot save its result
    return rows


def _count(db, model):
    return db.session.scalar(db.select(db.func.count(model.id)))


def _workbook(tmp_path, rows=None, header=HEADER, name="第五批.xlsx"):
    path, _ = official_workbook(tmp_path / name, "上海市新优药械产品目录（第五批）", header, rows or _plain_rows())
    return Path(path).read_bytes()


def _upload(client, body, filename="第五批.xlsx", **fields):
    data = {"kind": "catalogue", "catalogue": "SH-WEB", "batch": "第五批", "file": (io.BytesIO(body), filename)}
    return client.post("/imports/new", data={**data, **fields}, content_type="multipart/form-data")


def _token(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return re.search(r"/imports/([A-Za-z0-9_-]{32})$", response.headers["Location"]).group(1)


def _staged_files(app):
    folder = Path(app.config["PORTAL_UPLOAD_DIR"]) / "imports"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_reviewer_previews_then_confirms(app, db, client, login_as, make_catalogue, tmp_path):
    catalogue = make_catalogue(code="SH-WEB")
    login_as(Role.REVIEWER, catalogues=[catalogue])
    token = _token(_upload(client, _workbook(tmp_path)))
    page = client.get(f"/imports/{token}").get_data(as_text=True)
    assert "检查通过：共 3 行" in page and "超导磁共振成像系统" in page and "确认导入" in page
    assert [_count(db, m) for m in (Batch, Product, Entry)] == [0, 0, 0]  # nothing written before confirming
    assert client.get(f"/imports/{token}/progress").get_json() == {"done": 0, "total": 0}
    response = client.post(f"/imports/{token}/confirm")
    assert response.status_code == 302
    assert "新增产品 3，新增条目 3" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert [_count(db, m) for m in (Batch, Product, Entry)] == [1, 3, 3]
    audit = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "catalogue.import"))
    assert audit.comment == "导入 第五批.xlsx"
    assert _staged_files(app) == [] and client.get(f"/imports/{token}").status_code == 404


def test_every_bad_row_is_shown_and_nothing_can_be_confirmed(db, client, login_as, make_catalogue, tmp_path):
    catalogue = make_catalogue(code="SH-WEB")
    login_as(Role.REVIEWER, catalogues=[catalogue])
    rows = _plain_rows()
    rows[0][2] = "国食药监械(准)字2012第3460111号"
    rows[2][9] = "2025年2月30日"
    token = _token(_upload(client, _workbook(tmp_path, rows)))
    page = client.get(f"/imports/{token}").get_data(as_text=True)
    assert "文件中有 2 处错误" in page and "确认导入" not in page
    assert re.search(r"第 4 行</td><td>注册证编号</td><td>[^<]*旧版注册证编号", page)
    assert re.search(r"第 6 行</td><td>获批日期</td><td>[^<]*不是有效日期", page)
    assert client.post(f"/imports/{token}/confirm").status_code == 409
    assert [_count(db, m) for m in (Batch, Product, Entry)] == [0, 0, 0]


def test_file_level_problems_and_options_are_named(client, login_as, make_catalogue, tmp_path):
    mine, other = make_catalogue(code="SH-WEB"), make_catalogue(code="SH-OTHER")
    login_as(Role.REVIEWER, catalogues=[mine])
    refused = _upload(client, _workbook(tmp_path), catalogue=other.code).get_data(as_text=True)
    assert "请选择您负责的目录" in refused
    assert "只能导入 .xlsx 或 .csv 文件" in _upload(client, b"%PDF-1.4", filename="a.pdf").get_data(as_text=True)
    assert "请输入批次名称" in _upload(client, _workbook(tmp_path), batch="").get_data(as_text=True)
    token = _token(_upload(client, _workbook(tmp_path, header=["产品名称", "型号规格"], rows=[["甲", "乙"]])))
    assert "缺少列 注册证编号" in client.get(f"/imports/{token}").get_data(as_text=True)
    token = _token(_upload(client, b"PK\x03\x04 not really a workbook", filename="renamed.xlsx"))
    assert "不是有效的 .xlsx 文件" in client.get(f"/imports/{token}").get_data(as_text=True)


def test_staged_upload_belongs_to_its_uploader(app, client, login_as, make_user, make_catalogue, tmp_path):
    catalogue = make_catalogue(code="SH-WEB")
    login_as(Role.REVIEWER, catalogues=[catalogue])
    token = _token(_upload(client, _workbook(tmp_path)))
    client.post("/logout")
    login_as(Role.REVIEWER, catalogues=[catalogue])
    assert client.get(f"/imports/{token}").status_code == 404
    assert client.post(f"/imports/{token}/confirm").status_code == 404
    client.post("/logout")
    login_as(Role.HOSPITAL)
    assert client.get("/imports/new").status_code == 403


def test_admin_imports_hospitals_and_progress_is_reported(app, db, client, login_as, tmp_path):
    admin = login_as(Role.ADMIN)
    form = client.get("/imports/new").get_data(as_text=True)
    assert "医疗机构名单" in form and 'enctype="multipart/form-data"' in form
    rows = [[f"上海市第{n}人民医院", "徐汇区", "三级", "是"] for n in range(1, 41)]
    body = _workbook(tmp_path, rows, header=["医院名称", "区", "级别", "是否公立"], name="h.xlsx")
    token = _token(_upload(client, body, filename="医疗机构.xlsx", kind="hospitals"))
    assert "检查通过：共 40 行" in client.get(f"/imports/{token}").get_data(as_text=True)
    assert _count(db, Hospital) == 0
    staged = staging.load(admin, token)
    assert "新增 40" in services.confirm(admin, staged)
    assert staging.progress(staged) == {"done": 40, "total": 40}
    db.session.commit()
    assert _count(db, Hospital) == 40


def test_unconfirmed_uploads_are_forgotten_after_a_day(app, client, login_as, make_catalogue, tmp_path):
    login_as(Role.REVIEWER, catalogues=[make_catalogue(code="SH-WEB")])
    old = _token(_upload(client, _workbook(tmp_path)))
    two_days_ago = time.time() - 2 * 86400
    for name in _staged_files(app):
        os.utime(Path(app.config["PORTAL_UPLOAD_DIR"]) / "imports" / name, (two_days_ago, two_days_ago))
    new = _token(_upload(client, _workbook(tmp_path)))
    assert all(name.startswith(new) for name in _staged_files(app))
    assert client.get(f"/imports/{old}").status_code == 404
