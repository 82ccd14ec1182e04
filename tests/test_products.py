"""Products through the company's form: every registration-number rule reaches the right field, numbers are
stored normalised, type and class agree with the number, optimistic locking, and isolation between companies.

The parser itself is tested in tests/test_identifiers.py; here it is the integration that counts."""

import re

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.products.models import DeviceClass, Product, ProductType
from portal.workflow import ApplicationState
from tests.factories import field_errors, product_form

# (number as typed, product type, expected normalised number, expected class)
VALID = [
    ("国械注准２０２１３０１０５６３", "device", "国械注准20213010563", DeviceClass.III),  # full-width digits
    ("国械注准 2021 3 01 0563", "device", "国械注准20213010563", DeviceClass.III),  # spaces
    ("沪械注准20212190236", "device", "沪械注准20212190236", DeviceClass.II),  # provincial class II
    ("国械注进20213010563", "device", "国械注进20213010563", DeviceClass.III),  # imported
    ("国械注许20212010563", "device", "国械注许20212010563", DeviceClass.II),  # HK/Macao/Taiwan class II
    ("国械注准20213400058", "ivd", "国械注准20213400058", DeviceClass.III),  # IVD reagent, code 40
    ("沪械备20210012", "device", "沪械备20210012号", DeviceClass.I),  # class I filing, 号 added
    ("国药准字h20210002", "drug", "国药准字H20210002", None),  # drug, letter uppercased
    ("国药准字T20210002", "ivd", "国药准字T20210002", None),  # IVD approved as a drug
    ("国械注准20163460455", "device", "国械注准20163460455", DeviceClass.III),  # 2016: 2002 catalogue (6846)
    ("国械注准20163400123", "device", "国械注准20163400123", DeviceClass.III),  # 6840 covered analysers too
    ("国械注准20163400123", "ivd", "国械注准20163400123", DeviceClass.III),
    ("沪松械备20160021号", "device", "沪松械备20160021号", DeviceClass.I),  # district-level filing
    ("国械备20160012号", "device", "国械备20160012号", DeviceClass.I),  # imported class I
    ("国药准字HJ20190033", "drug", "国药准字HJ20190033", None),  # 2020 rules: imported
]

# (number, product type, field that shows the error, words the error must contain)
INVALID = [
    ("", "device", "registration_no", "请填写注册证编号"),
    ("ABC123", "device", "registration_no", "无法识别的编号格式"),
    ("京津械注准20213010563", "device", "registration_no", "发证机关「京津」无法识别"),
    ("械注准20213010563", "device", "registration_no", "缺少发证机关"),
    ("国械注X20213010563", "device", "registration_no", "准（境内）、进（进口）或 许（港澳台）"),
    ("沪械注进20212010563", "device", "registration_no", "只能由国家药监局（国）注册"),
    ("国械注准2021301056", "device", "registration_no", "应为11位数字"),
    ("国械注准2021301O563", "device", "registration_no", "不是数字"),
    ("国械注准20133010563", "device", "registration_no", "早于2014年"),
    ("国械注准20993010563", "device", "registration_no", "晚于当前年份"),
    ("国械注准20211010563", "device", "registration_no", "第一类医疗器械实行备案管理"),
    ("国械注准20214010563", "device", "registration_no", "管理类别应为2或3"),
    ("沪械注准20213010563", "device", "registration_no", "境内第三类医疗器械应由国家药监局"),
    ("国械注准20212010563", "device", "registration_no", "「国械注准」只能是第三类"),
    ("国械注准20213300563", "device", "registration_no", "分类编码应为01–22"),
    ("港械备20210012号", "device", "registration_no", "备案部门「港」无法识别"),
    ("国食药监械(准)字2012第3460111号", "device", "registration_no", "旧版注册证编号"),
    ("沪械备2021001号", "device", "registration_no", "应为8位数字"),
    ("国药准字X20210002", "drug", "registration_no", "类别字母"),
    ("国药准字H2021000", "drug", "registration_no", "8位数字"),
    # type and class must agree with the number
    ("国药准字H20210002", "device", "product_type", "是药品批准文号，产品类别应为「药品」"),
    ("国械注准20213010563", "drug", "product_type", "药品应填写药品批准文号"),
    ("沪械备20210012号", "drug", "product_type", "第一类医疗器械备案号"),
    ("国械注准20213400058", "device", "product_type", "产品类别应为「体外诊断试剂」"),
    ("国械注准20213010563", "ivd", "product_type", "不是体外诊断试剂"),
]


