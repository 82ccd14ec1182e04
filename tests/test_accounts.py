"""Login, logout, password change, throttling, open redirects, CSRF."""

import pytest
from flask import url_for

from portal.accounts.models import Role, User
from portal.accounts.passwords import hash_password, verify_password
from portal.audit.models import AuditEvent
from tests.conftest import PASSWORD, login


def _actions(db):
    return [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]


def test_password_hash_is_argon2id(app):
    hashed = hash_password("a-long-password-1")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a-long-password-1")
    assert not verify_password(hashed, "wrong")


def test_production_argon2_parameters_meet_owasp(app):
    from portal.accounts.passwords import _production

    assert _production.memory_cost >= 19 * 1024 and _production.time_cost >= 2
    assert _production.type.name == "ID"


def test_login_success_and_audit(client, make_user, db):
    user = make_user(Role.HOSPITAL, email="staff@hospital.cn")
    response = login(client, "STAFF@hospital.cn ")
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert "login.success" in _actions(db)
    assert db.session.get(User, user.id).last_login_at is not None


def test_login_failure_is_specific_and_audited(client, make_user, db):
    make_user(email="a@b.cn")
    response = login(client, "a@b.cn", "wrong-password")
    assert response.status_code == 400
    assert "邮箱或密码不正确" in response.get_data(as_text=True)
    assert "a@b.cn" in response.get_data(as_text=True)  # what was typed is kept
    assert _actions(db) == ["login.failure"]


def test_inactive_user_cannot_log_in(client, make_user):
    make_user(email="gone@b.cn", active=False)
    assert login(client, "gone@b.cn").status_code == 400


def test_repeated_failures_are_throttled(client, make_user, db):
    make_user(email="t@b.cn")
    for _ in range(5):
        assert login(client, "t@b.cn", "nope-nope").status_code == 400
    response = login(client, "t@b.cn")  # even the right password is refused for now
    assert response.status_code == 429
    assert "登录失败次数过多" in response.get_data(as_text=True)
    assert "login.throttled" in _actions(db)


def test_login_required_by_default(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_logout_ends_copied_session(app, client, make_user):
    user = make_user(Role.REVIEWER)
    login(client, user.email)
    copied = client.get_cookie("session").value
    assert client.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/account/password").status_code == 302  # back to the login page


def test_logout_ends_remember_me_cookie(app, client, make_user):
    user = make_user()
    login(client, user.email, remember="y")
    remember = client.get_cookie("remember_token").value
    client.post("/logout")
    other = app.test_client()
    other.set_cookie("remember_token", remember)
    assert other.get("/admin/users").status_code == 302


def test_remember_me_cookie_logs_in_until_logout(app, client, make_user):
    user = make_user()
    login(client, user.email, remember="y")
    other = app.test_client()
    other.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert other.get("/admin/users").status_code == 200


def test_password_change_ends_other_sessions(app, client, make_user, db):
    user = make_user()
    login(client, user.email)
    other = app.test_client()
    login(other, user.email)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "new-secret-2026", "confirm": "new-secret-2026"},
    )
    assert response.status_code == 302
    assert client.get("/admin/users").status_code == 200  # this session continues
    assert other.get("/admin/users").status_code == 302  # the other one has ended
    assert login(app.test_client(), user.email, "new-secret-2026").status_code == 302


@pytest.mark.parametrize(
    ("current", "new", "message"),
    [
        ("wrong-one-1", "new-secret-2026", "当前密码不正确"),
        (PASSWORD, "short1", "至少需要 10 个字符"),
        (PASSWORD, "1234567890123", "不能只包含数字"),
    ],
)
def test_password_change_errors(client, make_user, current, new, message):
    login(client, make_user().email)
    response = client.post("/account/password", data={"current_password": current, "new_password": new, "confirm": new})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "/\\evil.com",
        "https:evil.com",
        "/%09/evil.com",
        "https://evil.com/",
        "\t//evil.com",
        "/\t/evil.com",
        "%2F%2Fevil.com",
        "javascript:alert(1)",
        "///evil.com",
    ],
)
def test_open_redirect_vectors_stay_local(client, make_user, target):
    user = make_user()
    response = login(client, user.email, next=target)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location
    assert "evil.com" not in location or location.startswith("/%")


def test_next_keeps_a_local_path(client, make_user):
    user = make_user()
    response = login(client, user.email, next="/admin/users?page=2")
    assert response.headers["Location"] == "/admin/users?page=2"


def test_write_without_csrf_token_is_refused(app_config, make_user):
    from portal import create_app

    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    user = make_user()
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_write_with_csrf_token_is_accepted(app_config, make_user):
    import re

    from portal import create_app

    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    user = make_user()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_logout_requires_post(client, make_user):
    login(client, make_user().email)
    assert client.get("/logout").status_code == 405


def test_url_for_login_is_public(app):
    with app.test_request_context():
        assert url_for("accounts.login") == "/login"
