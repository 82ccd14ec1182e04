"""What the search pages share: reading the request, links that add or drop a facet, exports."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import Response, abort, request, url_for

from portal.core import spreadsheet, timeutil
from portal.core.inputs import parse_int
from portal.search import services

PER_PAGE_WEB = 20


def _int_arg(name: str, default: int) -> int:
    value = parse_int(request.args.get(name), high=10_000)
    return default if value is None else value


def read_request(fixed: dict[str, str] | None = None) -> dict:
    """The search a page asks for: text, facet filters (with `fixed` ones that the page imposes), sort, page."""
    filters = services.parse_filters(request.args)
    filters.update(fixed or {})
    sort = request.args.get("sort", "")
    text = request.args.get("q", "").strip()[:200]
    return {
        "text": text,
        "filters": filters,
        "sort": sort if sort in services.SORTS else ("relevance" if text else "date"),
        "page": _int_arg("page", 1),
    }


SEARCH_ARGS = (*services.FACET_ORDER_ALL, "q", "sort")


def search_args() -> dict[str, str]:
    """The request's search arguments that links carry on: only known names, so an argument named like a route's
    own (`fmt`, `code`) or url_for's (`_external`) can never reach url_for."""
    return {k: v for k, v in request.args.items() if v and k in SEARCH_ARGS}


def link_builder(endpoint: str, view_args: dict, fixed: set[str]):
    """link(**changes): this search's URL with some arguments changed (None drops one; page resets).

    The path is built once: a page has a link per facet value, and url_for per link cost more than the
    search itself. Only known argument names are carried (search_args).
    """
    keep = {k: v for k, v in search_args().items() if k != "page" and k not in fixed}
    path = url_for(endpoint, **view_args)

    def link(**changes) -> str:
        args = dict(keep)
        for key, value in changes.items():
            if value is None or value == "" or key in fixed:
                args.pop(key, None)
            else:
                args[key] = value
        return f"{path}?{urlencode(args)}" if args else path

    return link


DATE_COLUMNS = {"入目录日期"}


def export_response(fmt: str, text: str, filters: dict[str, str], basename: str) -> Response:
    if fmt not in ("csv", "xlsx"):
        abort(404)
    header, *rows = services.export_rows(text, filters)
    dates = [i for i, h in enumerate(header) if h in DATE_COLUMNS]
    for row in rows:
        for i in dates:
            row[i] = date.fromisoformat(row[i]) if row[i] else None
    sheet = spreadsheet.Sheet("目录产品", spreadsheet.columns(*header, **dict.fromkeys(DATE_COLUMNS, "date")), rows)
    return spreadsheet.respond(fmt, f"{basename}-{timeutil.today_shanghai():%Y%m%d}", [sheet])