@pytest.fixture
def company_client(client, login_as):
    login_as(Role.MANUFACTURER)
    return client


@pytest.mark.parametrize(("number", "product_type", "normalised", "device_class"), VALID)
def test_valid_numbers_are_stored_normalised_with_their_class(
    company_client, db, number, product_type, normalised, device_class
):
    key_area = "创新药" if product_type == "drug" else "高端体外诊断" if product_type == "ivd" else "高端手术系统"
    review = "none" if product_type == "drug" else "national"
    response = company_client.post(
        "/products/new",
        data=product_form(
            registration_no=number,
            product_type=product_type,
            key_area=key_area,
            innovative_review=review,
            first_approved_on=re.search(r"20\d\d", normalised).group() + "-03-01",  # the number's year
        ),
    )
    assert response.status_code == 302, field_errors(response.get_data(as_text=True), "registration_no")
    product = db.session.scalar(select(Product))
    assert product.registration_no == normalised
    assert product.device_class == device_class
    assert product.product_type == ProductType(product_type)


@pytest.mark.parametrize(("number", "product_type", "field", "words"), INVALID)
def test_wrong_numbers_are_named_on_the_right_field(company_client, db, number, product_type, field, words):
    key_area = "创新药" if product_type == "drug" else ""
    response = company_client.post(
        "/products/new",
        data=product_form(
            registration_no=number,
            product_type=product_type,
            key_area=key_area,
            innovative_review="none",
            first_approved_on="2021-03-01",
        ),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    errors = field_errors(html, field)
    assert any(words in e for e in errors), (field, errors)
    assert db.session.scalar(select(Product)) is None
    # what was typed stays in the form
    assert "全膝关节置换手术导航定位系统" in html
    assert re.search(r'<input checked[^>]*value="骨科"', html)


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"device_class": "II"}, "device_class", "表示第三类医疗器械，您选择的是第二类"),
        (
            {
                "registration_no": "国药准字H20210002",
                "product_type": "drug",
                "device_class": "III",
                "key_area": "创新药",
                "innovative_review": "none",
            },
            "device_class",
            "药品没有医疗器械管理类别",
        ),
        ({"first_approved_on": "2020-07-05"}, "first_approved_on", "首次注册（备案）年份为2021年"),
        ({"first_approved_on": ""}, "first_approved_on", "请填写首次获批日期"),
        ({"key_area": "创新药"}, "key_area", "医疗器械请选择器械重点领域"),
        (
            {
                "registration_no": "国药准字H20210002",
                "product_type": "drug",
                "key_area": "高端手术系统",
                "innovative_review": "none",
            },
            "key_area",
            "药品的重点领域只能是",
        ),
        (
            {"registration_no": "国药准字H20210002", "product_type": "drug", "key_area": "创新药"},
            "innovative_review",
            "只适用于医疗器械",
        ),
        ({"departments": []}, "departments", "请至少选择一个适用科室"),
        ({"departments": ["不存在科"]}, "departments", "不在科室列表中"),
        ({"name": "  "}, "name", "请填写产品名称"),
        ({"price": "abc"}, "price", "不是有效的数字"),
        ({"price": "-1"}, "price", "不小于 0"),
        ({"product_type": ""}, "product_type", "请选择产品类别"),
    ],
)
def test_other_fields_are_checked_with_a_message_on_the_field(company_client, db, overrides, field, words):
    response = company_client.post("/products/new", data=product_form(**overrides))
    assert response.status_code == 200
    errors = field_errors(response.get_data(as_text=True), field)
    assert any(words in e for e in errors), errors
    assert db.session.scalar(select(Product)) is None


