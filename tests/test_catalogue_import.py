"""`flask catalogue import`: loading an already published batch from CSV or XLSX."""

import csv

from openpyxl import Workbook

from portal.assessments.models import Assessment
from portal.catalogue.importer import COLUMNS
from portal.catalogue.models import Batch, Entry
from portal.core import timeutil
from portal.core.outbox import IndexChange
from portal.directory.models import Company
from portal.products.models import DeviceClass, InnovativeReview, Product, ProductType
from portal.workflow import BatchState
from tests.conftest import make_uscc

USCC_1 = make_uscc(900001)
USCC_2 = make_uscc(900002)

ROWS = [
    {
        "产品名称": "超导磁共振成像系统",
        "型号规格": "uMR 890 / 3.0T",
        "注册证编号": "国械注准20213060361",
        "注册人": "上海导入医疗科技有限公司",
        "统一社会信用代码": USCC_1,
        "产品类别": "高端医学影像",
        "管理类别": "III",
        "适用科室": "医学影像科、神经内科",
        "是否创新医疗器械": "是",
        "获批日期": "2021-03-18",
        "适用范围": "供临床进行磁共振成像检查。",
        "产品描述": "3.0T 超导磁共振。",
    },
    {
        "产品名称": "彩色多普勒超声诊断系统",
        "型号规格": "uSONIQUE 80",
        "注册证编号": "沪械注准２０２３２０６０１８５",  # full-width digits are normalised
        "注册人": "上海导入医疗科技有限公司",
        "统一社会信用代码": USCC_1,
        "产品类别": "高端医学影像",
        "管理类别": "第二类",
        "适用科室": "超声科,妇产科",
        "是否创新医疗器械": "上海",
        "获批日期": "2023/4/20",
        "适用范围": "",
        "产品描述": "",
    },
    {
        "产品名称": "特瑞普利单抗注射液",
        "型号规格": "240mg(6ml)/瓶",
        "注册证编号": "国药准字S20180015",
        "注册人": "上海导入生物医药有限公司",
        "统一社会信用代码": USCC_2,
        "产品类别": "创新药",
        "管理类别": "",
        "适用科室": "肿瘤科",
        "是否创新医疗器械": "否",
        "获批日期": "2018年12月17日",
        "适用范围": "用于黑色素瘤的治疗。",
        "产品描述": "",
    },
]


def write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def write_xlsx(path, rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([row[c] for c in COLUMNS])
    workbook.save(path)
    return str(path)


def _count(db, model):
    return db.session.scalar(db.select(db.func.count(model.id)))


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["catalogue", "import", *args])


def test_import_creates_batch_companies_products_entries_and_assessments(
    app, db, tmp_path, make_catalogue, make_hospital
):
    catalogue = make_catalogue(code="SH-TEST")
    hospital = make_hospital()
    make_hospital(is_public=False)
    path = write_csv(tmp_path / "batch.csv", ROWS)
    result = _run(app, path, "--catalogue", "SH-TEST", "--batch", "第五批", "--published-on", "2026-01-10", "--assess")
    assert result.exit_code == 0, result.output
    assert "新增企业 2，新增产品 3，新增条目 3" in result.output and "新增评估任务 3" in result.output
    batch = db.session.scalar(db.select(Batch).where(Batch.name == "第五批"))
    assert batch.state is BatchState.PUBLISHED and batch.published_on.isoformat() == "2026-01-10"
    assert batch.catalogue_id == catalogue.id
    company = db.session.scalar(db.select(Company).where(Company.uscc == USCC_1))
    assert company.name == "上海导入医疗科技有限公司"
    products = {p.name: p for p in db.session.scalars(db.select(Product))}
    us = products["彩色多普勒超声诊断系统"]
    assert us.registration_no == "沪械注准20232060185" and us.device_class is DeviceClass.II
    assert us.innovative_review is InnovativeReview.SHANGHAI and us.departments == ["超声科", "妇产科"]
    drug = products["特瑞普利单抗注射液"]
    assert drug.product_type is ProductType.DRUG and drug.device_class is None
    assert drug.first_approved_on.isoformat() == "2018-12-17"
    assert products["超导磁共振成像系统"].innovative_review is InnovativeReview.NATIONAL
    entries = db.session.scalars(db.select(Entry)).all()
    assert len(entries) == 3 and all(e.batch_id == batch.id for e in entries)
    changes = db.session.scalars(db.select(IndexChange.doc_id).where(IndexChange.doc_type == "entry")).all()
    assert sorted(changes) == sorted(e.id for e in entries)
    assessments = db.session.scalars(db.select(Assessment)).all()
    assert {a.hospital_id for a in assessments} == {hospital.id} and len(assessments) == 3
    assert timeutil.to_shanghai(assessments[0].due_at).date().isoformat() == "2026-02-09"


