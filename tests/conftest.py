"""Test fixtures: a fresh database per test, callable factories, logged-in clients.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set (see Makefile).
"""

import itertools
import os
import uuid

import pytest
import sqlalchemy as sa
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.accounts.models import Role, User
from portal.accounts.passwords import hash_password
from portal.catalogue.models import Catalogue, Scope
from portal.directory.identifiers import uscc_check_char
from portal.directory.models import Company, Hospital, HospitalLevel
from portal.extensions import db as _db

# The factories, as plugins: their fixtures are there by name in every test module, without imports.
pytest_plugins = ["tests.factories", "tests.factories_matchmaking", "tests.factories_search"]

PASSWORD = "correct-horse-42"
_counter = itertools.count(1)


def _database_url(tmp_path_factory) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = _database_url(tmp_path_factory)
    app = create_app({"PORTAL_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        _db.engine.dispose()
    return url


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """A brand-new empty database of the same kind as the suite's."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"migtest_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def app_config(database_url, tmp_path):
    """Override in a test module (or parametrize) to change settings."""
    return {
        "PORTAL_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PORTAL_UPLOAD_DIR": str(tmp_path / "uploads"),
        "PORTAL_SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "WTF_CSRF_ENABLED": False,
    }


class RequestIsolatingClient(FlaskClient):
    """Runs each request in its own app context, as in production.

    The test's app context stays pushed for factories and assertions; without this, requests would share
    its `g` (Flask-Login's cached user) and database session, and tests could pass for the wrong reason.
    Committing first makes what the test set up visible to the request and expires the test's objects,
    so they reload what the request changed.
    """

    def open(self, *args, **kwargs):
        _db.session.commit()
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    app.test_client_class = RequestIsolatingClient
    ctx = app.app_context()
    ctx.push()
    yield app
    _db.session.remove()
    _wipe(_db.engine)
    _db.engine.dispose()
    ctx.pop()


def _wipe(engine) -> None:
    """Empty every table, so the next test starts from a fresh database."""
    tables = list(reversed(_db.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


def _unique() -> int:
    return next(_counter)


def make_uscc(n: int) -> str:
    body = f"91310000{n:09d}"
    return body + uscc_check_char(body)


@pytest.fixture
def make_company(db):
    def make(**kw) -> Company:
        n = _unique()
        company = Company(
            uscc=kw.pop("uscc", make_uscc(n)),
            name=kw.pop("name", f"测试医疗科技有限公司{n}"),
            district=kw.pop("district", "浦东新区"),
            **kw,
        )
        db.session.add(company)
        db.session.commit()
        return company

    return make


@pytest.fixture
def make_hospital(db):
    def make(**kw) -> Hospital:
        n = _unique()
        hospital = Hospital(
            name=kw.pop("name", f"测试医院{n}"),
            district=kw.pop("district", "徐汇区"),
            level=kw.pop("level", HospitalLevel.TERTIARY),
            is_public=kw.pop("is_public", True),
            **kw,
        )
        db.session.add(hospital)
        db.session.commit()
        return hospital

    return make


@pytest.fixture
def make_catalogue(db):
    def make(**kw) -> Catalogue:
        n = _unique()
        scope = kw.pop("scope", Scope.CITY)
        catalogue = Catalogue(
            code=kw.pop("code", f"CAT-{n}"),
            name=kw.pop("name", f"测试目录{n}"),
            scope=scope,
            district=kw.pop("district", "宝山区" if scope is Scope.DISTRICT else None),
            **kw,
        )
        db.session.add(catalogue)
        db.session.commit()
        return catalogue

    return make


@pytest.fixture
def make_user(db, make_company, make_hospital, make_catalogue):
    def make(role: Role = Role.ADMIN, **kw) -> User:
        n = _unique()
        if role is Role.MANUFACTURER:
            kw.setdefault("company", make_company())
        if role is Role.HOSPITAL:
            kw.setdefault("hospital", make_hospital())
        if role is Role.REVIEWER:
            kw.setdefault("catalogues", [make_catalogue()])
        user = User(
            email=kw.pop("email", f"user{n}@example.cn"),
            role=role,
            password_hash=hash_password(kw.pop("password", PASSWORD)),
            **kw,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


def login(client, email: str, password: str = PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


@pytest.fixture
def login_as(client, make_user):
    """Log the test client in as a new user of `role`; returns the user."""

    def do(role: Role = Role.ADMIN, **kw) -> User:
        user = make_user(role, **kw)
        response = login(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return do


# Browser tests ----------------------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying to reach Google's hosts on this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def live_server(app_config):
    """The portal served over HTTP from a thread, with CSRF on, as a browser sees it."""
    import threading

    from werkzeug.serving import make_server

    server_app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    server = make_server("127.0.0.1", 0, server_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request, tmp_path):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