def test_several_wrong_fields_are_all_named(company_client):
    response = company_client.post(
        "/products/new", data=product_form(name="", registration_no="国械注准20133010563", departments=[])
    )
    html = response.get_data(as_text=True)
    assert field_errors(html, "name") and field_errors(html, "registration_no") and field_errors(html, "departments")


def test_create_product_redirects_to_its_page_and_is_audited(company_client, db):
    response = company_client.post("/products/new", data=product_form(price="1,280,000.5"))
    product = db.session.scalar(select(Product))
    assert response.status_code == 302 and response.headers["Location"] == f"/products/{product.id}"
    assert product.departments == ["骨科", "关节外科"] and str(product.price) == "1280000.50"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "product.created")).object_id == product.id
    page = company_client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "国械注准20213010563" in page and "关节外科" in page


def test_duplicate_number_in_the_same_company_is_refused(company_client, db):
    assert company_client.post("/products/new", data=product_form()).status_code == 302
    response = company_client.post("/products/new", data=product_form(registration_no="国械注准 2021 3010563"))
    assert "贵公司已登记编号为「国械注准20213010563」的产品" in " ".join(
        field_errors(response.get_data(as_text=True), "registration_no")
    )


def test_edit_saves_and_queues_applications_for_reindexing(
    client, login_as, db, make_product, make_batch, make_application, monkeypatch
):
    user = login_as(Role.MANUFACTURER)
    product = make_product(user.company, registration_no="国械注准20213010563", first_approved_on=None)
    application = make_application(make_batch(), product, state=ApplicationState.DRAFT)
    queued = []  # from here on: what the edit queues
    monkeypatch.setattr("portal.applications.services.queue", lambda kind, doc_id: queued.append((kind, doc_id)))
    form = client.get(f"/products/{product.id}/edit").get_data(as_text=True)
    assert f'name="version_id" type="hidden" value="{product.version_id}"' in form
    response = client.post(
        f"/products/{product.id}/edit", data=product_form(name="新名称", version_id=product.version_id)
    )
    assert response.status_code == 302
    assert product.name == "新名称" and product.version_id == 2
    assert ("application", application.id) in queued


def test_stale_edit_is_refused_and_keeps_what_was_typed(client, login_as, db, make_product):
    user = login_as(Role.MANUFACTURER)
    product = make_product(user.company, registration_no="国械注准20213010563")
    old_version = product.version_id
    product.name = "别人改过的名称"
    db.session.commit()
    response = client.post(f"/products/{product.id}/edit", data=product_form(name="我的修改", version_id=old_version))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "该记录已被他人修改" in html and "我的修改" in html
    db.session.refresh(product)
    assert product.name == "别人改过的名称"


def test_company_sees_only_its_own_products(client, login_as, make_product, make_company):
    user = login_as(Role.MANUFACTURER)
    mine = make_product(user.company, name="我的产品甲")
    theirs = make_product(make_company(), name="别人的产品乙")
    listing = client.get("/products").get_data(as_text=True)
    assert "我的产品甲" in listing and "别人的产品乙" not in listing
    assert client.get(f"/products/{mine.id}").status_code == 200
    for url in (f"/products/{theirs.id}", f"/products/{theirs.id}/edit", "/products/999999", "/products/999999/edit"):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/products/{theirs.id}/edit", data=product_form(name="篡改"))
    assert response.status_code == 404
    assert theirs.name == "别人的产品乙"


def test_other_roles_cannot_reach_product_pages(client, login_as):
    login_as(Role.HOSPITAL)
    assert client.get("/products").status_code == 403
    assert client.get("/products/new").status_code == 403
