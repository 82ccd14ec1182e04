"""Leak oracle: the demo data with a canary in every private record, crawled through every GET route.

Canaries (each names its owner, so a leak says whose record it was):
  QZP<company>P<product>Q  the model of every product (the company's working copy; catalogue entries keep
                           the frozen copy published with the batch, so a listed product's edits are private too)
  QZA<catalogue>C<company>Q  the statement of every submitted application (the company and its reviewers)
  QZD<company>Q            the statement of every draft, and the model of every product never submitted
  QZH<hospital>Q           the note of every assessment event (the hospital's own working notes)

Visitors must never meet any canary; a company none of another company's; a hospital no company canary and
no other hospital's notes; a reviewer of one catalogue no application canary of another, and no draft. Every
GET route of app.url_map is crawled with the real ids of every kind, then hypothesis generates parameter
combinations (facet values that match, that do not, empty, odd unicode, huge numbers).
"""

import io
import re
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.accounts.models import Role, User
from portal.applications.models import Application
from portal.assessments.models import Assessment, AssessmentEvent
from portal.catalogue.models import Batch, Catalogue, Entry
from portal.demo.seed import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from portal.products.models import Product
from portal.search import indexer
from portal.workflow import ApplicationState
from tests.conftest import PASSWORD, login

CANARY = re.compile(r"QZ[PADH][0-9CP]*Q")
ROLES = ("anonymous", "company", "hospital", "reviewer")
FACETS = ("catalogue", "batch", "key_area", "category", "device_class", "department", "district", "innovative")
ARGS = (*FACETS, "status", "q", "page", "sort", "state", "per_page", "fmt")


def _plant_canaries() -> None:
    never_submitted = set(db.session.scalars(db.select(Product.id)))
    for application in db.session.scalars(db.select(Application)):
        if application.state is ApplicationState.DRAFT:
            application.statement = f"QZD{application.company_id}Q"
        else:
            application.statement = f"QZA{application.batch.catalogue_id}C{application.company_id}Q"
            never_submitted.discard(application.product_id)
    for product in db.session.scalars(db.select(Product)):
        listed = db.session.scalar(db.select(Entry.id).where(Entry.product_id == product.id).limit(1))
        if product.id in never_submitted and listed is None:
            product.model = f"QZD{product.company_id}Q"
        else:
            product.model = f"QZP{product.company_id}P{product.id}Q"
    for event in db.session.scalars(db.select(AssessmentEvent)):
        event.note = f"QZH{event.assessment.hospital_id}Q"
    db.session.commit()


@pytest.fixture
def oracle(app):
    seed_demo(out=lambda *a, **k: None)
    db.session.commit()
    _plant_canaries()
    indexer.rebuild(app)
    catalogues = db.session.scalars(db.select(Catalogue).order_by(Catalogue.id)).all()
    # A reviewer of the second catalogue only (the demo reviewer reviews both).
    reviewer = User(email="reviewer-one@example.cn", role=Role.REVIEWER, catalogues=[catalogues[-1]])
    from portal.accounts.passwords import hash_password

    reviewer.password_hash = hash_password(PASSWORD)
    db.session.add(reviewer)
    db.session.commit()
    company = db.session.scalar(db.select(User).where(User.role == Role.MANUFACTURER).order_by(User.id))
    noted = db.select(Assessment.hospital_id).join(AssessmentEvent).limit(1)
    hospital = db.session.scalar(db.select(User).where(User.hospital_id.in_(noted)).order_by(User.id))
    return {
        "users": {
            "company": (company.email, DEMO_PASSWORD),
            "hospital": (hospital.email, DEMO_PASSWORD),
            "reviewer": (reviewer.email, PASSWORD),
        },
        "company_id": company.company_id,
        "hospital_id": hospital.hospital_id,
        "catalogue_id": catalogues[-1].id,
        "offered": _offered_to(hospital.hospital_id),
        "ids": _ids(),
        "values": _facet_values(),
    }


def _offered_to(hospital_id: int) -> set[str]:
    """Canaries of the products companies chose to show this hospital: responses to its needs (医企对接) and
    sign-ups to the sessions it may attend."""
    from portal.matchmaking.models import Match, SessionSignup

    offered = db.select(Match.product_id).where(Match.hospital_id == hospital_id)
    signed_up = db.select(SessionSignup.product_id)
    products = db.session.scalars(db.select(Product).where(Product.id.in_(offered.union(signed_up))))
    return {f"QZP{p.company_id}P{p.id}Q" for p in products}


def _ids() -> dict[str, list]:
    from portal.accounts.models import ApiToken
    from portal.directory.models import Company, Hospital
    from portal.matchmaking.models import Match, MatchSession, Need
    from portal.objections.models import Objection
    from portal.products.models import Attachment

    def all_ids(model, limit=12):
        return list(db.session.scalars(db.select(model.id).order_by(model.id.desc()).limit(limit)))

    return {
        "entry_id": all_ids(Entry),
        "batch_id": all_ids(Batch),
        "application_id": all_ids(Application, 30),
        "product_id": all_ids(Product, 40),
        "attachment_id": all_ids(Attachment, 20),
        "objection_id": all_ids(Objection),
        "assessment_id": _assessment_ids(),
        "hospital_id": all_ids(Hospital, 3),
        "company_id": all_ids(Company),
        "catalogue_id": all_ids(Catalogue),
        "user_id": all_ids(User),
        "token_id": all_ids(ApiToken) or [1],
        "synonym_id": [1],
        "need_id": all_ids(Need) or [1],
        "match_id": all_ids(Match) or [1],
        "session_id": all_ids(MatchSession) or [1],
        "month": ["2026-10", "2026-13"],
        "code": list(db.session.scalars(db.select(Catalogue.code))),
        "token": ["not-a-calendar-token"],
        "fmt": ["csv", "xlsx"],
        "filename": ["css/portal.css"],
    }


