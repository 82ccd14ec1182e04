"""The JSON API blueprint (`/api/v1/`). Reads are public; hospital endpoints take a personal API token.

Flask-WTF's global CSRF check is off for this blueprint: a request with `Authorization: Bearer …` cannot be
forged by a cross-site form, so it needs no token, and a write authenticated by the session cookie is checked
for its CSRF token in `portal.api.auth` instead.
"""

from flask import Blueprint

from portal.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Ids are 32-bit integer columns: a larger number in a URL is "not found", never a database error (PostgreSQL).
MAX_ID = 2**31 - 1
ID = f"int(max={MAX_ID})"
csrf.exempt(bp)


def paginated_response(item_schema: dict) -> dict:
    """OpenAPI 200 response of a paginated list: {"total", "page", "per_page", "items": [item]}."""
    return {
        "description": "分页结果",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "total": {"type": "integer"},
                        "page": {"type": "integer"},
                        "per_page": {"type": "integer"},
                        "items": {"type": "array", "items": item_schema},
                    },
                    "required": ["total", "page", "per_page", "items"],
                    "additionalProperties": False,
                }
            }
        },
    }


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": "string"},
            },
            "required": ["code", "message"],
            "additionalProperties": False,
        }
    },
    "required": ["error"],
    "additionalProperties": False,
}
