"""Table-driven tests for portal.directory.identifiers and portal.products.identifiers."""

from datetime import date

import pytest

from portal.directory.identifiers import validate_uscc
from portal.products.identifiers import IdentifierError, RegistrationNo, normalise, parse_registration_no

TODAY = date(2025, 6, 1)


# --------------------------------------------------------------------------
# normalise
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("abc", "ABC"),
        ("ＡＢＣ１２３", "ABC123"),
        ("ａｂｃ", "ABC"),
        ("国械注准　2019 3\t06\n0101", "国械注准20193060101"),
        ("国械注准２０１９３０６０１０１", "国械注准20193060101"),
        ("！～", "!~"),
        ("沪械备２０２０００１２号", "沪械备20200012号"),
        ("中文ß", "中文ß"),  # only ASCII letters are uppercased
        ("", ""),
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


# --------------------------------------------------------------------------
# Unified social credit code
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("91350100M000100Y43", "91350100M000100Y43"),
        ("91110000802100433B", "91110000802100433B"),
        ("91310000MA1FL4B24G", "91310000MA1FL4B24G"),
        # lowercase, full-width and spaces are normalised away
        ("91110000802100433b", "91110000802100433B"),
        ("９１１１００００８０２１００４３３Ｂ", "91110000802100433B"),
        ("9135 0100 M000 100Y 43", "91350100M000100Y43"),
        ("　91350100M000100Y43　", "91350100M000100Y43"),
    ],
)
def test_uscc_valid(raw, expected):
    assert validate_uscc(raw) == expected


@pytest.mark.parametrize(
    "raw, part, words",
    [
        ("", "length", ["18位", "0位"]),
        ("9135010M000100Y43", "length", ["18位", "17位"]),
        ("91350100M000100Y433", "length", ["18位", "19位"]),
        ("91350100I000100Y43", "charset", ["第9位", "I"]),
        ("91350100O000100Y43", "charset", ["第9位", "O"]),
        ("91350100Z000100Y43", "charset", ["第9位", "Z"]),
        ("S1350100M000100Y43", "charset", ["第1位", "S"]),
        ("91350100M000100V43", "charset", ["第16位", "V"]),
        ("91350100M000100Y4-", "charset", ["第18位", "-"]),
        ("91350100M000100Y44", "check_char", ["校验位", "应为 3", "实际为 4"]),
        ("91110000802100433C", "check_char", ["校验位", "应为 B", "实际为 C"]),
        ("91110000802100434B", "check_char", ["校验位", "第18位"]),
        # positions 3-8 are the area code: digits only (this one has a right check character)
        ("2H2MA9MMBFD7EMH9D1", "area", ["第3–8位", "行政区划码", "第4位「M」"]),
        ("9131A000MA1FL4B24G", "area", ["第5位「A」"]),
    ],
)
def test_uscc_invalid(raw, part, words):
    with pytest.raises(IdentifierError) as info:
        validate_uscc(raw)
    assert info.value.part == part
    for word in words:
        assert word in info.value.message
    assert str(info.value) == info.value.message


def test_uscc_check_char_wraps_to_zero():
    # Find a 17-char body whose weighted sum is a multiple of 31: check is '0'.
    from portal.directory.identifiers import uscc_check_char

    body = next(f"9111000080210{n:04d}" for n in range(10000) if uscc_check_char(f"9111000080210{n:04d}") == "0")
    assert validate_uscc(body + "0") == body + "0"


def test_identifier_error_is_value_error():
    err = IdentifierError("year", "年份错误")
    assert isinstance(err, ValueError)
    assert (err.part, err.message, str(err)) == ("year", "年份错误", "年份错误")


