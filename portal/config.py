"""Settings, read from the environment (DESIGN §6).

`DATABASE_URL` and `SECRET_KEY` keep their conventional names; everything else is `PORTAL_*`.
"""

import os
from pathlib import Path

ENVIRONMENTS = ("production", "development", "testing")


class ConfigError(RuntimeError):
    """Raised at start-up when the environment cannot run the portal safely."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def load(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the Flask config mapping; `overrides` (tests, scripts) win over the environment."""
    overrides = dict(overrides or {})
    env = overrides.get("PORTAL_ENV") or os.environ.get("PORTAL_ENV", "production")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"PORTAL_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
    instance = Path(instance_path)
    cfg = {
        "PORTAL_ENV": env,
        "TESTING": env == "testing",
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'portal.sqlite3'}",
        "PORTAL_SEARCH_INDEX_DIR": os.environ.get("PORTAL_SEARCH_INDEX_DIR", str(instance / "search-index")),
        "PORTAL_UPLOAD_DIR": os.environ.get("PORTAL_UPLOAD_DIR", str(instance / "uploads")),
        "PORTAL_UPLOAD_MAX_BYTES": _int("PORTAL_UPLOAD_MAX_BYTES", 20 * 1024 * 1024),
        "PORTAL_MAIL_SERVER": os.environ.get("PORTAL_MAIL_SERVER", ""),
        "PORTAL_MAIL_SENDER": os.environ.get("PORTAL_MAIL_SENDER", "noreply@xinyou.example.cn"),
        "PORTAL_BASE_URL": os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000"),
        # Throttle (portal/accounts/throttle.py): attempts per e-mail and address in the window; 4x per e-mail
        # and per address from addresses the user has not logged in from before.
        "PORTAL_LOGIN_MAX_FAILURES": _int("PORTAL_LOGIN_MAX_FAILURES", 5),
        "PORTAL_LOGIN_WINDOW_MINUTES": _int("PORTAL_LOGIN_WINDOW_MINUTES", 15),
        "PORTAL_HTTPS": _bool("PORTAL_HTTPS", False),
        "PORTAL_PAGE_SIZE": _int("PORTAL_PAGE_SIZE", 50),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_I18N_ENABLED": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "MAX_CONTENT_LENGTH": None,
        "JSON_AS_ASCII": False,
    }
    cfg.update(overrides)
    cfg["MAX_CONTENT_LENGTH"] = cfg["MAX_CONTENT_LENGTH"] or cfg["PORTAL_UPLOAD_MAX_BYTES"] + 1024 * 1024
    secure = bool(cfg["PORTAL_HTTPS"])
    cfg["SESSION_COOKIE_SECURE"] = secure
    cfg["REMEMBER_COOKIE_SECURE"] = secure
    _check_secret(cfg)
    return cfg


def _check_secret(cfg: dict) -> None:
    if cfg["SECRET_KEY"]:
        if cfg["PORTAL_ENV"] == "production" and len(cfg["SECRET_KEY"]) < 32:
            raise ConfigError("SECRET_KEY is too short for production: use at least 32 random characters")
        return
    if cfg["PORTAL_ENV"] == "production":
        raise ConfigError(
            "SECRET_KEY is not set. Set it in the environment (for example "
            "`export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')`), "
            "or set PORTAL_ENV=development for local work."
        )
    # Development and tests get a key that is random per process: sessions do not survive a restart,
    # which is exactly what a throwaway environment should do.
    cfg["SECRET_KEY"] = os.urandom(32).hex()
