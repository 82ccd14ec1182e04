"""Catalogue eligibility settings (DESIGN §4, §6): the admin form and `flask catalogue create`."""

from datetime import date

import pytest

from portal.accounts.models import Role
from portal.catalogue.models import Catalogue

FORM = {"code": "SH-NEW", "name": "新目录", "scope": "city", "district": "", "deadline_days": 30, "notice_days": 7}


def _catalogue(db, code):
    return db.session.scalar(db.select(Catalogue).where(Catalogue.code == code))


def test_admin_sets_eligibility_rules(client, login_as, db, make_catalogue):
    login_as(Role.ADMIN)
    data = {
        **FORM,
        "allows_class_one": "y",
        "allowed_product_types": ["device", "ivd"],
        "first_approval_cutoff": "2019-01-01",
    }
    assert client.post("/admin/catalogues/new", data=data).status_code == 302
    catalogue = _catalogue(db, "SH-NEW")
    assert catalogue.allows_class_one is True
    assert catalogue.allowed_product_types == ["device", "ivd"]
    assert catalogue.first_approval_cutoff == date(2019, 1, 1)
    page = client.get(f"/admin/catalogues/{catalogue.id}").get_data(as_text=True)
    assert 'value="2019-01-01"' in page and "可申报的产品类型" in page
    edited = {**data, "allowed_product_types": ["drug"], "first_approval_cutoff": ""}
    assert client.post(f"/admin/catalogues/{catalogue.id}", data=edited).status_code == 302
    db.session.refresh(catalogue)
    assert (catalogue.allowed_product_types, catalogue.first_approval_cutoff) == (["drug"], None)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"deadline_days": 0}, "评估期限应在 1 到 365 天之间"),
        ({"deadline_days": 400}, "评估期限应在 1 到 365 天之间"),
        ({"notice_days": 0}, "公示期应在 1 到 60 天之间"),
        ({"deadline_days": ""}, "请输入评估期限（1 到 365 天）"),
        ({"allowed_product_types": []}, "请至少选择一种可申报的产品类型"),
        ({"allowed_product_types": ["robot"]}, "产品类型「robot」无法识别"),
        ({"first_approval_cutoff": "2999-01-01"}, "晚于今天"),
    ],
)
def test_admin_form_names_the_wrong_setting(client, login_as, db, changes, message):
    login_as(Role.ADMIN)
    response = client.post("/admin/catalogues/new", data={**FORM, "allowed_product_types": ["device"], **changes})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and message in body
    assert "请输入评估期限。" not in body
    assert _catalogue(db, "SH-NEW") is None


def _create(app, *args):
    base = ["--code", "BS-X", "--name", "宝山区目录", "--scope", "district", "--district", "宝山区"]
    return app.test_cli_runner().invoke(args=["catalogue", "create", *(args if "--code" in args else [*base, *args])])


def test_cli_creates_catalogue_with_rules(app, db):
    result = _create(app, "--allow-class-one", "--first-approved-after", "2020-06-01", "--product-types", "ivd,device")
    assert result.exit_code == 0, result.output
    catalogue = _catalogue(db, "BS-X")
    assert catalogue.allows_class_one and catalogue.first_approval_cutoff == date(2020, 6, 1)
    assert catalogue.allowed_product_types == ["device", "ivd"]
    default = _create(app, "--code", "SH-D", "--name", "市目录", "--scope", "city")
    assert default.exit_code == 0
    assert _catalogue(db, "SH-D").allowed_product_types == ["device", "ivd", "drug"]
    assert not _catalogue(db, "SH-D").allows_class_one and _catalogue(db, "SH-D").first_approval_cutoff is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--product-types", "device,pill"], "产品类型「pill」无法识别"),
        (["--first-approved-after", "2020-13-01"], "--first-approved-after「2020-13-01」不是有效日期"),
        (["--deadline-days", "0"], "评估期限应在 1 到 365 天之间"),
    ],
)
def test_cli_names_the_wrong_option(app, db, args, message):
    result = _create(app, *args)
    assert result.exit_code != 0 and message in result.output
    assert _catalogue(db, "BS-X") is None
