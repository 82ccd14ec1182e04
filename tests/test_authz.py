"""Walks every route in app.url_map for anonymous visitors and each role, comparing the outcome with the
ACCESS tables kept beside the routes. A route missing from the tables fails."""

import importlib
import pkgutil

import pytest

import portal
from portal.accounts.models import Role, User
from portal.core.access import ANY_USER, PUBLIC
from portal.demo.seed import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from tests.conftest import login

ANONYMOUS = "anonymous"
ROLES = [ANONYMOUS, *Role]


def access_tables() -> dict:
    table = {}
    for module in pkgutil.walk_packages(portal.__path__, "portal."):
        if module.name.endswith(".views"):
            table.update(getattr(importlib.import_module(module.name), "ACCESS", {}))
    return table


def _url_args(app) -> dict:
    """A real object for every kind of URL argument, taken from the demo data."""
    from portal.accounts.models import ApiToken
    from portal.applications.models import Application
    from portal.assessments.models import Assessment
    from portal.catalogue.models import Batch, Catalogue, Entry
    from portal.directory.models import Company, Hospital
    from portal.matchmaking.models import Match, MatchSession, Need
    from portal.objections.models import Objection
    from portal.products.models import Attachment, Product

    def first_id(model):
        return db.session.scalar(db.select(model.id).order_by(model.id))

    return {
        "user_id": first_id(User),
        "company_id": first_id(Company),
        "hospital_id": first_id(Hospital),
        "catalogue_id": first_id(Catalogue),
        "entry_id": first_id(Entry),
        "batch_id": first_id(Batch),
        "objection_id": first_id(Objection),
        "application_id": first_id(Application),
        "product_id": first_id(Product),
        "attachment_id": first_id(Attachment),
        "assessment_id": db.session.scalar(db.select(Assessment.id).order_by(Assessment.id)),
        "token_id": db.session.scalar(db.select(ApiToken.id).order_by(ApiToken.id)) or 1,
        "token": "not-a-calendar-token",
        "code": db.session.scalar(db.select(Catalogue.code).order_by(Catalogue.id)),
        "filename": "css/portal.css",
        "synonym_id": db.session.scalar(db.text("SELECT min(id) FROM synonym")),
        "fmt": "csv",
        "need_id": first_id(Need),
        "match_id": first_id(Match),
        "session_id": first_id(MatchSession),
        "month": "2026-01",
    }


def _expected_ok(rule_access, role) -> bool:
    if rule_access == PUBLIC:
        return True
    if role == ANONYMOUS:
        return False
    return rule_access == ANY_USER or role in rule_access


@pytest.fixture
def demo(app):
    seed_demo(out=lambda *a, **k: None)
    db.session.commit()
    users = {role: db.session.scalar(db.select(User).where(User.role == role).order_by(User.id)) for role in Role}
    return users


def test_every_route_is_in_an_access_table(app):
    table = access_tables()
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    missing = sorted(endpoints - set(table))
    assert missing == [], f"routes without an entry in an ACCESS table: {missing}"
    stale = sorted(set(table) - endpoints)
    assert stale == [], f"ACCESS entries for routes that do not exist: {stale}"


def test_every_route_for_every_role(app, demo):
    table = access_tables()
    args = _url_args(app)
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        url = rule.build({name: args[name] for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for role in ROLES:
                status, location = _request(app, demo, role, method, url)
                ok = _expected_ok(table[rule.endpoint], role)
                failures += _check(rule.endpoint, method, role, ok, status, location, url)
    assert failures == [], "\n".join(failures)


def _request(app, demo, role, method, url):
    client = app.test_client()
    if role != ANONYMOUS:
        assert login(client, demo[role].email, DEMO_PASSWORD).status_code == 302
    response = client.open(url, method=method, data={})
    return response.status_code, response.headers.get("Location", "")


def _check(endpoint, method, role, ok, status, location, url) -> list[str]:
    who = role if role == ANONYMOUS else role.value
    if status >= 500:
        return [f"{method} {url} as {who}: server error {status}"]
    if ok:
        refused = status in (401, 403) or (status == 302 and location.startswith("/login?next="))
        return [f"{method} {url} as {who}: expected access, got {status} {location}"] if refused else []
    if role == ANONYMOUS:
        sent_to_login = (status == 302 and location.startswith("/login?next=")) or status == 401
        return [] if sent_to_login else [f"{method} {url} as anonymous: expected login, got {status}"]
    return [] if status in (403, 404) else [f"{method} {url} as {who}: expected 403/404, got {status}"]


def test_denials_are_audited(app, demo, client):
    from portal.audit.models import AuditEvent

    login(client, demo[Role.HOSPITAL].email, DEMO_PASSWORD)
    assert client.get("/admin/users").status_code == 403
    denial = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "access.denied"))
    assert denial.actor_id == demo[Role.HOSPITAL].id and denial.data["path"] == "/admin/users"
