"""Access control: login required by default, explicit public endpoints, role checks that are audited.

Each views module also keeps an `ACCESS` table ({endpoint: roles or PUBLIC}); the authorisation test
walks every route for every role and compares the outcome with those tables.
"""

from functools import wraps
from urllib.parse import urlsplit

from blinker import Namespace
from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from portal.core.errors import json_error
from portal.extensions import db

PUBLIC = "public"
ANY_USER = "any_user"

# Sent with (app, user=, reason=, endpoint=, path=) when a request is refused; the audit area records it.
access_denied = Namespace().signal("access-denied")


def public(view):
    """Mark a view as reachable without logging in."""
    view.is_public = True
    return view


def roles(*allowed):
    """Allow only users with one of `allowed` roles; anyone else gets 403 and an audit entry."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:  # the before_request hook normally catches this
                abort(401)
            if current_user.role not in allowed:
                deny(f"role {current_user.role.value} not in {[r.value for r in allowed]}")
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed
        return wrapper

    return decorator


def deny(reason: str):
    """Abandon the request's changes, have the denial audited (it is kept on its own) and answer 403."""
    db.session.rollback()
    access_denied.send(
        current_app._get_current_object(),
        user=current_user if current_user.is_authenticated else None,
        reason=reason,
        endpoint=request.endpoint,
        path=request.path,
    )
    abort(403)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def require_login():
    """before_request hook: everything needs a login unless the endpoint is marked public."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "is_public", False) or current_user.is_authenticated:
        return None
    if is_api_request():
        return json_error(401, "需要登录或有效的 API 令牌。")
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def safe_next(target: str | None, fallback: str = "/") -> str:
    """Return `target` only if it is a path on this site; anything that could leave the site gives `fallback`."""
    if not target:
        return fallback
    if any(ord(ch) < 0x20 or ch == "\\" for ch in target) or target != target.strip():
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target
