"""Public catalogue entries over the API (DESIGN §6) and the OpenAPI 3.1 document of every /api/v1 endpoint."""

from flask import jsonify, request, url_for
from flask_login import current_user

from portal.api import adoption, assessments
from portal.api.blueprint import ERROR_SCHEMA, ID, bp, paginated_response
from portal.catalogue.batches import batch_ids
from portal.catalogue.models import EntryStatus
from portal.catalogue.services import get_by_code, get_entry
from portal.core.access import PUBLIC, public
from portal.core.errors import json_error
from portal.products.models import InnovativeReview, ProductType
from portal.search import indexer, services

ACCESS = {
    "api.entries": PUBLIC,
    "api.entry": PUBLIC,
    "api.openapi": PUBLIC,
}
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


class _BadParam(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def _int_param(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "").strip()
    if raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise _BadParam(name, f"参数 {name} 应为正整数，收到「{raw[:20]}」。")
    value = int(raw)
    if not low <= value <= high:
        raise _BadParam(name, f"参数 {name} 应在 {low} 到 {high} 之间，收到 {value}。")
    return value


def _filters() -> dict[str, str]:
    """API filters: catalogue by code, batch by id or name (within the catalogue if given), category = key area."""
    filters: dict[str, str] = {}
    catalogue_id = None
    code = request.args.get("catalogue", "").strip()
    if code:
        catalogue = get_by_code(code)
        if catalogue is None:
            raise _BadParam("catalogue", f"没有代码为「{code[:32]}」的目录。")
        catalogue_id = catalogue.id
        filters["catalogue"] = str(catalogue_id)
    batch = request.args.get("batch", "").strip()
    if batch:
        ids = batch_ids(batch, catalogue_id)
        if len(ids) != 1:
            message = "没有这个批次。" if not ids else "多个目录都有这个批次名称，请同时指定 catalogue。"
            raise _BadParam("batch", message)
        filters["batch"] = str(ids[0])
    for arg, facet in (("category", "key_area"), ("department", "department"), ("status", "status")):
        value = request.args.get(arg, "").strip()
        if value:
            if facet == "status" and value not in ("listed", "delisted"):
                raise _BadParam("status", "参数 status 应为 listed 或 delisted。")
            filters[facet] = value
    return filters


@bp.route("/entries")
@public
def entries():
    try:
        page = _int_param("page", 1, 1, 10_000)
        per_page = _int_param("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
        filters = _filters()
    except _BadParam as exc:
        return json_error(400, exc.message, code="invalid_parameter", field=exc.field)
    text = request.args.get("q", "").strip()[:200]
    result = services.search_entries(text, filters, page=page, per_page=per_page, facets=False, suggest=False)
    return jsonify(
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        items=[services.api_item(item) for item in result.items],
    )


@bp.route(f"/entries/<{ID}:entry_id>")
@public
def entry(entry_id):
    item = get_entry(current_user, entry_id)  # a missing entry: 404 JSON from the app's DomainError handler
    data = indexer.entry_doc(item)["data"]
    body = services.api_item(data)
    body.update(
        catalogue_name=data["catalogue_name"],
        key_area=data["key_area"],
        product_type=item.product_type,
        innovative_review=item.innovative_review,
        indications=item.indications,
        description=item.description,
        delisted_on=item.delisted_on.isoformat() if item.delisted_on else None,
        url=url_for("catalogue.entry", entry_id=item.id, _external=True),
    )
    return jsonify(body)


# ---------------------------------------------------------------------------------------------------------
# OpenAPI
# ---------------------------------------------------------------------------------------------------------

_ERROR_REF = {"$ref": "#/components/schemas/Error"}
# What `api_item` returns; every field is always present (additionalProperties false: the contract test then
# fails on any field the code sends and the document does not describe).
_ENTRY_PROPERTIES = {
    "id": {"type": "integer"},
    "product_name": {"type": "string", "description": "产品名称"},
    "model": {"type": "string", "description": "型号规格"},
    "registration_no": {"type": "string", "description": "注册证编号 / 备案号 / 批准文号（规范化）"},
    "manufacturer": {"type": "string", "description": "注册人"},
    "catalogue": {"type": "string", "description": "目录代码"},
    "batch": {"type": "string", "description": "批次名称"},
    "category": {"type": ["string", "null"], "description": "重点领域（如 高端医学影像）"},
    "device_class": {"type": ["string", "null"], "enum": ["I", "II", "III", None]},
    "departments": {"type": "array", "items": {"type": "string"}},
    "innovative": {"type": "boolean", "description": "是否通过创新医疗器械特别审查"},
    "listed_on": {"type": "string", "format": "date"},
    "status": {"type": "string", "enum": [s.value for s in EntryStatus]},
}
# What `entry` adds to it.
_DETAIL_PROPERTIES = {
    "catalogue_name": {"type": "string", "description": "目录名称"},
    "key_area": {"type": ["string", "null"], "description": "重点领域（与 category 相同）"},
    "product_type": {"type": "string", "enum": [t.value for t in ProductType], "description": "产品类型"},
    "innovative_review": {
        "type": "string",
        "enum": [r.value for r in InnovativeReview],
        "description": "创新医疗器械特别审查：未通过、国家、上海",
    },
    "indications": {"type": "string", "description": "适用范围"},
    "description": {"type": "string", "description": "产品描述"},
    "delisted_on": {"type": ["string", "null"], "format": "date", "description": "调出目录日期"},
    "url": {"type": "string", "format": "uri", "description": "公开的条目页面"},
}


def _object(properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _err(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def _q(name, description, schema=None) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


ENTRIES_PATHS = {
    "/api/v1/entries": {
        "get": {
            "summary": "检索目录条目",
            "description": "多个关键词须同时满足；支持中文片段、型号、注册证编号前缀、企业简称、同义词与拼音。"
            "有 q 时按相关度排序，否则按入目录日期倒序。默认只返回在列产品（status=delisted 返回已调出产品）。"
            "筛选值没有匹配的条目时返回 200 与空列表（total 为 0）。",
            "parameters": [
                _q("q", "检索词"),
                _q("catalogue", "目录代码，如 SH-XYYX"),
                _q("batch", "批次 id 或名称（名称在多个目录中重复时须同时给出 catalogue）"),
                _q("category", "重点领域，如 高端医学影像"),
                _q("department", "适用科室，如 医学影像科"),
                _q("status", "listed（默认）或 delisted", {"type": "string", "enum": ["listed", "delisted"]}),
                _q("page", "页码", {"type": "integer", "minimum": 1, "default": 1}),
                _q("per_page", "每页条数", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 20}),
            ],
            "responses": {
                "200": paginated_response({"$ref": "#/components/schemas/Entry"}),
                "400": _err("参数有误（error.field 指明哪个参数）"),
            },
        }
    },
    "/api/v1/entries/{id}": {
        "get": {
            "summary": "目录条目详情",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {
                "200": {
                    "description": "条目（含适用范围、产品描述等）",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EntryDetail"}}},
                },
                "404": _err("没有这个条目"),
            },
        }
    },
    "/api/v1/openapi.json": {
        "get": {
            "summary": "本文档",
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1 文档",
                    "content": {
                        "application/json": {
                            "schema": {"type": "object", "required": ["openapi", "info", "paths", "components"]}
                        }
                    },
                }
            },
        },
    },
}

_COMPONENTS = {
    "schemas": {
        "Entry": _object(_ENTRY_PROPERTIES),
        "EntryDetail": _object({**_ENTRY_PROPERTIES, **_DETAIL_PROPERTIES}),
        "Error": ERROR_SCHEMA,
    }
}


def openapi_document() -> dict:
    paths = dict(ENTRIES_PATHS)
    components = {k: dict(v) for k, v in _COMPONENTS.items()}
    paths.update(assessments.OPENAPI_PATHS)
    paths.update(adoption.OPENAPI_PATHS)
    for section, values in assessments.OPENAPI_COMPONENTS.items():
        components.setdefault(section, {})
        for key, value in values.items():
            components[section].setdefault(key, value)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "上海新优药械目录平台 API",
            "version": "1",
            "description": "目录条目检索为公开接口；医院评估接口需个人 API 令牌（Authorization: Bearer …）。"
            '错误统一返回 {"error": {"code", "message", "field"}}。',
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": components,
    }


@bp.route("/openapi.json")
@public
def openapi():
    return jsonify(openapi_document())
