"""Imports of spreadsheets laid out the way officials publish them (DESIGN §6), through the real commands."""

from datetime import date

import pytest

from portal.catalogue.models import Entry
from portal.core.tabular import header_key, parse_date
from portal.directory.models import Hospital
from portal.products.models import Product
from tests.conftest import make_uscc
from tests.spreadsheets import excel_date, official_workbook, with_cached_values

USCC_A = make_uscc(910001)
USCC_B = make_uscc(910002)
# WPS-style header: wrapped and spaced text, a hint in brackets, 重点领域 for 产品类别.
HEADER = [
    "产品名称", "型号\n规格", "注册证编号\n（备案号）", "注  册  人", "统一社会信用代码", "重点领域", "管理\n类别",
    "适用科室", "是否创新\n医疗器械", "获批日期", "适用范围", "产品描述",
]  # fmt: skip


def _rows():
    return [
        [
            "　超导磁共振成像系统　", "uMR 890", "国械注准20163460455", "上海官方样表医疗科技有限公司", USCC_A,
            "高端医学影像", "Ⅲ类", "医学影像科、神经内科", "是", excel_date("2016-03-18"), "磁共振成像检查。", "",
        ],
        [
            "彩色多普勒超声诊断系统", "=CONCATENATE(\"uSONIQUE\",\" 80\")", "沪械注准20232060185",
            "上海官方样表医疗科技有限公司", USCC_A, "高端医学影像", "第二类", "超声科", "上海", 45108, "", "",
        ],
        [
            "特瑞普利单抗注射液", "240mg(6ml)/瓶", "国药准字SJ20180015", "上海官方样表生物医药有限公司", USCC_B,
            "创新药", "", "肿瘤科", "否", "2018年12月17日", "", "",
        ],
    ]  # fmt: skip


def _import(app, path):
    args = ["catalogue", "import", path, "--catalogue", "SH-OFF", "--batch", "第五批"]
    return app.test_cli_runner().invoke(args=args)


def test_official_layout_catalogue_xlsx_imports(app, db, tmp_path, make_catalogue):
    make_catalogue(code="SH-OFF")
    path, first = official_workbook(tmp_path / "第五批.xlsx", "上海市新优药械产品目录（第五批）", HEADER, _rows())
    with_cached_values(path, {f"C{first + 1}": "uSONIQUE 80"})
    result = _import(app, path)
    assert result.exit_code == 0, result.output
    assert "新增产品 3，新增条目 3" in result.output
    products = {p.name: p for p in db.session.scalars(db.select(Product))}
    assert set(products) == {"超导磁共振成像系统", "彩色多普勒超声诊断系统", "特瑞普利单抗注射液"}
    mr = products["超导磁共振成像系统"]
    assert (mr.model, mr.first_approved_on, mr.key_area) == ("uMR 890", date(2016, 3, 18), "高端医学影像")
    us = products["彩色多普勒超声诊断系统"]
    assert (us.model, us.first_approved_on) == ("uSONIQUE 80", date(2023, 7, 1))  # serial 45108
    assert products["特瑞普利单抗注射液"].first_approved_on == date(2018, 12, 17)
    assert db.session.scalar(db.select(db.func.count(Entry.id))) == 3


def test_formula_without_saved_result_names_the_cell(app, db, tmp_path, make_catalogue):
    make_catalogue(code="SH-OFF")
    rows = _rows()
    rows[2][9] = "=#REF!+1"
    path, first = official_workbook(tmp_path / "f.xlsx", "目录", HEADER, rows)
    with_cached_values(path, {f"K{first + 2}": "#REF!"})
    result = _import(app, path)
    assert result.exit_code != 0
    assert f"第 {first + 1} 行「型号规格」列：单元格 C{first + 1} 是公式" in result.output
    assert f"第 {first + 2} 行「获批日期」列：单元格 K{first + 2} 的公式结果是错误值 #REF!" in result.output
    assert db.session.scalar(db.select(db.func.count(Product.id))) == 0


def test_official_layout_hospitals_xlsx_imports(app, db, tmp_path):
    rows = [["上海市第一人民医院", "虹口区", "三级", "是"], ["　上海市宝山区罗店医院　", "宝山区", "二级", "是"]]
    header = ["医院\n名称", "区", "级 别", "是否\n公立"]
    path, _ = official_workbook(tmp_path / "h.xlsx", "上海市公立医疗机构名单", header, rows)
    result = app.test_cli_runner().invoke(args=["hospitals", "import", path])
    assert result.exit_code == 0, result.output
    assert set(db.session.scalars(db.select(Hospital.name))) == {"上海市第一人民医院", "上海市宝山区罗店医院"}


def test_every_bad_hospital_row_is_named_at_once(app, db, tmp_path):
    rows = [["甲医院", "浦西区", "三级", "是"], ["乙医院", "徐汇区", "特级", "是"], ["丙医院", "徐汇区", "三级", "Y"]]
    path, first = official_workbook(tmp_path / "h.xlsx", "名单", ["医院名称", "区", "级别", "是否公立"], rows)
    result = app.test_cli_runner().invoke(args=["hospitals", "import", path])
    assert f"第 {first} 行「区」列" in result.output
    assert f"第 {first + 1} 行「级别」列" in result.output
    assert f"第 {first + 2} 行「是否公立」列" in result.output
    assert db.session.scalar(db.select(db.func.count(Hospital.id))) == 0


def test_header_not_found_names_the_columns(app, tmp_path):
    path, _ = official_workbook(tmp_path / "h.xlsx", "名单", ["名称", "区"], [["甲", "徐汇区"]])
    result = app.test_cli_runner().invoke(args=["hospitals", "import", path])
    assert "缺少列 医院名称、级别、是否公立（表头在第 3 行）" in result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-06-30", date(2025, 6, 30)),
        ("2025/6/30", date(2025, 6, 30)),
        ("2025年6月30日", date(2025, 6, 30)),
        ("2025 年 6 月 30 日", date(2025, 6, 30)),
        ("2025.06.30", date(2025, 6, 30)),
        ("2025-06-30 00:00:00", date(2025, 6, 30)),
        ("45838", date(2025, 6, 30)),  # Excel serial number
    ],
)
def test_written_and_serial_dates(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["明年", "2025-02-30", "20250630", "6/30/2025", "123"])
def test_bad_dates_say_the_accepted_forms(text):
    with pytest.raises(ValueError, match=text):
        parse_date(text)


@pytest.mark.parametrize(
    ("raw", "key"),
    [("型号\n规格", "型号规格"), ("注  册  人", "注册人"), ("*医院名称", "医院名称"),
     ("注册证编号（备案号）", "注册证编号"), ("获批日期(YYYY-MM-DD)", "获批日期"), ("　区　", "区")],
)  # fmt: skip
def test_header_keys(raw, key):
    assert header_key(raw) == key
