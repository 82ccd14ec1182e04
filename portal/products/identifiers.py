"""Validation of a product's regulatory identifiers (the USCC of companies: `portal.directory.identifiers`).

* Medical device registration numbers (注册证编号), class I filing numbers
  (备案号) and drug approval numbers (药品批准文号), as DESIGN §3 describes them;
  pre-2014 certificate numbers are recognised only to be refused as expired.

Every validation error is an ``IdentifierError`` whose ``part`` names the
wrong part in a stable code (see ``IdentifierError``) and whose ``message``
is a Chinese sentence meant to be shown to the user as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from portal.directory.identifiers import IdentifierError, normalise

__all__ = [
    "IdentifierError",
    "RegistrationNo",
    "normalise",
    "parse_registration_no",
]


# --------------------------------------------------------------------------
# Registration numbers: reference tables
# --------------------------------------------------------------------------

NATIONAL = "国"

# Province-level abbreviation -> name used in summaries.
# fmt: off
PROVINCES = {
    "京": "北京", "津": "天津", "沪": "上海", "渝": "重庆",
    "冀": "河北", "晋": "山西", "辽": "辽宁", "吉": "吉林", "黑": "黑龙江",
    "苏": "江苏", "浙": "浙江", "皖": "安徽", "闽": "福建", "赣": "江西",
    "鲁": "山东", "豫": "河南", "鄂": "湖北", "湘": "湖南", "粤": "广东",
    "琼": "海南", "川": "四川", "贵": "贵州", "云": "云南", "陕": "陕西",
    "甘": "甘肃", "青": "青海", "蒙": "内蒙古", "桂": "广西", "藏": "西藏",
    "宁": "宁夏", "新": "新疆",
}
# fmt: on

# The ×2 character of a device registration number: (origin code, label).
ORIGINS = {
    "准": ("domestic", "境内"),
    "进": ("imported", "进口"),
    "许": ("hk_mo_tw", "港澳台"),
}
_ORIGIN_LABEL = {code: label for code, label in ORIGINS.values()}

# Letter after 国药准字 -> drug category.
DRUG_LETTERS = {
    "H": "化学药品",
    "Z": "中药",
    "S": "生物制品",
    "J": "进口分包装药品",
    "B": "保健药品",
    "F": "药用辅料",
    "T": "体外诊断试剂",
}
# 2020 rules: a second letter after H, Z or S gives the origin (国药准字HJ20190033, 国药准字ZC20210007).
DRUG_ORIGINS = {"J": ("imported", "进口"), "C": ("hk_mo_tw", "港澳台")}
DRUG_ORIGIN_CATEGORIES = "HZS"

# The current numbering scheme (and class I filing) started in 2014.
FIRST_YEAR = 2014
# Classification code by year of first registration (kept on renewal): the 2002 catalogue (6801-6877, so
# 01-77) until 2018, the 2017 catalogue (01-22, 40 for IVD reagents) from 2019 on; 2018 numbers carry either.
OLD_CATALOGUE_LAST_YEAR = 2018
OLD_CATEGORY_CODES = frozenset(f"{n:02d}" for n in range(1, 78))
DEVICE_CATEGORY_CODES = frozenset(f"{n:02d}" for n in range(1, 23)) | {"40"}
IVD_CATEGORY_CODE = "40"
# Pre-2014 certificates: 国食药监械(准)字2012第3460111号, 沪食药监械(准)字…, 国药管械(进)字…
OLD_STYLE = re.compile(r"械\((?:准|进|许|试)\)字")
_ROMAN = {1: "I", 2: "II", 3: "III"}
_CLASS_ZH = {"I": "第一类", "II": "第二类", "III": "第三类"}

DEVICE_MARK = "械注"
FILING_MARK = "械备"
DRUG_PREFIX = "国药准字"
DEVICE_DIGITS = 11  # YYYY C NN SSSS
FILING_DIGITS = 8  # YYYY NNNN
DRUG_DIGITS = 8

EXAMPLE_DEVICE = "国械注准20193060101"
EXAMPLE_FILING = "沪械备20200012号"
EXAMPLE_DRUG = "国药准字H20203456"

KIND_DEVICE = "device_registration"
KIND_FILING = "class1_filing"
KIND_DRUG = "drug_approval"


@dataclass(frozen=True)
class RegistrationNo:
    kind: str  # KIND_DEVICE | KIND_FILING | KIND_DRUG
    normalised: str
    authority: str  # "国", a province abbreviation, or province + city (class I filings: 沪松, 苏锡)
    origin: str | None  # "domestic" | "imported" | "hk_mo_tw" | None
    year: int | None
    device_class: str | None  # "I" | "II" | "III" | None
    category_code: str | None  # device classification code, or drug letter
    serial: str

    @property
    def summary_zh(self) -> str:
        parts = [_authority_name(self.authority)]
        if self.kind == KIND_DEVICE:
            parts += [
                _ORIGIN_LABEL[self.origin],
                f"{self.year}年首次注册",
                _CLASS_ZH[self.device_class],
                f"分类编码{self.category_code}",
                f"流水号{self.serial}",
            ]
        elif self.kind == KIND_FILING:
            parts += ["第一类备案", f"{self.year}年备案", f"流水号{self.serial}"]
        else:
            origin = [DRUG_ORIGINS_LABEL[self.origin]] if self.origin else []
            parts += ["药品批准文号", DRUG_LETTERS[self.category_code], *origin, f"编号{self.serial}"]
        return " · ".join(parts)


DRUG_ORIGINS_LABEL = dict(DRUG_ORIGINS.values())


def _authority_name(abbr: str) -> str:
    if abbr == NATIONAL:
        return "国家药监局"
    if len(abbr) == 2:
        return f"{PROVINCES[abbr[0]]}「{abbr[1]}」市级药监部门"
    return f"{PROVINCES[abbr]}药监局"


# --------------------------------------------------------------------------
# Registration numbers: parsing
# --------------------------------------------------------------------------


def parse_registration_no(
    text: str,
    today: date | None = None,
    allow_class_one: bool = True,
) -> RegistrationNo:
    """Parse a device registration, class I filing or drug approval number.

    Parts are checked left to right, so the error names the first wrong part.
    """
    today = today or date.today()
    code = normalise(text)
    if not code:
        raise IdentifierError("format", "编号为空。" + _accepted_forms(allow_class_one))
    if DEVICE_MARK in code:
        return _parse_device(code, today)
    if FILING_MARK in code:
        if not allow_class_one:
            raise IdentifierError(
                "kind",
                f"本目录不接受第一类医疗器械备案产品（备案号「{code}」），"
                "请填写第二类、第三类医疗器械注册证编号或药品批准文号",
            )
        return _parse_filing(code, today)
    if code.startswith(DRUG_PREFIX):
        return _parse_drug(code)
    if OLD_STYLE.search(code):
        raise IdentifierError(
            "old_style",
            f"「{code}」是2014年以前的旧版注册证编号，这类注册证均已过期失效；"
            f"请填写延续注册后的新注册证编号（如 {EXAMPLE_DEVICE}）",
        )
    raise IdentifierError("format", f"无法识别的编号格式「{code}」。" + _accepted_forms(allow_class_one))


def _accepted_forms(allow_class_one: bool) -> str:
    forms = [f"医疗器械注册证编号（如 {EXAMPLE_DEVICE}）"]
    if allow_class_one:
        forms.append(f"第一类医疗器械备案号（如 {EXAMPLE_FILING}）")
    forms.append(f"药品批准文号（如 {EXAMPLE_DRUG}）")
    return "可接受的格式：" + "、".join(forms)


def _parse_device(code: str, today: date) -> RegistrationNo:
    authority, rest = code.split(DEVICE_MARK, 1)
    _check_device_authority(authority)
    origin_char, digits = rest[:1], rest[1:]
    origin = _check_origin(authority, origin_char)
    _check_digits(
        digits,
        DEVICE_DIGITS,
        f"注册证编号「{DEVICE_MARK}{origin_char}」之后",
        "年份4位+管理类别1位+分类编码2位+流水号4位",
    )
    # With the count known to be right, fields sit at fixed positions.
    year = _check_year(digits[0:4], today, "首次注册年份")
    device_class = _check_device_class(digits[4], authority, origin_char)
    category = _check_category_code(digits[5:7], year)
    return RegistrationNo(
        kind=KIND_DEVICE,
        normalised=code,
        authority=authority,
        origin=origin,
        year=year,
        device_class=device_class,
        category_code=category,
        serial=digits[7:11],
    )


def _parse_filing(code: str, today: date) -> RegistrationNo:
    authority, rest = code.split(FILING_MARK, 1)
    _check_filing_authority(authority)
    digits = rest[:-1] if rest.endswith("号") else rest  # 号 is optional on input
    _check_digits(digits, FILING_DIGITS, f"备案号「{FILING_MARK}」之后", "年份4位+流水号4位")
    year = _check_year(digits[0:4], today, "备案年份")
    return RegistrationNo(
        kind=KIND_FILING,
        normalised=f"{authority}{FILING_MARK}{digits}号",
        authority=authority,
        origin=None,
        year=year,
        device_class="I",
        category_code=None,
        serial=digits[4:8],
    )


def _parse_drug(code: str) -> RegistrationNo:
    rest = code[len(DRUG_PREFIX) :]
    letter, digits = rest[:1], rest[1:]
    if letter not in DRUG_LETTERS:
        shown = f"「{letter}」" if letter else "空"
        raise IdentifierError(
            "category",
            f"药品批准文号「{DRUG_PREFIX}」之后的类别字母应为 {'、'.join(DRUG_LETTERS)} 之一，实际为{shown}",
        )
    origin = None
    if digits[:1].isascii() and digits[:1].isalpha():
        origin, digits = _check_drug_origin(letter, digits[0]), digits[1:]
    if not (digits.isascii() and digits.isdigit() and len(digits) == DRUG_DIGITS):
        raise IdentifierError(
            "serial",
            f"药品批准文号类别字母 {letter} 之后应为{DRUG_DIGITS}位数字，实际为「{digits}」（{len(digits)}位）",
        )
    return RegistrationNo(
        kind=KIND_DRUG,
        normalised=code,
        authority=NATIONAL,
        origin=origin,
        year=None,
        device_class=None,
        category_code=letter,
        serial=digits,
    )


# --- part checks -----------------------------------------------------------


def _check_drug_origin(letter: str, second: str) -> str:
    if second not in DRUG_ORIGINS:
        raise IdentifierError(
            "origin",
            f"药品批准文号类别字母 {letter} 之后的来源字母应为 J（进口）或 C（港澳台），实际为「{second}」",
        )
    if letter not in DRUG_ORIGIN_CATEGORIES:
        raise IdentifierError(
            "origin",
            f"来源字母 {second} 只用于化学药品（H）、中药（Z）和生物制品（S），不能跟在「{letter}」之后",
        )
    return DRUG_ORIGINS[second][0]


def _check_filing_authority(authority: str) -> None:
    """Province, province + one city-level character (沪松, 苏锡), or 国 for imported class I devices."""
    if authority == NATIONAL or authority in PROVINCES:
        return
    if len(authority) == 2 and authority[0] in PROVINCES and _is_cjk(authority[1]):
        return
    expected = "「国」（进口）、省级简称（如 沪）或省级简称加设区的市级简称（如 沪松、苏锡）"
    if not authority:
        raise IdentifierError("authority", f"备案号缺少备案部门，开头应为{expected}")
    raise IdentifierError("authority", f"备案号的备案部门「{authority}」无法识别，应为{expected}")


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _check_device_authority(authority: str) -> None:
    if authority in PROVINCES or authority == NATIONAL:
        return
    expected = "「国」或省级简称（如 京、沪、粤）"
    if not authority:
        raise IdentifierError("authority", f"注册证编号缺少发证机关，开头应为{expected}")
    raise IdentifierError("authority", f"注册证编号的发证机关「{authority}」无法识别，应为{expected}")


def _check_origin(authority: str, origin_char: str) -> str:
    if origin_char not in ORIGINS:
        shown = f"「{origin_char}」" if origin_char else "空"
        raise IdentifierError(
            "origin",
            f"注册证编号「{DEVICE_MARK}」之后应为 准（境内）、进（进口）或 许（港澳台），实际为{shown}",
        )
    origin, label = ORIGINS[origin_char]
    # Imported and HK/Macao/Taiwan devices are registered only by the NMPA.
    if origin != "domestic" and authority != NATIONAL:
        raise IdentifierError(
            "origin",
            f"{label}医疗器械只能由国家药监局（国）注册，不存在「{authority}{DEVICE_MARK}{origin_char}」",
        )
    return origin


def _check_digits(digits: str, count: int, where: str, layout: str) -> None:
    for pos, ch in enumerate(digits, start=1):
        if not (ch.isascii() and ch.isdigit()):
            raise IdentifierError("digits", f"{where}只能是数字，第{pos}个字符「{ch}」不是数字")
    if len(digits) != count:
        raise IdentifierError("digits", f"{where}应为{count}位数字（{layout}），实际为{len(digits)}位")


def _check_year(text: str, today: date, label: str) -> int:
    year = int(text)
    if year < FIRST_YEAR:
        raise IdentifierError("year", f"{label}{year}年早于{FIRST_YEAR}年，不符合现行编号规则")
    if year > today.year:
        raise IdentifierError("year", f"{label}{year}年晚于当前年份{today.year}年")
    return year


def _check_device_class(char: str, authority: str, origin_char: str) -> str:
    value = int(char)
    if value == 1:
        raise IdentifierError(
            "class",
            "注册证编号的管理类别应为2或3，实际为1（第一类医疗器械实行备案管理，没有注册证编号）",
        )
    if value not in (2, 3):
        raise IdentifierError("class", f"注册证编号的管理类别应为2或3，实际为{value}")
    # Domestic class II is registered by the province, class III by the NMPA.
    if origin_char == "准":
        if value == 3 and authority != NATIONAL:
            raise IdentifierError(
                "class",
                f"境内第三类医疗器械应由国家药监局（国）注册，{authority} 只能注册第二类",
            )
        if value == 2 and authority == NATIONAL:
            raise IdentifierError(
                "class",
                "境内第二类医疗器械应由省级药监局注册，「国械注准」只能是第三类",
            )
    return _ROMAN[value]


def _check_category_code(code: str, year: int) -> str:
    if year <= OLD_CATALOGUE_LAST_YEAR:
        if code not in OLD_CATEGORY_CODES:
            raise IdentifierError(
                "category",
                f"{year}年首次注册的产品使用2002版分类目录，分类编码应为01–77（6801–6877的后两位），实际为{code}",
            )
        return code
    if code not in DEVICE_CATEGORY_CODES:
        raise IdentifierError(
            "category",
            f"{OLD_CATALOGUE_LAST_YEAR + 1}年及以后首次注册的产品使用2017版分类目录，"
            f"分类编码应为01–22（体外诊断试剂为{IVD_CATEGORY_CODE}），实际为{code}",
        )
    return code
