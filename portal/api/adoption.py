"""Use reports and equipping over the API (DESIGN §6), with a personal API token, through the same services
as the pages: `PUT /api/v1/assessments/<id>/usage/<YYYY-MM>` and `POST /api/v1/assessments/<id>/equipped`."""

from datetime import date

from flask import g, jsonify, request

from portal.accounts.models import Role
from portal.adoption import services
from portal.adoption.models import ProcurementRoute
from portal.api.auth import token_required
from portal.api.blueprint import bp
from portal.assessments.services import get_assessment
from portal.core import timeutil
from portal.core.access import public
from portal.core.errors import DomainError
from portal.core.unit import error_json, run

ACCESS = {
    "api.assessment_usage": {Role.HOSPITAL},
    "api.assessment_equipped": {Role.HOSPITAL},
}


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DomainError("请求体应为 JSON 对象。", field="body")
    return data


def usage_json(report, equipping) -> dict:
    return {
        "assessment_id": report.assessment_id,
        "month": report.month,
        "uses": report.uses,
        "equipped_on": equipping.equipped_on.isoformat(),
        "reported_at": timeutil.to_shanghai(report.reported_at).isoformat(timespec="seconds"),
    }


def equipping_json(equipping) -> dict:
    return {
        "assessment_id": equipping.assessment_id,
        "equipped_on": equipping.equipped_on.isoformat(),
        "route": equipping.route.value,
        "route_label": equipping.route.label,
        "note": equipping.note,
    }


@bp.route("/assessments/<int:assessment_id>/usage/<month>", methods=["PUT"])
@public  # authenticated by token_required
@token_required(Role.HOSPITAL)
def assessment_usage(assessment_id, month):
    return _answer(run(_report_usage, g.api_user, assessment_id, month))


def _report_usage(user, assessment_id, month):
    assessment = get_assessment(user, assessment_id)
    uses = _body().get("uses")
    if isinstance(uses, bool) or not isinstance(uses, int):
        raise DomainError('字段 uses 应为非负整数，例如 {"uses": 12}。', field="uses")
    report = services.report_usage(user, assessment, month, uses)
    return lambda: usage_json(report, services.equipping_of(assessment))


@bp.route("/assessments/<int:assessment_id>/equipped", methods=["POST"])
@public  # authenticated by token_required
@token_required(Role.HOSPITAL)
def assessment_equipped(assessment_id):
    return _answer(run(_record_equipped, g.api_user, assessment_id))


def _record_equipped(user, assessment_id):
    assessment = get_assessment(user, assessment_id)
    data = _body()
    for name in ("equipped_on", "route", "note"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise DomainError(f"字段 {name} 应为字符串。", field=name)
    try:
        equipped_on = date.fromisoformat(data["equipped_on"]) if data.get("equipped_on") else None
    except ValueError:
        raise DomainError("字段 equipped_on 应为日期 YYYY-MM-DD。", field="equipped_on") from None
    equipping = services.record_equipped(user, assessment, equipped_on, data.get("route") or "", data.get("note") or "")
    return lambda: equipping_json(equipping)


def _answer(outcome):
    """The saved object as JSON (read after the one commit), or the error body with its status."""
    return jsonify(outcome.value()) if outcome.ok else error_json(outcome.error)


# OpenAPI ------------------------------------------------------------------------------------------------------

_ERROR = {"$ref": "#/components/schemas/Error"}


def _err(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


_SECURITY = [{"bearerAuth": []}]
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}, "description": "评估任务 id"}
_COMMON_ERRORS = {
    "400": _err("输入有误（error.field 指明哪个字段）"),
    "401": _err("缺少 API 令牌，或令牌无效、已吊销"),
    "403": _err("令牌所属用户不是医院用户"),
    "404": _err("没有这个评估任务（或不属于本院）"),
    "409": _err("评估结论不是「同意配备」"),
}
USAGE_SCHEMA = {
    "type": "object",
    "properties": {
        "assessment_id": {"type": "integer"},
        "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
        "uses": {"type": "integer", "minimum": 0},
        "equipped_on": {"type": "string", "format": "date"},
        "reported_at": {"type": "string", "format": "date-time"},
    },
    "required": ["assessment_id", "month", "uses", "equipped_on", "reported_at"],
    "additionalProperties": False,
}
EQUIPPING_SCHEMA = {
    "type": "object",
    "properties": {
        "assessment_id": {"type": "integer"},
        "equipped_on": {"type": "string", "format": "date"},
        "route": {"type": "string", "enum": [r.value for r in ProcurementRoute]},
        "route_label": {"type": "string"},
        "note": {"type": "string"},
    },
    "required": ["assessment_id", "equipped_on", "route", "route_label", "note"],
    "additionalProperties": False,
}
OPENAPI_PATHS = {
    "/api/v1/assessments/{id}/usage/{month}": {
        "put": {
            "summary": "填报某月使用例数",
            "description": "只适用于「同意配备」且已登记配备的产品；不能填报配备之前或未来的月份；"
            "同一月份再次填报会覆盖。",
            "security": _SECURITY,
            "parameters": [
                _ID,
                {
                    "name": "month",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                    "description": "月份 YYYY-MM",
                },
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["uses"],
                            "properties": {"uses": {"type": "integer", "minimum": 0, "description": "使用例数"}},
                        }
                    }
                },
            },
            "responses": {
                "200": {"description": "保存后的使用情况", "content": {"application/json": {"schema": USAGE_SCHEMA}}},
                **_COMMON_ERRORS,
            },
        }
    },
    "/api/v1/assessments/{id}/equipped": {
        "post": {
            "summary": "登记配备",
            "description": "同意配备的产品在本院可用的日期与采购方式；再次提交会修改（不能晚于已填报的最早月份）。",
            "security": _SECURITY,
            "parameters": [_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["equipped_on", "route"],
                            "properties": {
                                "equipped_on": {"type": "string", "format": "date", "description": "配备日期"},
                                "route": {
                                    "type": "string",
                                    "enum": [r.value for r in ProcurementRoute],
                                    "description": "、".join(f"{r.value}={r.label}" for r in ProcurementRoute),
                                },
                                "note": {"type": ["string", "null"]},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {"description": "配备信息", "content": {"application/json": {"schema": EQUIPPING_SCHEMA}}},
                **_COMMON_ERRORS,
            },
        }
    },
}
