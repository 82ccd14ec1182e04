"""Settings, read from the environment (DESIGN §6).

`DATABASE_URL` and `SECRET_KEY` keep their conventional names; everything else is `PORTAL_*`.
"""

import os
from pathlib import Path

ENVIRONMENTS = ("production", "development", "testing")
DEFAULT_HELP_CONTACT = "目录咨询：上海市民服务热线 12345（工作日 9:00–17:00）；平台使用问题请联系本单位的平台管理员。"


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
        # Each process reads the index log this often (0: only before searches and after writes).
        "PORTAL_SEARCH_POLL_MS": _int("PORTAL_SEARCH_POLL_MS", 0 if env == "testing" else 1000),
        "PORTAL_SEARCH_LOG_HORIZON_HOURS": _int("PORTAL_SEARCH_LOG_HORIZON_HOURS", 24),
        "PORTAL_MAIL_SERVER": os.environ.get("PORTAL_MAIL_SERVER", ""),
        "PORTAL_MAIL_SENDER": os.environ.get("PORTAL_MAIL_SENDER", "noreply@xinyou.example.cn"),
        # Unset: links follow the serving address (portal.core.links.base_url).
        "PORTAL_BASE_URL": os.environ.get("PORTAL_BASE_URL", ""),
        # Throttle (portal/accounts/throttle.py): attempts per e-mail and address in the window; 4x per e-mail
        # and per address from addresses the user has not logged in from before.
        "PORTAL_LOGIN_MAX_FAILURES": _int("PORTAL_LOGIN_MAX_FAILURES", 5),
        "PORTAL_LOGIN_WINDOW_MINUTES": _int("PORTAL_LOGIN_WINDOW_MINUTES", 15),
        "PORTAL_HTTPS": _bool("PORTAL_HTTPS", False),
        # Proxies (load balancers) in front of the nodes whose X-Forwarded-For/-Proto are trusted: without
        # this every client would share the balancer's address in the login and objection limits.
        "PORTAL_PROXY_HOPS": _int("PORTAL_PROXY_HOPS", 0),
        "PORTAL_PAGE_SIZE": _int("PORTAL_PAGE_SIZE", 50),
        # Who to call about the catalogue, shown at the foot of every page.
        "PORTAL_HELP_CONTACT": os.environ.get("PORTAL_HELP_CONTACT", DEFAULT_HELP_CONTACT),
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
    cfg["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(cfg)
    cfg["MAX_CONTENT_LENGTH"] = cfg["MAX_CONTENT_LENGTH"] or cfg["PORTAL_UPLOAD_MAX_BYTES"] + 1024 * 1024
    secure = bool(cfg["PORTAL_HTTPS"])
    cfg["SESSION_COOKIE_SECURE"] = secure
    cfg["REMEMBER_COOKIE_SECURE"] = secure
    _check_secret(cfg)
    return cfg


def _engine_options(cfg: dict) -> dict:
    """PostgreSQL runs with JIT off: it compiled for 0.5–2.4 s before short queries whose cost estimate
    crossed its threshold (a compliance sum at 12,000 hospitals), and this workload has no long analytics."""
    options = dict(cfg["SQLALCHEMY_ENGINE_OPTIONS"])
    if str(cfg["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        connect_args = dict(options.get("connect_args", {}))
        connect_args.setdefault("options", "-c jit=off")
        options["connect_args"] = connect_args
    return options


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
