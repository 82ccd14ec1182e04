"""Absolute links that leave the site (mail, calendar feeds)."""

from flask import current_app, has_request_context, request

# Commands run outside a request (reminders from cron) and PORTAL_BASE_URL is unset: `make run`'s default address.
FALLBACK_BASE_URL = "http://127.0.0.1:8000"


def base_url() -> str:
    """PORTAL_BASE_URL when set (production sets it); else the address the current request came to, so a
    portal served on another port (`PORT=8080 make run`) links to itself; else the local default."""
    configured = (current_app.config.get("PORTAL_BASE_URL") or "").strip()
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return FALLBACK_BASE_URL