# --------------------------------------------------------------------------
# Device registration numbers
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, normalised, authority, origin, year, device_class, category, serial",
    [
        ("国械注准20193060101", "国械注准20193060101", "国", "domestic", 2019, "III", "06", "0101"),
        ("国械注准 2019 3 06 0101", "国械注准20193060101", "国", "domestic", 2019, "III", "06", "0101"),
        (
            "国械注准２０１９３０６０１０１",
            "国械注准20193060101",
            "国",
            "domestic",
            2019,
            "III",
            "06",
            "0101",
        ),
        ("沪械注准20202220345", "沪械注准20202220345", "沪", "domestic", 2020, "II", "22", "0345"),
        ("粤械注准20142010001", "粤械注准20142010001", "粤", "domestic", 2014, "II", "01", "0001"),
        ("苏械注准20252400007", "苏械注准20252400007", "苏", "domestic", 2025, "II", "40", "0007"),
        ("国械注进20173400123", "国械注进20173400123", "国", "imported", 2017, "III", "40", "0123"),
        ("国械注进20162150009", "国械注进20162150009", "国", "imported", 2016, "II", "15", "0009"),
        ("国械注许20183160042", "国械注许20183160042", "国", "hk_mo_tw", 2018, "III", "16", "0042"),
        ("国械注许20212070001", "国械注许20212070001", "国", "hk_mo_tw", 2021, "II", "07", "0001"),
        ("蒙械注准20212100050", "蒙械注准20212100050", "蒙", "domestic", 2021, "II", "10", "0050"),
        ("黑械注准20232140050", "黑械注准20232140050", "黑", "domestic", 2023, "II", "14", "0050"),
        # first registered 2014-2018: the 2002 catalogue's codes (6801-6877), kept on renewal
        ("国械注准20163460455", "国械注准20163460455", "国", "domestic", 2016, "III", "46", "0455"),
        ("沪械注准20162230455", "沪械注准20162230455", "沪", "domestic", 2016, "II", "23", "0455"),
        ("国械注进20153661234", "国械注进20153661234", "国", "imported", 2015, "III", "66", "1234"),
        ("国械注准20143770001", "国械注准20143770001", "国", "domestic", 2014, "III", "77", "0001"),
        ("国械注准20183580012", "国械注准20183580012", "国", "domestic", 2018, "III", "58", "0012"),
        ("国械注准20183060012", "国械注准20183060012", "国", "domestic", 2018, "III", "06", "0012"),
    ],
)
def test_device_registration_valid(raw, normalised, authority, origin, year, device_class, category, serial):
    reg = parse_registration_no(raw, today=TODAY)
    assert reg == RegistrationNo(
        kind="device_registration",
        normalised=normalised,
        authority=authority,
        origin=origin,
        year=year,
        device_class=device_class,
        category_code=category,
        serial=serial,
    )


@pytest.mark.parametrize(
    "raw, part, words",
    [
        # issuing authority
        ("上海械注准20202220345", "authority", ["发证机关", "上海"]),
        ("港械注准20202220345", "authority", ["发证机关", "港"]),
        ("械注准20193060101", "authority", ["缺少发证机关"]),
        # 准/进/许
        ("国械注备20193060101", "origin", ["准", "进", "许", "备"]),
        ("国械注20193060101", "origin", ["准", "进", "许", "「2」"]),
        ("国械注", "origin", ["准", "进", "许", "空"]),
        ("沪械注进20202220345", "origin", ["进口", "国家药监局"]),
        ("粤械注许20202220345", "origin", ["港澳台", "国家药监局"]),
        # digit block
        ("国械注准2019306010", "digits", ["11位", "10位"]),
        ("国械注准201930601011", "digits", ["11位", "12位"]),
        ("国械注准", "digits", ["11位", "0位"]),
        ("国械注准2019306010A", "digits", ["数字", "第11个", "A"]),
        ("国械注准20193060101号", "digits", ["数字", "号"]),
        # year
        ("国械注准20133060101", "year", ["年份", "2013", "2014"]),
        ("国械注准20263060101", "year", ["年份", "2026", "2025"]),
        # class
        ("国械注准20191060101", "class", ["管理类别", "备案"]),
        ("国械注准20194060101", "class", ["管理类别", "2或3", "4"]),
        ("国械注准20190060101", "class", ["管理类别", "0"]),
        ("沪械注准20193060101", "class", ["第三类", "国家药监局", "沪 只能注册第二类"]),
        ("国械注准20192060101", "class", ["第二类", "省级"]),
        ("国械注进20191060101", "class", ["管理类别"]),
        # classification code
        ("国械注准20193000101", "category", ["分类编码", "00"]),
        ("国械注准20193230101", "category", ["分类编码", "23"]),
        ("国械注准20193390101", "category", ["分类编码", "39"]),
        ("国械注准20193410101", "category", ["分类编码", "41"]),
        ("国械注准20193460455", "category", ["2017版", "01–22", "46"]),
        ("国械注准20163780455", "category", ["2002版", "01–77", "78"]),
        ("国械注准20163000455", "category", ["2002版", "00"]),
        # left-to-right: the first wrong part wins
        ("沪械注进20103990101", "origin", ["进口"]),
        ("国械注准20109990101", "year", ["2010"]),
        ("国械注准20199990101", "class", ["9"]),
    ],
)
def test_device_registration_invalid(raw, part, words):
    with pytest.raises(IdentifierError) as info:
        parse_registration_no(raw, today=TODAY)
    assert info.value.part == part
    for word in words:
        assert word in info.value.message


def test_device_year_relative_to_today():
    raw = "国械注准20263060101"
    with pytest.raises(IdentifierError) as info:
        parse_registration_no(raw, today=date(2025, 12, 31))
    assert info.value.part == "year"
    assert parse_registration_no(raw, today=date(2026, 1, 1)).year == 2026


