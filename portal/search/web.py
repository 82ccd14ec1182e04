"""What the search pages share: reading the request, links that add or drop a facet, exports."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Response, abort, request, url_for
from openpyxl import Workbook

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
    """link(**changes): this search's URL with some arguments changed (None drops one; page resets)."""
    keep = search_args()

    def link(**changes) -> str:
        args = dict(keep)
        for key, value in changes.items():
            if value is None or value == "":
                args.pop(key, None)
            else:
                args[key] = value
        for key in fixed:
            args.pop(key, None)
        return url_for(endpoint, **view_args, **args)

    return link


def facet_arg_value(name: str, value: str, labels_codes: dict[str, str]) -> str:
    """The request argument for a facet value: catalogues by code, everything else by the stored value."""
    return labels_codes.get(value, value) if name == "catalogue" else value


def export_response(fmt: str, text: str, filters: dict[str, str], basename: str) -> Response:
    rows = services.export_rows(text, filters)
    stamp = date.today().strftime("%Y%m%d")
    filename = f"{basename}-{stamp}"
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        body = "\ufeff" + buffer.getvalue()  # utf-8-sig: Excel opens it as UTF-8
        return _download(body.encode("utf-8"), "text/csv; charset=utf-8", f"{filename}.csv")
    if fmt == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "目录产品"
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "A2"
        out = io.BytesIO()
        workbook.save(out)
        return _download(
            out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"{filename}.xlsx"
        )
    abort(404)


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    from urllib.parse import quote

    response = Response(body, mimetype=mimetype)
    ascii_name = "catalogue-export" + filename[filename.rfind(".") :]
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response
