"""The application factory, configuration, health check, headers and error pages."""

import pytest

from portal import create_app
from portal.config import ConfigError


def test_production_without_secret_key_is_refused(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app()


def test_production_with_short_secret_key_is_refused(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="too short"):
        create_app({"PORTAL_ENV": "production"})


def test_production_with_secret_key_starts(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    app = create_app({"PORTAL_ENV": "production"})
    assert app.config["SECRET_KEY"] == "x" * 64
    assert not app.testing


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigError, match="PORTAL_ENV"):
        create_app({"PORTAL_ENV": "staging"})


def test_database_url_defaults_to_sqlite_in_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"PORTAL_ENV": "development"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/portal.sqlite3")


def test_sqlite_uses_wal_and_busy_timeout(app, db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_security_headers(client):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers


def test_https_adds_hsts_and_secure_cookies(app_config):
    app = create_app({**app_config, "PORTAL_HTTPS": True})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    with app.app_context():
        response = app.test_client().get("/healthz")
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_friendly_404_in_chinese(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "未找到" in response.get_data(as_text=True)


def test_api_errors_are_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"  # the same vocabulary as every API refusal


def test_server_error_is_logged_and_friendly(app, client, caplog):
    @app.route("/boom")
    def boom():
        raise RuntimeError("kaboom")

    boom.is_public = True
    response = client.get("/boom")
    assert response.status_code == 500
    assert "服务器出现错误" in response.get_data(as_text=True)
    assert "unhandled error on GET /boom" in caplog.text
    assert "kaboom" in caplog.text


def test_public_pages_render(client, make_catalogue):
    catalogue = make_catalogue(name="上海市新优药械目录")
    assert "上海市生物医药" in client.get("/").get_data(as_text=True)
    assert "上海市新优药械目录" in client.get("/catalogues").get_data(as_text=True)
    assert client.get(f"/catalogues/{catalogue.code}").status_code == 200