def test_device_summary():
    reg = parse_registration_no("国械注准20193060101", today=TODAY)
    assert reg.summary_zh == "国家药监局 · 境内 · 2019年首次注册 · 第三类 · 分类编码06 · 流水号0101"
    reg = parse_registration_no("沪械注准20202220345", today=TODAY)
    assert reg.summary_zh == "上海药监局 · 境内 · 2020年首次注册 · 第二类 · 分类编码22 · 流水号0345"
    reg = parse_registration_no("国械注许20183160042", today=TODAY)
    assert "港澳台" in reg.summary_zh


def test_registration_no_is_frozen():
    reg = parse_registration_no("国械注准20193060101", today=TODAY)
    with pytest.raises(AttributeError):
        reg.year = 2020


# --------------------------------------------------------------------------
# Class I filing numbers
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, normalised, authority, year, serial",
    [
        ("沪械备20200012号", "沪械备20200012号", "沪", 2020, "0012"),
        ("沪械备20200012", "沪械备20200012号", "沪", 2020, "0012"),
        ("沪械备 2020 0012 号", "沪械备20200012号", "沪", 2020, "0012"),
        ("京械备２０１４０００１号", "京械备20140001号", "京", 2014, "0001"),
        ("新械备20259999号", "新械备20259999号", "新", 2025, "9999"),
        # city-level departments (province + city abbreviation) and imported class I (国)
        ("沪松械备20160021号", "沪松械备20160021号", "沪松", 2016, "0021"),
        ("苏锡械备20170088号", "苏锡械备20170088号", "苏锡", 2017, "0088"),
        ("粤深械备２０１９０１２３号", "粤深械备20190123号", "粤深", 2019, "0123"),
        ("国械备20160012号", "国械备20160012号", "国", 2016, "0012"),
    ],
)
def test_filing_valid(raw, normalised, authority, year, serial):
    reg = parse_registration_no(raw, today=TODAY)
    assert reg == RegistrationNo(
        kind="class1_filing",
        normalised=normalised,
        authority=authority,
        origin=None,
        year=year,
        device_class="I",
        category_code=None,
        serial=serial,
    )
    assert "第一类备案" in reg.summary_zh


def test_filing_summary():
    reg = parse_registration_no("沪械备20200012号", today=TODAY)
    assert reg.summary_zh == "上海药监局 · 第一类备案 · 2020年备案 · 流水号0012"
    assert parse_registration_no("苏锡械备20170088号", today=TODAY).summary_zh.startswith("江苏「锡」市级药监部门")
    assert parse_registration_no("国械备20160012号", today=TODAY).summary_zh.startswith("国家药监局")


@pytest.mark.parametrize(
    "raw, part, words",
    [
        ("上海械备20200012号", "authority", ["备案部门", "上海", "沪松"]),
        ("港械备20200012号", "authority", ["备案部门", "港"]),
        ("沪A械备20200012号", "authority", ["备案部门", "沪A"]),
        ("沪松江械备20200012号", "authority", ["备案部门", "沪松江"]),
        ("械备20200012号", "authority", ["缺少备案部门"]),
        ("沪械备2020012号", "digits", ["8位", "7位"]),
        ("沪械备202000123号", "digits", ["8位", "9位"]),
        ("沪械备2020001A号", "digits", ["数字", "A"]),
        ("沪械备20200012号号", "digits", ["数字", "号"]),
        ("沪械备20130012号", "year", ["备案年份", "2013"]),
        ("沪械备20260012号", "year", ["备案年份", "2026"]),
    ],
)
def test_filing_invalid(raw, part, words):
    with pytest.raises(IdentifierError) as info:
        parse_registration_no(raw, today=TODAY)
    assert info.value.part == part
    for word in words:
        assert word in info.value.message


@pytest.mark.parametrize("raw", ["沪械备20200012号", "沪械备20200012", "国械备2020001号"])
def test_filing_rejected_when_class_one_not_allowed(raw):
    with pytest.raises(IdentifierError) as info:
        parse_registration_no(raw, today=TODAY, allow_class_one=False)
    assert info.value.part == "kind"
    assert "第一类" in info.value.message
    assert "备案" in info.value.message
    assert "不接受" in info.value.message


@pytest.mark.parametrize("raw", ["国械注准20193060101", "国药准字H20203456"])
def test_other_kinds_unaffected_by_allow_class_one(raw):
    reg = parse_registration_no(raw, today=TODAY, allow_class_one=False)
    assert reg.kind != "class1_filing"


