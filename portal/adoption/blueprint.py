"""The adoption blueprint, shared by the hospital/company/public pages and the supervisors' dashboard."""

from flask import Blueprint, Response, current_app, request

from portal.assessments import exports

bp = Blueprint("adoption", __name__)


def page_number(name: str = "page") -> int:
    raw = request.args.get(name, "1")
    return max(1, min(int(raw), 100_000)) if raw.isdigit() else 1


def per_page() -> int:
    return current_app.config["PORTAL_PAGE_SIZE"]


def xlsx(sheets, name: str) -> Response:
    """Every adoption table as one workbook (the assessments area's writer: bold frozen header)."""
    from urllib.parse import quote

    response = Response(exports.to_xlsx(sheets), mimetype=exports.MIME["xlsx"])
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(name)}.xlsx"
    )
    return response


@bp.app_template_global("product_adoption")
def product_adoption(entries) -> dict:
    """{entry id: counts} for the company's product page (the products area knows nothing of adoption)."""
    from portal.adoption.figures import Scope, entry_counts

    result = {}
    for entry in entries:
        rows = entry_counts(Scope(entry_id=entry.id))
        if rows:
            result[entry.id] = rows[0]
    return result
