"""The hospital API with personal tokens: listing, deciding, errors, isolation, revocation."""

import hashlib
import re

import pytest

from portal.accounts import tokens
from portal.accounts.models import ApiToken, Role
from portal.api.assessments import OPENAPI_PATHS
from portal.assessments import compliance
from portal.assessments.models import Outcome
from portal.core.errors import DomainError, NotFound, PermissionDenied
from portal.workflow import ASSESSMENT, AssessmentState, transition
from tests.conftest import login
from tests.factories_assessments import assessments_of, build_two_hospitals, publish


@pytest.fixture
def two_hospitals(make_catalogue, make_hospital, make_user):
    return build_two_hospitals(make_catalogue, make_hospital, make_user)


def _token(db, user, name="HIS") -> str:
    _row, token = tokens.create_token(user, name)
    db.session.commit()
    return token


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_token_is_stored_hashed_and_shown_once(db, client, two_hospitals):
    user = two_hospitals["user_a"]
    assert login(client, user.email).status_code == 302
    response = client.post("/account/api-tokens", data={"name": "医院 HRP 系统"})
    html = response.get_data(as_text=True)
    token = re.search(r'value="(xy_[^"]+)"', html).group(1)
    row = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == user.id))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and row.name == "医院 HRP 系统"
    assert token not in client.get("/account/api-tokens").get_data(as_text=True)  # never shown again
    assert row.prefix in client.get("/account/api-tokens").get_data(as_text=True)
    response = client.post("/account/api-tokens", data={"name": ""})
    assert response.status_code == 400 and "名称" in response.get_data(as_text=True)


def test_token_service_rules(db, two_hospitals, make_user):
    with pytest.raises(PermissionDenied):
        tokens.create_token(make_user(Role.REVIEWER), "x")
    with pytest.raises(DomainError):
        tokens.create_token(two_hospitals["user_a"], " ")
    row, _ = tokens.create_token(two_hospitals["user_a"], "x")
    db.session.commit()
    with pytest.raises(NotFound):
        tokens.revoke_token(two_hospitals["user_b"], row)


def test_list_own_assessments_with_filters_and_pagination(db, client, two_hospitals):
    publish(two_hospitals["catalogue"], entries=3, days_ago=40, name="第一批")
    token = _token(db, two_hospitals["user_a"])
    response = client.get("/api/v1/assessments", headers=_auth(token))
    assert response.status_code == 200
    data = response.get_json()
    assert data["total"] == 7 and data["page"] == 1 and data["per_page"] == 50
    assert {item["id"] for item in data["items"]} == {a.id for a in assessments_of(two_hospitals["a"])}
    first = data["items"][0]
    assert first["batch"]["name"] == "第一批" and first["days_left"] < 0  # overdue first
    assert set(first["entry"]) >= {"product_name", "registration_no", "manufacturer"}
    data = client.get("/api/v1/assessments?state=overdue", headers=_auth(token)).get_json()
    assert data["total"] == 3
    data = client.get("/api/v1/assessments?batch=第一批&per_page=2&page=2", headers=_auth(token)).get_json()
    assert (data["total"], data["page"], data["per_page"], len(data["items"])) == (3, 2, 2, 1)
    response = client.get("/api/v1/assessments?per_page=1000", headers=_auth(token))
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "per_page"
    response = client.get("/api/v1/assessments?state=bogus", headers=_auth(token))
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "state"
    row = db.session.scalar(db.select(ApiToken))
    assert row.last_used_at is not None


