"""Domain errors raised by services; views turn them into messages, the API into status codes."""

from flask import jsonify


class DomainError(Exception):
    """A business rule refused the action. `message` is Chinese and shown to the user as is."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class FieldErrors(DomainError):
    """Several fields are wrong at once; `errors` maps each field to its message (a form shows each beside its
    field, the API names the first)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("；".join(errors.values()), field=next(iter(errors)))
        self.errors = errors


class IllegalTransition(DomainError):
    status_code = 409


class StaleObject(DomainError):
    """Someone else changed the object since the form was loaded."""

    status_code = 409

    def __init__(self, message: str = "该记录已被他人修改，请刷新页面后重试。"):
        super().__init__(message)


class PermissionDenied(DomainError):
    status_code = 403

    def __init__(self, message: str = "您没有权限执行此操作。"):
        super().__init__(message)


class NotFound(DomainError):
    """Also used for objects that exist but are not the actor's: never reveal another party's records."""

    status_code = 404

    def __init__(self, message: str = "未找到该记录。"):
        super().__init__(message)


def json_error(status: int, message: str, *, code: str | None = None, field: str | None = None):
    """The API's error answer (the OpenAPI Error schema) and its status; `code` defaults to the status's."""
    body = {"code": code or ERROR_CODES.get(status, str(status)), "message": message}
    if field:
        body["field"] = field
    return jsonify(error=body), status


# The API's `error.code` for each status, the same whichever layer answers (a service's refusal, the route
# table, the app-wide handlers), so a client can branch on one vocabulary.
ERROR_CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "throttled",
    500: "server_error",
    503: "unavailable",
}
