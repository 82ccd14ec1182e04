"""Friendly error pages (and JSON under /api/), with every server error logged with its context.

Two failures are handled here once for every view and API: a concurrent change of a versioned row
(StaleDataError, wherever the flush happens) is the 409 "changed by someone else", and a database that cannot
be reached is a 503 rendered without touching the database.
"""

import contextlib

from flask import flash, redirect, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from portal.core.access import is_api_request, safe_next
from portal.core.errors import DomainError, StaleObject, json_error
from portal.extensions import db

MESSAGES = {
    400: "请求有误，请检查后重试。",
    401: "请先登录。",
    403: "您没有权限访问此页面。",
    404: "未找到您要访问的页面或记录。",
    405: "不支持该请求方式。",
    409: "该记录已被他人修改，请刷新后重试。",
    413: "上传的文件过大。",
    429: "操作过于频繁，请稍后再试。",
    503: "系统暂时不可用，请稍后重试。",
    500: "服务器出现错误，我们已记录此问题，请稍后再试。",
}


def _render(status: int, message: str | None = None):
    message = message or MESSAGES.get(status, MESSAGES[500])
    if is_api_request():
        return json_error(status, message)
    return render_template("errors/error.html", status=status, message=message), status


def register(app):
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _render(400, "表单已过期或缺少安全令牌（CSRF），请刷新页面后重新提交。")

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        """A service refused: API gets the status, a form post goes back with the message flashed."""
        db.session.rollback()
        if is_api_request() or request.method == "GET":
            return _render(exc.status_code, exc.message)
        flash(exc.message, "error")
        return redirect(safe_next(request.referrer and _local_path(request.referrer), request.path))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _render(exc.code or 500, getattr(exc, "message", None))

    @app.errorhandler(StaleDataError)
    def stale_data(exc: StaleDataError):
        db.session.rollback()
        return _render(409, StaleObject().message)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(exc: Exception):
        with contextlib.suppress(Exception):
            db.session.rollback()
        app.logger.error("database unavailable on %s %s: %s", request.method, request.path, exc.orig or exc)
        if is_api_request():
            return json_error(503, MESSAGES[503], code="503")
        # Standalone page: the layout would query the database again (user, unread notifications).
        return render_template("errors/unavailable.html", message=MESSAGES[503]), 503

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        db.session.rollback()
        app.logger.exception(
            "unhandled error on %s %s (endpoint=%s, user=%s)",
            request.method,
            request.path,
            request.endpoint,
            _user_id(),
        )
        return _render(500)


def _user_id() -> str:
    """Only the id: get_id() also carries the session token, which must never reach a log."""
    with contextlib.suppress(Exception):
        if current_user and current_user.is_authenticated:
            return str(current_user.id)
    return "anonymous"


def _local_path(url: str) -> str:
    """The path and query of a same-site referrer (safe_next rejects anything else)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")
