"""What the search pages share: reading the request, links that add or drop a facet, exports."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Response, abort, request, url_for
from openpyxl import Workbook

from portal.search import services

PER_PAGE_WEB = 20


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


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


def link_builder(endpoint: str, view_args: dict, fixed: set[str]):
    """link(**changes): this search's URL with some arguments changed (None drops one; page resets)."""
    keep = {k: v for k, v in request.args.items() if v and k != "page"}

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
