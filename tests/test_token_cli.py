"""`flask users token create`: an administrator provisions a hospital system's personal API token."""

import hashlib

from portal.accounts.models import ApiToken, Role
from tests.factories_assessments import build_two_hospitals


def _create(app, *args):
    return app.test_cli_runner().invoke(args=["users", "token", "create", *args])


def test_token_is_printed_once_stored_hashed_and_works(app, db, client, make_catalogue, make_hospital, make_user):
    two = build_two_hospitals(make_catalogue, make_hospital, make_user)
    result = _create(app, "--email", two["user_a"].email.upper(), "--name", "医院 HIS")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("xy_") and "只显示这一次" in result.stderr
    row = db.session.scalar(db.select(ApiToken))
    assert (row.user_id, row.name) == (two["user_a"].id, "医院 HIS")
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in repr(vars(row))
    response = client.get("/api/v1/assessments", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.get_json()["total"] == 4


def test_only_hospital_users_and_known_emails(app, db, make_user):
    reviewer = make_user(Role.REVIEWER)
    refused = _create(app, "--email", reviewer.email, "--name", "x")
    assert refused.exit_code != 0 and "只有启用的医院用户可以持有 API 令牌" in refused.stderr
    unknown = _create(app, "--email", "nobody@example.cn", "--name", "x")
    assert unknown.exit_code != 0 and "未找到用户" in unknown.stderr
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 0
