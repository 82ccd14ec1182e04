"""The public entries API and the OpenAPI document."""

import pytest

from tests.factories_search import build_examples

ITEM_KEYS = {
    "id", "product_name", "model", "registration_no", "manufacturer", "catalogue", "batch", "category",
    "device_class", "departments", "innovative", "listed_on", "status",
}  # fmt: skip


@pytest.fixture
def ex(world):
    return build_examples(world)


def test_entries_shape_and_search(client, ex):
    body = client.get("/api/v1/entries?q=磁共振").get_json()
    assert set(body) == {"total", "page", "per_page", "items"}
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 20
    first = body["items"][0]
    assert set(first) == ITEM_KEYS
    assert first["product_name"] == "超导磁共振成像系统"
    assert first["catalogue"] == "SH-T" and first["batch"] == "第一批"
    assert first["innovative"] is True and first["device_class"] == "III"
    assert first["departments"] == ["医学影像科", "神经内科"]
    assert first["listed_on"] == "2024-05-01" and first["status"] == "listed"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "catalogue=SH-T&department=心血管内科",
            {"经导管主动脉瓣膜系统", "冠脉雷帕霉素靶向洗脱支架系统", "血管造影X射线机"},
        ),
        ("category=高端植入介入", {"经导管主动脉瓣膜系统", "冠脉雷帕霉素靶向洗脱支架系统"}),
        ("batch=第一批&q=uMR", {"超导磁共振成像系统"}),
        ("q=磁共振&status=delisted", {"旧式磁共振成像系统"}),
    ],
)
def test_entries_filters(client, ex, query, expected):
    body = client.get(f"/api/v1/entries?{query}").get_json()
    assert {i["product_name"] for i in body["items"]} == expected


def test_entries_pagination(client, ex):
    pages = [client.get(f"/api/v1/entries?per_page=4&page={p}").get_json() for p in (1, 2, 3)]
    assert [len(p["items"]) for p in pages] == [4, 4, 1]
    assert all(p["total"] == 9 for p in pages)
    assert len({i["id"] for p in pages for i in p["items"]}) == 9


@pytest.mark.parametrize(
    ("query", "field"),
    [("page=0", "page"), ("page=abc", "page"), ("per_page=1000", "per_page"), ("per_page=-1", "per_page"),
     ("catalogue=NOPE", "catalogue"), ("batch=第九批", "batch"), ("status=gone", "status")],
)  # fmt: skip
def test_entries_bad_parameters_are_400_with_the_field(client, ex, query, field):
    response = client.get(f"/api/v1/entries?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_parameter" and error["field"] == field and error["message"]


def test_entry_detail_and_404(client, ex):
    body = client.get(f"/api/v1/entries/{ex['mr'].id}").get_json()
    assert set(body) >= ITEM_KEYS
    assert body["indications"] == "" and body["url"].endswith(f"/entries/{ex['mr'].id}")
    missing = client.get("/api/v1/entries/999999")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    assert {"/api/v1/entries", "/api/v1/entries/{id}", "/api/v1/openapi.json"} <= set(doc["paths"])
    from portal.api import assessments

    for path in getattr(assessments, "OPENAPI_PATHS", {}):
        assert path in doc["paths"]
    names = {p["name"] for p in doc["paths"]["/api/v1/entries"]["get"]["parameters"]}
    assert names == {"q", "catalogue", "batch", "category", "department", "status", "page", "per_page"}
    assert set(doc["components"]["schemas"]["Entry"]["properties"]) == ITEM_KEYS