def _assessment_ids() -> list[int]:
    """A few assessments of every hospital that has notes (the crawl opens each for every role)."""
    rows = db.session.execute(db.select(Assessment.hospital_id, Assessment.id).join(AssessmentEvent).distinct())
    by_hospital: dict[int, list[int]] = {}
    for hospital_id, assessment_id in rows:
        by_hospital.setdefault(hospital_id, []).append(assessment_id)
    return sorted(i for ids in by_hospital.values() for i in ids[:3])


def _facet_values() -> list[str]:
    values = ["", "zzz", "0", "%", "draft", "submitted", "listed", "delisted", "²", "١٢", "\u3000", "𝟘", "🙂"]
    values += ["99999999999", "2147483648", "-1", "1e9", "' OR 1=1 --", "x" * 300]
    values += [str(i) for i in db.session.scalars(db.select(Batch.id))]
    values += list(db.session.scalars(db.select(Catalogue.code)))
    values += [k for k in db.session.scalars(db.select(Product.key_area).distinct()) if k]
    values += ["device", "ivd", "drug", "III", "II", "national", "医学影像科", "宝山区", "加速器", "机器人", "QZD"]
    return values


def _routes(app) -> list:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and rule.endpoint != "static"),
        key=lambda r: r.rule,
    )


def _text(response) -> str:
    body = response.get_data()
    if body[:2] == b"PK":  # xlsx: the strings are inside the zip
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return " ".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return body.decode("utf-8", "replace")


def _forbidden(role: str, found: str, oracle) -> bool:
    """Whether `role` may not see the canary `found`."""
    if found.startswith("QZH"):
        return role in ("anonymous", "company") or (role == "hospital" and found != f"QZH{oracle['hospital_id']}Q")
    if role == "hospital":
        return found not in oracle["offered"]
    if role == "anonymous":
        return True
    if found.startswith("QZD"):
        return role != "company" or found != f"QZD{oracle['company_id']}Q"
    if role == "company":
        own = (f"P{oracle['company_id']}P", f"C{oracle['company_id']}Q")
        return not any(mark in found for mark in own)
    # A reviewer: submitted applications of its catalogue, and the products applied to it.
    return found.startswith("QZA") and not found.startswith(f"QZA{oracle['catalogue_id']}C")


def _client(app, role, oracle):
    client = app.test_client()
    if role != "anonymous":
        email, password = oracle["users"][role]
        assert login(client, email, password).status_code == 302
    return client


def _check(client, role, oracle, url, params=None, seen=None) -> list[str]:
    response = client.get(url, query_string=params)
    assert response.status_code < 500, f"{url} {params}: {response.status_code}"
    found = set(CANARY.findall(_text(response)))
    if seen is not None:
        seen |= found
    leaks = [c for c in found if _forbidden(role, c, oracle)]
    return [f"{role} GET {url} {params or ''}: {sorted(leaks)}"] if leaks else []


def _urls(rule, ids) -> list[str]:
    if not rule.arguments:
        return [rule.build({}, append_unknown=False)[1]]
    urls = []
    longest = max(len(ids[name]) for name in rule.arguments)
    for i in range(longest):
        values = {name: ids[name][i % len(ids[name])] for name in rule.arguments}
        urls.append(rule.build(values, append_unknown=False)[1])
    return urls


@pytest.mark.parametrize("role", ROLES)
def test_no_route_shows_another_partys_canary(app, oracle, role):
    client = _client(app, role, oracle)
    leaks, seen = [], set()
    for rule in _routes(app):
        for url in _urls(rule, oracle["ids"]):
            leaks += _check(client, role, oracle, url, seen=seen)
    assert leaks == [], "\n".join(leaks)
    # The oracle sees what each role may see, so silence means no leak rather than no canary reached.
    own = {
        "company": f"QZD{oracle['company_id']}Q",
        "reviewer": f"QZA{oracle['catalogue_id']}C",
        "hospital": f"QZH{oracle['hospital_id']}Q",
    }.get(role)
    assert own is None or any(c.startswith(own) for c in seen), (own, sorted(seen))


SEARCH_URLS = ["/search", "/search/export.csv", "/search/export.xlsx", "/api/v1/entries", "/catalogues/{code}"]
SEARCH_URLS += ["/catalogues/{code}/export.csv", "/catalogues/{code}/export.xlsx", "/review/applications"]
SEARCH_URLS += ["/products", "/applications", "/assessments"]


@pytest.mark.parametrize("role", ROLES)
def test_no_parameter_combination_widens_what_a_role_finds(app, oracle, role):
    client = _client(app, role, oracle)
    codes, values = oracle["ids"]["code"], oracle["values"]

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(
        url=st.sampled_from(SEARCH_URLS),
        code=st.sampled_from(codes),
        params=st.dictionaries(st.sampled_from(ARGS), st.sampled_from(values) | st.text(max_size=8), max_size=4),
    )
    def crawl(url, code, params):
        assert _check(client, role, oracle, url.format(code=code), params) == []

    crawl()
