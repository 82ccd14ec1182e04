"""Hospital assessments over the API (DESIGN §6), with a personal API token.

`GET /api/v1/assessments` lists the token owner's hospital's assessments; `POST /api/v1/assessments/<id>/decision`
records a decision through the same service as the pages. Another hospital's id answers 404.
"""

from flask import g, jsonify, request

from portal.accounts.models import Role
from portal.api.auth import token_required
from portal.api.blueprint import ERROR_SCHEMA, ID, bp, paginated_response
from portal.assessments import reads, services
from portal.assessments.models import Assessment, Outcome
from portal.catalogue.models import EntryStatus
from portal.core import timeutil
from portal.core.access import public
from portal.core.errors import DomainError
from portal.core.inputs import parse_int
from portal.core.unit import error_json, run
from portal.workflow import AssessmentState

HOSPITAL = {Role.HOSPITAL}
ACCESS = {
    "api.assessments": HOSPITAL,
    "api.assessment_decision": HOSPITAL,
}
MAX_PER_PAGE = 100


def _iso(value):
    local = timeutil.to_shanghai(value)
    return local.isoformat(timespec="seconds") if local else None


def assessment_json(assessment: Assessment) -> dict:
    entry, batch = assessment.entry, assessment.batch
    return {
        "id": assessment.id,
        "state": assessment.state.value,
        "state_label": assessment.state.label,
        "outcome": assessment.outcome.value if assessment.outcome else None,
        "reason": assessment.reason,
        "due_at": _iso(assessment.due_at),
        "days_left": timeutil.days_left(assessment.due_at),
        "decided_at": _iso(assessment.decided_at),
        "is_late": assessment.is_late,
        "version": assessment.version_id,
        "batch": {"id": batch.id, "name": batch.name, "catalogue": batch.catalogue.code},
        "entry": {
            "id": entry.id,
            "product_name": entry.product_name,
            "model": entry.model,
            "registration_no": entry.registration_no,
            "manufacturer": entry.manufacturer,
            "category": entry.key_area,
            "departments": list(entry.departments or []),
            "status": entry.status.value,
        },
    }


def _int_arg(name: str, default: int, low: int, high: int):
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    value = parse_int(raw, low=0)
    if value is None:
        raise DomainError(f"参数 {name} 应为整数（{low} 到 {high}）。", field=name)
    if not low <= value <= high:
        raise DomainError(f"参数 {name} 应在 {low} 到 {high} 之间。", field=name)
    return value


@bp.route("/assessments")
@public  # authenticated by token_required
@token_required(Role.HOSPITAL)
def assessments():
    parsed = run(_list_page, g.api_user)  # reads only: a refused parameter becomes the JSON error
    if not parsed.ok:
        return error_json(parsed.error)
    total, page, per_page, rows = parsed.value
    return jsonify(
        total=total,
        page=page,
        per_page=per_page,
        items=[assessment_json(a) for a in rows],
    )


def _list_page(user):
    page = _int_arg("page", 1, 1, 100_000)
    per_page = _int_arg("per_page", 50, 1, MAX_PER_PAGE)
    state = request.args.get("state", "")
    if state and state not in {s.value for s in AssessmentState} | {"open", "overdue"}:
        allowed = "、".join([s.value for s in AssessmentState] + ["open", "overdue"])
        raise DomainError(f"参数 state 应为 {allowed} 之一。", field="state")
    filters = services.QueueFilters(state=state)
    batch = request.args.get("batch", "").strip()
    total, rows = reads.queue_page(user, filters, batch_ref=batch, page=page, per_page=per_page)
    return total, page, per_page, rows


@bp.route(f"/assessments/<{ID}:assessment_id>/decision", methods=["POST"])
@public  # authenticated by token_required
@token_required(Role.HOSPITAL)
def assessment_decision(assessment_id):
    decided = run(_decide, g.api_user, assessment_id, request.get_json(silent=True))
    return jsonify(assessment_json(decided.value)) if decided.ok else error_json(decided.error)


