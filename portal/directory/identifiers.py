"""Identifier normalisation and the errors every identifier check raises; the unified social credit code
(统一社会信用代码, GB 32100-2015) of companies. Registration numbers: `portal.products.identifiers`.

Every validation error is an ``IdentifierError`` whose ``part`` names the
wrong part in a stable code (see ``IdentifierError``) and whose ``message``
is a Chinese sentence meant to be shown to the user as is.
"""

from __future__ import annotations

__all__ = ["IdentifierError", "normalise", "uscc_check_char", "validate_uscc"]


# --------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------

# Full-width ASCII variants sit at a fixed offset from their ASCII twins.
_FULL_WIDTH_OFFSET = 0xFEE0
_TO_HALF_WIDTH = {cp: cp - _FULL_WIDTH_OFFSET for cp in range(0xFF01, 0xFF5F)}
_TO_HALF_WIDTH[0x3000] = ord(" ")  # ideographic space


def normalise(text: str) -> str:
    """Return *text* half-width, without whitespace, ASCII letters uppercased.

    Only ASCII letters are uppercased (``str.upper`` on the whole string could
    change non-ASCII characters, e.g. "ß" -> "SS"); CJK is left unchanged.
    """
    half = text.translate(_TO_HALF_WIDTH)
    compact = "".join(half.split())  # split() knows every Unicode whitespace
    return "".join(ch.upper() if ch.isascii() else ch for ch in compact)


# --------------------------------------------------------------------------
# Error type
# --------------------------------------------------------------------------


class IdentifierError(ValueError):
    """An identifier is invalid; ``part`` says which part, ``message`` why.

    Part codes:
      USCC:          "length", "charset", "area", "check_char"
      registration:  "format" (not one of the accepted forms), "old_style"
                     (an expired pre-2014 certificate), "kind"
                     (form not accepted here), "authority", "origin",
                     "digits" (digit block has non-digits or a wrong count),
                     "year", "class", "category", "serial"
    """

    def __init__(self, part: str, message: str) -> None:
        super().__init__(message)
        self.part = part
        self.message = message

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------
# Unified social credit code (GB 32100-2015)
# --------------------------------------------------------------------------

USCC_LENGTH = 18
# 31 characters: digits and uppercase letters without I, O, S, V, Z.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_AREA = slice(2, 8)  # positions 3-8: the registering authority's administrative area code
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}


def uscc_check_char(first17: str) -> str:
    """Return the check character for the first 17 characters of a USCC."""
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    # 31 - (total mod 31), where a result of 31 wraps round to '0'.
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(text: str) -> str:
    """Return the normalised 18-character code, or raise IdentifierError."""
    code = normalise(text)
    if len(code) != USCC_LENGTH:
        raise IdentifierError(
            "length",
            f"统一社会信用代码应为18位，实际为{len(code)}位",
        )
    for pos, ch in enumerate(code, start=1):
        if ch not in _USCC_VALUE:
            raise IdentifierError(
                "charset",
                f"统一社会信用代码第{pos}位「{ch}」不是有效字符（只能使用数字和除 I、O、Z、S、V 以外的大写字母）",
            )
    for pos, ch in enumerate(code[USCC_AREA], start=USCC_AREA.start + 1):
        if not ch.isdigit():
            raise IdentifierError(
                "area",
                f"统一社会信用代码第3–8位是登记管理机关行政区划码，只能是数字，第{pos}位「{ch}」不是数字",
            )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise IdentifierError(
            "check_char",
            f"统一社会信用代码校验位错误：第18位应为 {expected}，实际为 {code[17]}",
        )
    return code
