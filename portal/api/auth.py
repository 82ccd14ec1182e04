"""Authentication for the hospital API: a personal token (`Authorization: Bearer …`).

The routes are marked public so that the login hook lets token requests through; this decorator then decides.
A browser session of a hospital user may read and, with its CSRF token, write (the site's own pages could use
the API), but a request that presents a token is judged by the token alone.
"""

from functools import wraps

from flask import current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from portal.accounts.models import Role
from portal.accounts.tokens import user_for_token
from portal.core.errors import json_error


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def token_required(*allowed_roles: Role):
    """Set `g.api_user` from the bearer token (or the session); 401 when missing or invalid, 403 by role."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if "Authorization" in request.headers:
                user = user_for_token(_bearer() or "")
                if user is None:
                    return _unauthorized("API 令牌无效或已被吊销。")
            elif current_user.is_authenticated:
                user = current_user._get_current_object()
                if request.method not in ("GET", "HEAD", "OPTIONS") and current_app.config.get(
                    "WTF_CSRF_ENABLED", True
                ):
                    try:
                        validate_csrf(request.headers.get("X-CSRFToken") or request.form.get("csrf_token"))
                    except (ValidationError, CSRFError):
                        return json_error(400, "缺少或无效的 CSRF 令牌；外部系统请使用 API 令牌。", code="csrf")
            else:
                return _unauthorized("需要 API 令牌：Authorization: Bearer <令牌>。")
            if allowed_roles and user.role not in allowed_roles:
                return json_error(403, "该接口仅供医院用户使用。")
            g.api_user = user
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _unauthorized(message: str):
    response, status = json_error(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response, status
