"""The portal's application factory."""

import importlib
import logging
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal import config as config_module
from portal.core.types import render_migration_type
from portal.extensions import csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(config_module.load(app.instance_path, overrides))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _configure_logging(app)

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=render_migration_type,
    )
    csrf.init_app(app)
    login_manager.init_app(app)

    from portal import models  # noqa: F401  (register every table)
    from portal.accounts.services import load_user_from_cookie
    from portal.core.inputs import IdConverter

    login_manager.user_loader(load_user_from_cookie)
    login_manager.session_protection = "basic"

    app.url_map.converters["int"] = IdConverter  # before any route is added
    _register_blueprints(app)
    _register_hooks(app)
    _register_cli(app)
    if app.config["PORTAL_PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PORTAL_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    return app


def _configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


# Every views module defines `bp` and an ACCESS table; the order decides nothing but readability.
BLUEPRINT_MODULES = (
    "portal.home.views",
    "portal.accounts.views",
    "portal.admin.views",
    "portal.catalogue.views",
    "portal.notifications.views",
    "portal.products.views",
    "portal.applications.views",
    "portal.review.views",
    "portal.objections.views",
    "portal.publishing.views",
    "portal.assessments.views",
    "portal.search.views",
    "portal.matchmaking.views",
    "portal.api.views",
    "portal.imports.views",
    "portal.adoption.views",
)

CLI_GROUPS = (
    "portal.admin.cli:users_cli",
    "portal.directory.cli:hospitals_cli",
    "portal.catalogue.cli:catalogue_cli",
    "portal.demo.cli:demo_cli",
    "portal.notifications.cli:notifications_cli",
    "portal.assessments.cli:assessments_cli",
    "portal.search.cli:search_cli",
    "portal.matchmaking.cli:matchmaking_cli",
    "portal.adoption.cli:adoption_cli",
)


def _register_blueprints(app: Flask) -> None:
    for module_name in BLUEPRINT_MODULES:
        app.register_blueprint(importlib.import_module(module_name).bp)


def _register_hooks(app: Flask) -> None:
    from portal import search
    from portal.admin import audit_labels as labels
    from portal.assessments import tally
    from portal.core import dataversion, errors_web, filters
    from portal.core.access import require_login
    from portal.core.inputs import reject_nul
    from portal.core.security import set_security_headers

    app.before_request(reject_nul)
    app.before_request(require_login)
    app.after_request(set_security_headers)
    errors_web.register(app)
    filters.register(app)
    search.register(app)
    tally.install()
    labels.register(app)
    with app.app_context():
        dataversion.install(db.engine)


def _register_cli(app: Flask) -> None:
    from portal.core.errors_cli import guard

    for spec in CLI_GROUPS:
        module_name, _, attribute = spec.partition(":")
        app.cli.add_command(guard(getattr(importlib.import_module(module_name), attribute)))


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL lets readers work while a writer commits; the busy timeout waits instead of failing at once."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
