"""The portal's application factory."""

import logging
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal import config as config_module
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
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from portal import models  # noqa: F401  (register every table)
    from portal.accounts.services import load_user_from_cookie

    login_manager.user_loader(load_user_from_cookie)
    login_manager.session_protection = "basic"

    _register_blueprints(app)
    _register_hooks(app)
    _register_cli(app)
    return app


def _configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _register_blueprints(app: Flask) -> None:
    from portal.accounts.views import bp as accounts_bp
    from portal.admin.views import bp as admin_bp
    from portal.catalogue.views import bp as catalogue_bp
    from portal.main.views import bp as main_bp

    for bp in (main_bp, accounts_bp, admin_bp, catalogue_bp):
        app.register_blueprint(bp)


def _register_hooks(app: Flask) -> None:
    from portal.core import errors_web, filters
    from portal.core.access import require_login
    from portal.core.security import set_security_headers

    app.before_request(require_login)
    app.after_request(set_security_headers)
    errors_web.register(app)
    filters.register(app)


def _register_cli(app: Flask) -> None:
    from portal.accounts.cli import users_cli
    from portal.catalogue.cli import catalogue_cli
    from portal.demo.cli import demo_cli
    from portal.directory.cli import hospitals_cli

    for group in (users_cli, hospitals_cli, catalogue_cli, demo_cli):
        app.cli.add_command(group)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL lets readers work while a writer commits; the busy timeout waits instead of failing at once."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
