"""The usage and equipping API (DESIGN §6) with a personal token, and its OpenAPI description."""

import pytest

from portal.accounts import tokens
from portal.adoption.models import UsageReport
from tests.factories_adoption import build_adoption, days_ago, this_month


@pytest.fixture
def world(make_catalogue, make_hospital, make_user):
    return build_adoption(make_catalogue, make_hospital, make_user)


def _auth(db, user) -> dict:
    _row, token = tokens.create_token(user, "HIS")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def _schema(client, path, method):
    document = client.get("/api/v1/openapi.json").get_json()
    return document["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]


def test_put_usage_replaces_the_month_and_matches_the_document(db, client, world):
    jsonschema = pytest.importorskip("jsonschema")
    headers = _auth(db, world["user_a"])
    url = f"/api/v1/assessments/{world['admitted'].id}/usage/{this_month()}"
    response = client.put(url, json={"uses": 8}, headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["month"], body["uses"], body["equipped_on"]) == (this_month(), 8, days_ago(60).isoformat())
    jsonschema.validate(body, _schema(client, "/api/v1/assessments/{id}/usage/{month}", "put"))
    assert client.put(url, json={"uses": 11}, headers=headers).status_code == 200
    assert [(r.month, r.uses) for r in db.session.scalars(db.select(UsageReport))] == [(this_month(), 11)]


@pytest.mark.parametrize(
    ("body", "month", "status", "field"),
    [
        ({"uses": -1}, None, 400, "uses"),
        ({"uses": "3"}, None, 400, "uses"),
        ({"uses": True}, None, 400, "uses"),
        ({}, None, 400, "uses"),
        ({"uses": 1}, "2026-1x", 400, "month"),
        ({"uses": 1}, "2999-01", 400, "month"),
    ],
)
def test_put_usage_errors(db, client, world, body, month, status, field):
    headers = _auth(db, world["user_a"])
    url = f"/api/v1/assessments/{world['admitted'].id}/usage/{month or this_month()}"
    response = client.put(url, json=body, headers=headers)
    assert response.status_code == status and response.get_json()["error"]["field"] == field


def test_usage_refused_for_a_declined_product_and_another_hospitals(db, client, world):
    headers = _auth(db, world["user_a"])
    response = client.put(
        f"/api/v1/assessments/{world['declined'].id}/usage/{this_month()}", json={"uses": 1}, headers=headers
    )
    assert response.status_code == 409 and "同意配备" in response.get_json()["error"]["message"]
    other = world["b_items"][0]
    response = client.put(f"/api/v1/assessments/{other.id}/usage/{this_month()}", json={"uses": 1}, headers=headers)
    assert response.status_code == 404
    response = client.put(f"/api/v1/assessments/{world['admitted'].id}/usage/{this_month()}", json={"uses": 1})
    assert response.status_code == 401


def test_post_equipped(db, client, world):
    jsonschema = pytest.importorskip("jsonschema")
    from portal.assessments.services import decide

    item = world["open"][0]
    decide(world["user_a"], item, "admitted")
    db.session.commit()
    headers = _auth(db, world["user_a"])
    url = f"/api/v1/assessments/{item.id}/equipped"
    response = client.post(url, json={"equipped_on": days_ago(3).isoformat(), "route": "online"}, headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["route"] == "online" and body["route_label"] == "挂网采购"
    jsonschema.validate(body, _schema(client, "/api/v1/assessments/{id}/equipped", "post"))
    for payload, field in (
        ({"equipped_on": "2026-02-30", "route": "online"}, "equipped_on"),
        ({"equipped_on": days_ago(3).isoformat(), "route": "barter"}, "route"),
        ({"route": "online"}, "equipped_on"),
        ({"equipped_on": 5, "route": "online"}, "equipped_on"),
    ):
        response = client.post(url, json=payload, headers=headers)
        assert response.status_code == 400 and response.get_json()["error"]["field"] == field
    response = client.post(
        f"/api/v1/assessments/{world['declined'].id}/equipped",
        json={"equipped_on": days_ago(3).isoformat(), "route": "online"},
        headers=headers,
    )
    assert response.status_code == 409


def test_openapi_documents_the_new_operations(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert "put" in document["paths"]["/api/v1/assessments/{id}/usage/{month}"]
    assert "post" in document["paths"]["/api/v1/assessments/{id}/equipped"]
