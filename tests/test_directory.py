"""Companies (统一社会信用代码 with its check character), hospitals, and the hospital import."""

import csv

import pytest
from openpyxl import Workbook

from portal.accounts.models import Role
from portal.directory.models import Company, Hospital, HospitalLevel
from tests.conftest import make_uscc


def _write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _write_xlsx(path, rows):
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


HEADER = ["医院名称", "区", "级别", "是否公立"]
GOOD = [
    HEADER,
    ["上海市第一人民医院", "虹口区", "三级", "是"],
    ["上海市宝山区罗店医院", "宝山区", "二级", "是"],
    ["上海和睦家医院", "长宁区", "二级", "否"],
]


def _import(app, path):
    return app.test_cli_runner().invoke(args=["hospitals", "import", str(path)])


@pytest.mark.parametrize("writer", [_write_csv, _write_xlsx])
def test_import_hospitals_csv_and_xlsx(app, db, tmp_path, writer):
    path = writer(tmp_path / ("h.csv" if writer is _write_csv else "h.xlsx"), GOOD)
    result = _import(app, path)
    assert result.exit_code == 0, result.output
    assert "新增 3" in result.output
    hospitals = {h.name: h for h in db.session.scalars(db.select(Hospital))}
    assert hospitals["上海市宝山区罗店医院"].level is HospitalLevel.SECONDARY
    assert hospitals["上海和睦家医院"].is_public is False
    again = _import(app, path)
    assert "未变化 3" in again.output
    assert db.session.scalar(db.select(db.func.count(Hospital.id))) == 3


@pytest.mark.parametrize(
    ("bad_row", "expected"),
    [
        (["上海市第十人民医院", "浦西区", "三级", "是"], "第 3 行「区」列"),
        (["上海市第十人民医院", "静安区", "特级", "是"], "第 3 行「级别」列"),
        (["上海市第十人民医院", "静安区", "三级", "Y"], "第 3 行「是否公立」列"),
        (["", "静安区", "三级", "是"], "第 3 行「医院名称」列：不能为空"),
        (["上海市第一人民医院", "虹口区", "三级", "是"], "与第 2 行重复"),
    ],
)
def test_import_with_a_bad_row_imports_nothing(app, db, tmp_path, bad_row, expected):
    path = _write_csv(tmp_path / "bad.csv", [HEADER, GOOD[1], bad_row, GOOD[2]])
    result = _import(app, path)
    assert result.exit_code != 0
    assert expected in result.output and "未导入任何数据" in result.output
    assert db.session.scalar(db.select(db.func.count(Hospital.id))) == 0


def test_import_names_missing_columns(app, tmp_path):
    result = _import(app, _write_csv(tmp_path / "x.csv", [["医院名称", "区"], ["甲", "徐汇区"]]))
    assert "缺少列 级别、是否公立" in result.output


def test_admin_creates_company_with_valid_uscc(client, login_as, db):
    login_as(Role.ADMIN)
    response = client.post(
        "/admin/companies/new",
        data={"uscc": "91350100M000100Y43", "name": "上海测试医疗器械有限公司", "district": "宝山区"},
    )
    assert response.status_code == 302
    assert db.session.scalar(db.select(Company.name).where(Company.uscc == "91350100M000100Y43"))


def test_wrong_check_character_is_named_and_input_kept(client, login_as, db):
    login_as(Role.ADMIN)
    response = client.post(
        "/admin/companies/new",
        data={"uscc": "91350100M000100Y44", "name": "上海输入保留医疗有限公司", "district": "宝山区"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "校验位" in body
    assert "上海输入保留医疗有限公司" in body
    assert db.session.scalar(db.select(db.func.count(Company.id))) == 0


def test_duplicate_uscc_is_refused(client, login_as, make_company):
    login_as(Role.ADMIN)
    existing = make_company(uscc=make_uscc(777))
    response = client.post("/admin/companies/new", data={"uscc": existing.uscc, "name": "另一家公司", "district": ""})
    assert "已存在相同统一社会信用代码" in response.get_data(as_text=True)


def test_admin_creates_hospital_and_catalogue(client, login_as, db):
    login_as(Role.ADMIN)
    assert (
        client.post(
            "/admin/hospitals/new",
            data={"name": "上海市宝山区大场医院", "district": "宝山区", "level": "secondary", "is_public": "y"},
        ).status_code
        == 302
    )
    response = client.post(
        "/admin/catalogues/new",
        data={
            "code": "BS-2",
            "name": "宝山区目录",
            "scope": "district",
            "district": "",
            "deadline_days": 15,
            "notice_days": 7,
            "allowed_product_types": ["device", "ivd", "drug"],
        },
    )
    assert "区级目录必须选择上海市的一个区" in response.get_data(as_text=True)
    response = client.post(
        "/admin/catalogues/new",
        data={
            "code": "BS-2",
            "name": "宝山区目录",
            "scope": "district",
            "district": "宝山区",
            "deadline_days": 15,
            "notice_days": 7,
            "allowed_product_types": ["device", "ivd", "drug"],
        },
    )
    assert response.status_code == 302


def test_admin_creates_users_with_scope(client, login_as, make_company, db):
    from portal.accounts.models import User

    login_as(Role.ADMIN)
    company = make_company()
    response = client.post(
        "/admin/users/new",
        data={
            "email": "new@company.cn",
            "role": "manufacturer",
            "company_id": 0,
            "hospital_id": 0,
            "password": "a-good-password-1",
        },
    )
    assert "企业用户必须关联一个企业" in response.get_data(as_text=True)
    response = client.post(
        "/admin/users/new",
        data={
            "email": "new@company.cn",
            "role": "manufacturer",
            "company_id": company.id,
            "hospital_id": 0,
            "password": "a-good-password-1",
        },
    )
    assert response.status_code == 302
    assert db.session.scalar(db.select(User).where(User.email == "new@company.cn")).company_id == company.id


def test_cli_users_create(app, db, make_company):
    from portal.accounts.models import User

    company = make_company()
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--email",
            "cli@company.cn",
            "--role",
            "manufacturer",
            "--company",
            company.uscc,
            "--password-stdin",
        ],
        input="a-good-password-1\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(User).where(User.email == "cli@company.cn")).company_id == company.id
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "cli2@company.cn", "--role", "hospital", "--password-stdin"],
        input="a-good-password-1\n",
    )
    assert result.exit_code != 0 and "医院用户必须关联一家医疗机构" in result.output


def test_cli_catalogue_create(app, db):
    from portal.catalogue.models import Catalogue

    result = app.test_cli_runner().invoke(
        args=[
            "catalogue",
            "create",
            "--code",
            "BS-CX",
            "--name",
            "宝山区创新药械产品推荐目录",
            "--scope",
            "district",
            "--district",
            "宝山区",
            "--deadline-days",
            "15",
        ]
    )
    assert result.exit_code == 0, result.output
    catalogue = db.session.scalar(db.select(Catalogue).where(Catalogue.code == "BS-CX"))
    assert catalogue.deadline_days == 15 and catalogue.district == "宝山区"