def _decide(user, assessment_id: int, data) -> Assessment:
    """The request body checked field by field, then the decision."""
    assessment = services.get_assessment(user, assessment_id)
    if not isinstance(data, dict):
        raise DomainError('请求体应为 JSON 对象，例如 {"outcome": "admitted"}。', field="body")
    for name in ("outcome", "reason"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise DomainError(f"字段 {name} 应为字符串。", field=name)
    version = data.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise DomainError("字段 version 应为整数。", field="version")
    if not data.get("outcome"):
        raise DomainError("缺少字段 outcome（admitted、declined 或 not_applicable）。", field="outcome")
    services.decide(user, assessment, data["outcome"], data.get("reason"), version)
    return assessment


# OpenAPI path objects for the API document (merged by portal/api/entries.py) -------------------------------

_ERROR = {"$ref": "#/components/schemas/Error"}


def _object(properties: dict) -> dict:
    """Every field always present, and no other (the contract test then catches an undocumented field)."""
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


_OUTCOMES = [o.value for o in Outcome]
_ASSESSMENT_SCHEMA = _object(
    {
        "id": {"type": "integer"},
        "state": {"type": "string", "enum": [s.value for s in AssessmentState]},
        "state_label": {"type": "string"},
        "outcome": {"type": ["string", "null"], "enum": [*_OUTCOMES, None]},
        "reason": {"type": ["string", "null"]},
        "due_at": {"type": "string", "format": "date-time"},
        "days_left": {"type": "integer", "description": "上海日历日；负数表示已逾期"},
        "decided_at": {"type": ["string", "null"], "format": "date-time"},
        "is_late": {"type": "boolean"},
        "version": {"type": "integer", "description": "乐观并发控制的版本号"},
        "batch": _object({"id": {"type": "integer"}, "name": {"type": "string"}, "catalogue": {"type": "string"}}),
        "entry": _object(
            {
                "id": {"type": "integer"},
                "product_name": {"type": "string"},
                "model": {"type": "string"},
                "registration_no": {"type": "string"},
                "manufacturer": {"type": "string"},
                "category": {"type": ["string", "null"]},
                "departments": {"type": "array", "items": {"type": "string"}},
                "status": {"type": "string", "enum": [s.value for s in EntryStatus]},
            }
        ),
    }
)


def _json_error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


_SECURITY = [{"bearerAuth": []}]
OPENAPI_PATHS = {
    "/api/v1/assessments": {
        "get": {
            "summary": "本院的入院评估任务",
            "description": "仅返回令牌所属医院的评估任务：逾期未完成的在前，其余按截止日期排序。",
            "security": _SECURITY,
            "parameters": [
                {
                    "name": "state",
                    "in": "query",
                    "schema": {"type": "string", "enum": [s.value for s in AssessmentState] + ["open", "overdue"]},
                },
                {"name": "batch", "in": "query", "schema": {"type": "string"}, "description": "批次 id 或名称"},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
                {
                    "name": "per_page",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50},
                },
            ],
            "responses": {
                "200": paginated_response(_ASSESSMENT_SCHEMA),
                "400": _json_error("参数有误（error.field 指明哪个参数）"),
                "401": _json_error("缺少 API 令牌，或令牌无效、已吊销"),
                "403": _json_error("令牌所属用户不是医院用户"),
            },
        }
    },
    "/api/v1/assessments/{id}/decision": {
        "post": {
            "summary": "记录评估结论",
            "description": "截止日期后作出的决定同样有效，并标记为逾期；修改决定会保留历史记录。",
            "security": _SECURITY,
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["outcome"],
                            "properties": {
                                "outcome": {"type": "string", "enum": _OUTCOMES},
                                "reason": {"type": "string", "description": "declined 和 not_applicable 时必填"},
                                "version": {"type": "integer", "description": "读取时的 version；不一致时返回 409"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "更新后的评估任务",
                    "content": {"application/json": {"schema": _ASSESSMENT_SCHEMA}},
                },
                "400": _json_error("输入有误（error.field 指明哪个字段）"),
                "401": _json_error("缺少 API 令牌，或令牌无效、已吊销"),
                "403": _json_error("令牌所属用户不是医院用户"),
                "404": _json_error("没有这个评估任务（或不属于本院）"),
                "409": _json_error("当前状态不允许（如产品已调出目录）或 version 已过期"),
            },
        }
    },
}
# Components the paths refer to; merge into the document's components.
OPENAPI_COMPONENTS = {
    "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "description": "个人 API 令牌"}},
    "schemas": {
        "Error": ERROR_SCHEMA,
    },
}