# --------------------------------------------------------------------------
# Drug approval numbers
# --------------------------------------------------------------------------


@pytest.mark.parametrize("letter", list("HZSJBFT"))
def test_drug_each_letter_valid(letter):
    reg = parse_registration_no(f"国药准字{letter}20203456", today=TODAY)
    assert reg == RegistrationNo(
        kind="drug_approval",
        normalised=f"国药准字{letter}20203456",
        authority="国",
        origin=None,
        year=None,
        device_class=None,
        category_code=letter,
        serial="20203456",
    )


@pytest.mark.parametrize(
    "raw, normalised",
    [
        ("国药准字h20203456", "国药准字H20203456"),
        ("国药准字Ｈ２０２０３４５６", "国药准字H20203456"),
        ("国药准字 Z 1002 0001", "国药准字Z10020001"),
    ],
)
def test_drug_normalisation(raw, normalised):
    assert parse_registration_no(raw, today=TODAY).normalised == normalised


@pytest.mark.parametrize(
    "raw, letter, origin",
    [
        ("国药准字HJ20190033", "H", "imported"),
        ("国药准字ZC20210007", "Z", "hk_mo_tw"),
        ("国药准字SJ20200011", "S", "imported"),
        ("国药准字 h c 2021 0007", "H", "hk_mo_tw"),
    ],
)
def test_drug_2020_rules_origin_letter(raw, letter, origin):
    reg = parse_registration_no(raw, today=TODAY)
    assert (reg.kind, reg.category_code, reg.origin, len(reg.serial)) == ("drug_approval", letter, origin, 8)
    assert "进口" in reg.summary_zh if origin == "imported" else "港澳台" in reg.summary_zh


def test_drug_summary():
    reg = parse_registration_no("国药准字H20203456", today=TODAY)
    assert reg.summary_zh == "国家药监局 · 药品批准文号 · 化学药品 · 编号20203456"


@pytest.mark.parametrize(
    "raw, part, words",
    [
        ("国药准字A20203456", "category", ["类别字母", "「A」"]),
        ("国药准字X20203456", "category", ["类别字母", "「X」"]),
        ("国药准字20203456", "category", ["类别字母", "「2」"]),
        ("国药准字", "category", ["类别字母", "空"]),
        ("国药准字H2020345", "serial", ["8位数字", "7位"]),
        ("国药准字H202034567", "serial", ["8位数字", "9位"]),
        ("国药准字H", "serial", ["8位数字", "0位"]),
        ("国药准字H2020345A", "serial", ["8位数字"]),
        ("国药准字HX20190033", "origin", ["来源字母", "J", "C", "「X」"]),
        ("国药准字BJ20190033", "origin", ["H", "Z", "S", "「B」"]),
        ("国药准字HJ2019003", "serial", ["8位数字", "7位"]),
    ],
)
def test_drug_invalid(raw, part, words):
    with pytest.raises(IdentifierError) as info:
        parse_registration_no(raw, today=TODAY)
    assert info.value.part == part
    for word in words:
        assert word in info.value.message


# --------------------------------------------------------------------------
# Unrecognised formats
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "ABC123",
        "国药准H20203456",
        "91350100M000100Y43",
    ],
)
def test_unrecognised_format(raw):
    with pytest.raises(IdentifierError) as info:
        parse_registration_no(raw, today=TODAY)
    assert info.value.part == "format"
    message = info.value.message
    for example in ("国械注准20193060101", "沪械备20200012号", "国药准字H20203456"):
        assert example in message
    for word in ("注册证编号", "备案号", "批准文号"):
        assert word in message


@pytest.mark.parametrize(
    "raw",
    [
        "国食药监械(准)字2012第3460111号",
        "国食药监械（准）字2012第3460111号",
        "沪食药监械(准)字2013第2400123号",
        "国药管械(进)字2001第3250123号",
        "京药监械(准)字2012第2210001号",
    ],
)
def test_pre_2014_numbers_are_refused_as_expired(raw):
    with pytest.raises(IdentifierError) as info:
        parse_registration_no(raw, today=TODAY)
    assert info.value.part == "old_style"
    for word in ("旧版", "已过期", "延续注册", "国械注准20193060101"):
        assert word in info.value.message


def test_unrecognised_format_lists_only_accepted_forms():
    with pytest.raises(IdentifierError) as info:
        parse_registration_no("ABC", today=TODAY, allow_class_one=False)
    assert info.value.part == "format"
    assert "国械注准20193060101" in info.value.message
    assert "国药准字H20203456" in info.value.message
    assert "备案号" not in info.value.message


def test_default_today_is_used():
    # Without `today`, the current date applies; 2019 is always in the past.
    assert parse_registration_no("国械注准20193060101").year == 2019