def test_importing_the_same_file_twice_changes_nothing(app, db, tmp_path, make_catalogue, make_hospital):
    make_catalogue(code="SH-TEST")
    make_hospital()
    path = write_xlsx(tmp_path / "batch.xlsx", ROWS)
    first = _run(app, path, "--catalogue", "SH-TEST", "--batch", "第五批", "--assess")
    assert first.exit_code == 0, first.output
    counts = [_count(db, m) for m in (Batch, Company, Product, Entry, Assessment, IndexChange)]
    second = _run(app, path, "--catalogue", "SH-TEST", "--batch", "第五批", "--assess")
    assert second.exit_code == 0, second.output
    assert "新增条目 0，已存在 3" in second.output and "新增评估任务 0" in second.output
    assert [_count(db, m) for m in (Batch, Company, Product, Entry, Assessment, IndexChange)] == counts


def test_bad_rows_are_named_and_nothing_is_imported(app, db, tmp_path, make_catalogue):
    make_catalogue(code="SH-TEST")
    rows = [dict(r) for r in ROWS]
    rows[0]["统一社会信用代码"] = USCC_1[:-1] + ("0" if USCC_1[-1] != "0" else "1")
    rows[1]["管理类别"] = "III"
    rows[2]["获批日期"] = "明年"
    rows.append({**ROWS[0], "注册证编号": "国械注准20211060361"})  # class 1 cannot be registered
    path = write_csv(tmp_path / "bad.csv", rows)
    result = _run(app, path, "--catalogue", "SH-TEST", "--batch", "第五批")
    assert result.exit_code != 0
    assert "第 2 行「统一社会信用代码」列：统一社会信用代码校验位错误" in result.output
    assert "第 3 行「管理类别」列" in result.output and "第二类" in result.output
    assert "第 4 行「获批日期」列" in result.output
    assert "第 5 行「注册证编号」列" in result.output
    assert "未导入任何数据" in result.output
    assert [_count(db, m) for m in (Batch, Company, Product, Entry)] == [0, 0, 0, 0]


def test_duplicates_and_missing_values(app, db, tmp_path, make_catalogue):
    make_catalogue(code="SH-TEST")
    rows = [ROWS[0], dict(ROWS[0]), {**ROWS[2], "产品名称": ""}]
    result = _run(app, write_csv(tmp_path / "dup.csv", rows), "--catalogue", "SH-TEST", "--batch", "第五批")
    assert "第 3 行「注册证编号」列：与第 2 行重复" in result.output
    assert "第 4 行「产品名称」列：不能为空" in result.output
    assert _count(db, Entry) == 0


def test_batch_must_be_published_and_catalogue_must_exist(app, db, tmp_path, make_catalogue, make_batch):
    make_batch(make_catalogue(code="SH-TEST"), name="第六批")  # open
    path = write_csv(tmp_path / "b.csv", ROWS)
    result = _run(app, path, "--catalogue", "SH-TEST", "--batch", "第六批")
    assert result.exit_code != 0 and "只能导入已发布的批次" in result.output
    result = _run(app, path, "--catalogue", "NOPE", "--batch", "第五批")
    assert result.exit_code != 0 and "NOPE" in result.output
    result = _run(app, path, "--catalogue", "SH-TEST", "--batch", "第五批", "--published-on", "2026-13-01")
    assert result.exit_code != 0 and "不是有效日期" in result.output
    missing = tmp_path / "missing.csv"
    missing.write_text("产品名称\n磁共振\n", encoding="utf-8")
    result = _run(app, str(missing), "--catalogue", "SH-TEST", "--batch", "第五批")
    assert result.exit_code != 0 and "缺少列" in result.output


def test_product_listed_by_another_batch_is_refused(app, db, tmp_path, make_catalogue):
    make_catalogue(code="SH-TEST")
    path = write_csv(tmp_path / "a.csv", ROWS[:1])
    assert _run(app, path, "--catalogue", "SH-TEST", "--batch", "第五批").exit_code == 0
    result = _run(app, path, "--catalogue", "SH-TEST", "--batch", "第六批")
    assert result.exit_code != 0 and "第 2 行「注册证编号」列：该产品已由「第五批」列入本目录" in result.output
    assert _count(db, Batch) == 1
