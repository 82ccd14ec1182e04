"""The API matches its published document: every operation and documented status is called for real, and each
response body is validated against the served `/api/v1/openapi.json` (JSON Schema 2020-12, $refs resolved).

When an operation or a status is added to the document, add a case to CASES: the coverage test fails until then.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from portal.accounts import tokens
from portal.accounts.models import Role
from portal.adoption.services import record_equipped
from portal.assessments.models import Outcome
from portal.assessments.services import decide
from portal.core import timeutil
from portal.search import indexer
from tests.conftest import login
from tests.factories_assessments import assessments_of, build_two_hospitals
from tests.factories_search import build_examples

DOC_URI = "urn:portal:openapi"
METHODS = {"get", "put", "post", "patch", "delete"}


@dataclass
class Ctx:
    """What the cases refer to: example entries, a hospital's assessments and tokens."""

    entry_id: int
    delisted_id: int
    own: list
    foreign_id: int
    hospital_token: str
    admin_email: str
    quiet: str  # code of a catalogue with listed entries only
    equipped: int  # an own assessment admitted and equipped on the day its batch was published


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # as in the document
    status: str
    url: Any  # ctx -> URL
    auth: str | None = "hospital"  # hospital (its token) | admin (a signed-in administrator) | None
    body: Any = None  # ctx -> JSON body

    @property
    def key(self):
        return (self.path, self.method, self.status)


A = "/api/v1/assessments"
DECISION = "/api/v1/assessments/{id}/decision"
ADMIT = {"outcome": "admitted"}
USAGE = "/api/v1/assessments/{id}/usage/{month}"
EQUIPPED = "/api/v1/assessments/{id}/equipped"
USES = {"uses": 12}
EQUIP = {"equipped_on": timeutil.today_shanghai().isoformat(), "route": "tender"}


def this_month() -> str:
    return f"{timeutil.today_shanghai():%Y-%m}"


HUGE = 10**14  # no integer column holds it: PostgreSQL once answered 500
CASES = [
    Case("get", "/api/v1/entries", "200", lambda c: "/api/v1/entries?q=磁共振", None),
    Case("get", "/api/v1/entries", "200", lambda c: "/api/v1/entries?status=delisted", None),
    # a catalogue without delisted entries: an empty filter once let applications through (500, KeyError)
    Case("get", "/api/v1/entries", "200", lambda c: f"/api/v1/entries?status=delisted&catalogue={c.quiet}", None),
    Case("get", "/api/v1/entries", "400", lambda c: "/api/v1/entries?per_page=1000", None),
    Case("get", "/api/v1/entries/{id}", "200", lambda c: f"/api/v1/entries/{c.entry_id}", None),
    Case("get", "/api/v1/entries/{id}", "200", lambda c: f"/api/v1/entries/{c.delisted_id}", None),
    Case("get", "/api/v1/entries/{id}", "404", lambda c: "/api/v1/entries/999999", None),
    Case("get", "/api/v1/entries/{id}", "404", lambda c: f"/api/v1/entries/{HUGE}", None),  # beyond integer
    Case("get", "/api/v1/entries", "400", lambda c: f"/api/v1/entries?batch={HUGE}", None),
    Case("get", A, "200", lambda c: f"{A}?batch={HUGE}"),
    Case("get", "/api/v1/openapi.json", "200", lambda c: "/api/v1/openapi.json", None),
    Case("get", A, "200", lambda c: A),
    Case("get", A, "200", lambda c: f"{A}?state=decided&per_page=1"),
    Case("get", A, "400", lambda c: f"{A}?state=bogus"),
    Case("get", A, "401", lambda c: A, None),
    Case("get", A, "403", lambda c: A, "admin"),
    Case("post", DECISION, "200", lambda c: f"{A}/{c.own[0]}/decision", body=lambda c: ADMIT),
    Case("post", DECISION, "400", lambda c: f"{A}/{c.own[1]}/decision", body=lambda c: {"reason": "x"}),
    Case("post", DECISION, "401", lambda c: f"{A}/{c.own[1]}/decision", None, lambda c: ADMIT),
    Case("post", DECISION, "403", lambda c: f"{A}/{c.own[1]}/decision", "admin", lambda c: ADMIT),
    Case("post", DECISION, "404", lambda c: f"{A}/{c.foreign_id}/decision", body=lambda c: ADMIT),
    Case("post", DECISION, "404", lambda c: f"{A}/{HUGE}/decision", body=lambda c: ADMIT),
    Case("post", DECISION, "409", lambda c: f"{A}/{c.own[2]}/decision", body=lambda c: {**ADMIT, "version": 9}),
    Case("put", USAGE, "200", lambda c: f"{A}/{c.equipped}/usage/{this_month()}", body=lambda c: USES),
    Case("put", USAGE, "400", lambda c: f"{A}/{c.equipped}/usage/{this_month()}", body=lambda c: {"uses": -1}),
    Case("put", USAGE, "401", lambda c: f"{A}/{c.equipped}/usage/{this_month()}", None, lambda c: USES),
    Case("put", USAGE, "403", lambda c: f"{A}/{c.equipped}/usage/{this_month()}", "admin", lambda c: USES),
    Case("put", USAGE, "404", lambda c: f"{A}/{c.foreign_id}/usage/{this_month()}", body=lambda c: USES),
    Case("put", USAGE, "409", lambda c: f"{A}/{c.own[1]}/usage/{this_month()}", body=lambda c: USES),  # undecided
    Case("post", EQUIPPED, "200", lambda c: f"{A}/{c.equipped}/equipped", body=lambda c: EQUIP),
    Case("post", EQUIPPED, "400", lambda c: f"{A}/{c.equipped}/equipped", body=lambda c: {**EQUIP, "route": "x"}),
    Case("post", EQUIPPED, "401", lambda c: f"{A}/{c.equipped}/equipped", None, lambda c: EQUIP),
    Case("post", EQUIPPED, "403", lambda c: f"{A}/{c.equipped}/equipped", "admin", lambda c: EQUIP),
    Case("post", EQUIPPED, "404", lambda c: f"{A}/{HUGE}/equipped", body=lambda c: EQUIP),
    Case("post", EQUIPPED, "409", lambda c: f"{A}/{c.own[1]}/equipped", body=lambda c: EQUIP),  # undecided
]


