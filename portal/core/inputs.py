"""Reading untrusted input: ids in paths and arguments, and NUL bytes anywhere in a request.

Ids are 32-bit integer columns on PostgreSQL: a larger number must read as "no such record", never reach
the database (where it is an overflow error). PostgreSQL also refuses NUL characters in text, so a request
carrying one is answered 400 before any view runs.
"""

from flask import request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` for every route: a number beyond MAX_ID does not match, so the route answers 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


class BadInput(BadRequest):
    """400 with a Chinese message for the error page (and the API's JSON)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse_int(raw, low: int = 1, high: int = MAX_ID) -> int | None:
    """`raw` as an int in [low, high], or None. ASCII digits only: `isdigit()` also accepts '²', which int()
    refuses."""
    raw = (raw or "").strip() if isinstance(raw, str) else ""
    if not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if low <= value <= high else None


MAX_PAGE = 100_000


def read_page(name: str = "page") -> int:
    """The page number asked for (1 when absent); anything but ASCII digits in 1..MAX_PAGE is a 400."""
    raw = request.args.get(name, "")
    if raw == "":
        return 1
    page = parse_int(raw, high=MAX_PAGE)
    if page is None:
        raise BadInput(f"参数「{name}」应为 1 到 {MAX_PAGE} 之间的整数。")
    return page


def _nul_field() -> str | None:
    """The name of the first part of the request that carries a NUL character."""
    if "\x00" in request.path:
        return "路径"
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            if "\x00" in name or "\x00" in value:
                return name.replace("\x00", "")
    if request.is_json and b"\\u0000" in request.get_data(cache=True):
        return "JSON"
    return None


def reject_nul():
    """before_request hook: a NUL character anywhere (path, query, form, JSON) is a clear 400."""
    field = _nul_field()
    if field is not None:
        raise BadInput(f"「{field}」中含有不允许的空字符（NUL），请删除后重试。")