def test_decision_over_the_api(db, client, two_hospitals):
    token = _token(db, two_hospitals["user_a"])
    a = assessments_of(two_hospitals["a"])[0]
    url = f"/api/v1/assessments/{a.id}/decision"
    response = client.post(url, json={"outcome": "declined"}, headers=_auth(token))
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "reason" and response.get_json()["error"]["code"]
    response = client.post(url, json={"outcome": "nope"}, headers=_auth(token))
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "outcome"
    response = client.post(url, data="not json", headers=_auth(token))
    assert response.status_code == 400
    response = client.post(url, json={"outcome": "admitted", "version": "x"}, headers=_auth(token))
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "version"
    version = a.version_id
    response = client.post(url, json={"outcome": "admitted", "version": version}, headers=_auth(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] == "decided" and body["outcome"] == "admitted" and body["version"] == version + 1
    db.session.refresh(a)
    assert a.outcome is Outcome.ADMITTED and a.decided_by_id == two_hospitals["user_a"].id
    # A stale version is a conflict.
    response = client.post(url, json={"outcome": "declined", "reason": "x", "version": version}, headers=_auth(token))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "stale"


def test_closed_assessment_is_a_conflict(db, client, two_hospitals, make_user):
    token = _token(db, two_hospitals["user_a"])
    a = assessments_of(two_hospitals["a"])[0]
    transition(ASSESSMENT, a, "close", make_user(Role.ADMIN), comment="调出")
    db.session.commit()
    response = client.post(f"/api/v1/assessments/{a.id}/decision", json={"outcome": "admitted"}, headers=_auth(token))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "conflict"


def test_other_hospitals_assessment_is_404(db, client, two_hospitals):
    token = _token(db, two_hospitals["user_a"])
    theirs = assessments_of(two_hospitals["b"])[0]
    response = client.post(
        f"/api/v1/assessments/{theirs.id}/decision", json={"outcome": "admitted"}, headers=_auth(token)
    )
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert client.post("/api/v1/assessments/999999/decision", json={}, headers=_auth(token)).status_code == 404
    assert assessments_of(two_hospitals["b"])[0].state is AssessmentState.PENDING


def test_missing_wrong_and_revoked_tokens_are_401(db, client, two_hospitals):
    assert client.get("/api/v1/assessments").status_code == 401
    assert client.get("/api/v1/assessments", headers=_auth("xy_wrong")).status_code == 401
    assert client.get("/api/v1/assessments", headers={"Authorization": "Basic abc"}).status_code == 401
    token = _token(db, two_hospitals["user_a"])
    assert client.get("/api/v1/assessments", headers=_auth(token)).status_code == 200
    row = db.session.scalar(db.select(ApiToken))
    assert login(client, two_hospitals["user_a"].email).status_code == 302
    assert client.post(f"/account/api-tokens/{row.id}/revoke").status_code == 302
    client.post("/logout")
    response = client.get("/api/v1/assessments", headers=_auth(token))
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
    a = assessments_of(two_hospitals["a"])[0]
    response = client.post(f"/api/v1/assessments/{a.id}/decision", json={"outcome": "admitted"}, headers=_auth(token))
    assert response.status_code == 401


def test_cannot_revoke_someone_elses_token(db, client, two_hospitals):
    _token(db, two_hospitals["user_b"])
    row = db.session.scalar(db.select(ApiToken))
    assert login(client, two_hospitals["user_a"].email).status_code == 302
    assert client.post(f"/account/api-tokens/{row.id}/revoke").status_code == 404
    db.session.refresh(row)
    assert row.revoked_at is None


def test_inactive_user_token_is_401(db, client, two_hospitals):
    token = _token(db, two_hospitals["user_a"])
    two_hospitals["user_a"].active = False
    db.session.commit()
    assert client.get("/api/v1/assessments", headers=_auth(token)).status_code == 401


def test_non_hospital_session_is_403(db, client, make_user):
    user = make_user(Role.REVIEWER)
    assert login(client, user.email).status_code == 302
    assert client.get("/api/v1/assessments").status_code == 403


def test_openapi_paths_are_described():
    assert set(OPENAPI_PATHS) == {"/api/v1/assessments", "/api/v1/assessments/{id}/decision"}
    post = OPENAPI_PATHS["/api/v1/assessments/{id}/decision"]["post"]
    assert {"200", "400", "401", "404", "409"} <= set(post["responses"])


def test_same_decision_twice_is_idempotent(db, client, two_hospitals):
    token = _token(db, two_hospitals["user_a"])
    a = assessments_of(two_hospitals["a"])[0]
    url = f"/api/v1/assessments/{a.id}/decision"
    first = client.post(url, json={"outcome": "not_applicable", "reason": "无科室"}, headers=_auth(token))
    second = client.post(url, json={"outcome": "not_applicable", "reason": "无科室"}, headers=_auth(token))
    assert first.status_code == second.status_code == 200
    assert first.get_json()["version"] == second.get_json()["version"]
    assert compliance.hospital_updates(two_hospitals["a"].id)[0][1].decided == 1