@pytest.fixture
def ctx(app, db, world, make_catalogue, make_hospital, make_user):
    examples = build_examples(world)
    delisted = next(e for e in examples.values() if e.status.value == "delisted")
    two = build_two_hospitals(make_catalogue, make_hospital, make_user)
    admin = make_user(Role.ADMIN)
    _row, hospital_token = tokens.create_token(two["user_a"], "HIS")
    equipped = assessments_of(two["a"])[3]
    decide(two["user_a"], equipped, Outcome.ADMITTED)
    record_equipped(two["user_a"], equipped, two["batch"].published_on, "tender")
    db.session.commit()
    indexer.apply_pending(app)
    return Ctx(
        entry_id=examples["mr"].id,
        delisted_id=delisted.id,
        own=[a.id for a in assessments_of(two["a"])],
        foreign_id=assessments_of(two["b"])[0].id,
        hospital_token=hospital_token,
        admin_email=admin.email,
        quiet=two["catalogue"].code,
        equipped=equipped.id,
    )


def _document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _validator(doc: dict, path: str, method: str, status: str) -> Draft202012Validator | None:
    response = doc["paths"][path][method]["responses"][status]
    if "content" not in response:
        return None
    pointer = "/".join(p.replace("~", "~0").replace("/", "~1") for p in ("paths", path, method, "responses", status))
    pointer += "/content/application~1json/schema"
    registry = Registry().with_resource(DOC_URI, Resource.from_contents(doc, default_specification=DRAFT202012))
    schema = {"$ref": f"{DOC_URI}#/{quote(pointer, safe='/~')}"}
    return Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_every_documented_operation_and_status_has_a_case(client):
    doc = _document(client)
    documented = {(p, m, s) for p, m, op in _operations(doc) for s in op["responses"]}
    covered = {case.key for case in CASES}
    assert documented - covered == set(), "operations or statuses in the document without a contract case"
    assert covered - documented == set(), "cases for responses the document does not list"


def test_document_is_json_schema_2020_12_without_openapi_3_0_keywords(client):
    doc = _document(client)
    assert doc["openapi"].startswith("3.1")
    assert "nullable" not in repr(doc)
    for name, schema in doc["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema), name
    for path, method, operation in _operations(doc):
        for status, response in operation["responses"].items():
            for media in response.get("content", {}).values():
                Draft202012Validator.check_schema(media["schema"]), (path, method, status)


def _objects(node):
    if isinstance(node, dict):
        if "properties" in node:
            yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def test_response_objects_are_closed_so_undocumented_fields_fail(client):
    doc = _document(client)
    responses = [op["responses"] for _p, _m, op in _operations(doc)] + [doc["components"]["schemas"]]
    objects = [o for r in responses for o in _objects(r) if o is not doc["components"]["schemas"]]
    assert objects and all(o.get("additionalProperties") is False for o in objects)


def test_delisted_filter_matching_nothing_is_empty(client, ctx):
    body = client.get(f"/api/v1/entries?status=delisted&catalogue={ctx.quiet}").get_json()
    assert (body["total"], body["items"]) == (0, [])


def _check(doc, path, method, response):
    """The status is documented for the operation and the body matches its schema."""
    status = str(response.status_code)
    assert status in doc["paths"][path][method]["responses"], f"{method} {path}: undocumented status {status}"
    validator = _validator(doc, path, method, status)
    assert validator is not None, f"{(path, method, status)} documents no JSON body"
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.get_json())]
    assert errors == [], (path, method, status)


def test_every_enumerated_parameter_value_gets_a_documented_answer(client, ctx):
    """Each value a query parameter's enum lists (status=delisted once answered 500) on every list operation."""
    doc = _document(client)
    calls = 0
    for path, method, operation in _operations(doc):
        if method != "get" or "{" in path:
            continue
        headers = {"Authorization": f"Bearer {ctx.hospital_token}"} if operation.get("security") else {}
        for parameter in operation.get("parameters", []):
            for value in parameter["schema"].get("enum", []):
                response = client.get(path, query_string={parameter["name"]: value}, headers=headers)
                _check(doc, path, method, response)
                assert response.status_code == 200, (path, parameter["name"], value)
                calls += 1
    assert calls


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path} {c.status}")
def test_real_response_matches_the_document(client, ctx, case):
    doc = _document(client)
    if case.auth == "admin":
        assert login(client, ctx.admin_email).status_code == 302
    headers = {"Authorization": f"Bearer {ctx.hospital_token}"} if case.auth == "hospital" else {}
    kwargs = {"json": case.body(ctx)} if case.body else {}
    response = client.open(case.url(ctx), method=case.method.upper(), headers=headers, **kwargs)
    assert str(response.status_code) == case.status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    _check(doc, case.path, case.method, response)
