"""The adoption blueprint, shared by the hospital/company/public pages and the supervisors' dashboard."""

from flask import Blueprint, Response, current_app, request

from portal.core import spreadsheet
from portal.core.inputs import parse_int

bp = Blueprint("adoption", __name__)


def page_number(name: str = "page") -> int:
    return parse_int(request.args.get(name), high=100_000) or 1


def per_page() -> int:
    return current_app.config["PORTAL_PAGE_SIZE"]


def xlsx(sheets, name: str) -> Response:
    """Every adoption table, given as (title, headers, rows), as one workbook through the one export writer."""
    return spreadsheet.respond("xlsx", name, [spreadsheet.inferred_sheet(*sheet) for sheet in sheets])


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
