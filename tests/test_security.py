"""Issue 9, each finding: drafts stay with their company, search scope, odd input, stale rows, an unreachable
database, and what the error log may say."""

import logging

import pytest
from flask.cli import AppGroup
from sqlalchemy.orm.exc import StaleDataError

from portal import create_app
from portal.accounts.models import Role, User
from portal.applications.models import Application
from portal.catalogue.models import EntryStatus
from portal.core.access import public
from portal.core.errors_cli import guard
from portal.demo.seed import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from portal.products.models import Attachment
from portal.search import indexer
from portal.search.services import application_ids_matching
from portal.workflow import ApplicationState
from tests.conftest import login

STALE = "该记录已被他人修改"


@pytest.fixture
def demo(app):
    seed_demo(out=lambda *a, **k: None)
    db.session.commit()
    return {role: db.session.scalar(db.select(User).where(User.role == role).order_by(User.id)) for role in Role}


def _draft() -> Application:
    return db.session.scalar(db.select(Application).where(Application.state == ApplicationState.DRAFT))


# Drafts belong to their company ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.ADMIN])
def test_the_review_side_cannot_open_a_draft(client, demo, role):
    draft_id = _draft().id
    assert login(client, demo[role].email, DEMO_PASSWORD).status_code == 302
    assert client.get(f"/applications/{draft_id}").status_code == 404
    assert client.get(f"/review/applications/{draft_id}").status_code == 404


def test_the_company_opens_its_own_draft(app, demo):
    draft = _draft()
    owner = db.session.scalar(db.select(User).where(User.company_id == draft.company_id))
    client = app.test_client()
    assert login(client, owner.email, DEMO_PASSWORD).status_code == 302
    assert client.get(f"/applications/{draft.id}").status_code == 200


def test_a_reviewer_cannot_download_what_only_a_draft_carries(client, demo):
    draft = _draft()
    others = db.select(Application.id).where(
        Application.product_id == draft.product_id, Application.state != ApplicationState.DRAFT
    )
    assert db.session.scalar(others) is None  # the demo's draft product was never submitted
    attachment = db.session.scalar(db.select(Attachment).where(Attachment.product_id == draft.product_id))
    if attachment is None:
        pytest.skip("the demo draft has no attachment")
    assert login(client, demo[Role.REVIEWER].email, DEMO_PASSWORD).status_code == 302
    assert client.get(f"/attachments/{attachment.id}").status_code in (403, 404)


def test_reviewer_search_never_finds_a_draft(app, demo):
    draft = _draft()
    indexer.rebuild(app)
    reviewer = demo[Role.REVIEWER]
    found = application_ids_matching(reviewer, draft.product.name, [c.id for c in reviewer.catalogues])
    assert found is not None and draft.id not in found


# Public search: the scope is part of the query -------------------------------------------------------------


@pytest.mark.parametrize("query", ["category=zzz", "department=zzz", "batch=zzz", "status=draft", "catalogue=zzz"])
def test_a_filter_matching_nothing_finds_nothing(app, demo, client, query):
    indexer.rebuild(app)
    pages = [f"/search?{query}"] + ([f"/catalogues/SH-XYYX?{query}"] if "catalogue" not in query else [])
    for url in pages:
        assert 'class="result-total">0<' in client.get(url).get_data(as_text=True), url
    assert client.get(f"/search/export.csv?{query}").get_data(as_text=True).count("\n") == 1  # the header only


def test_api_facets_that_match_nothing_and_delisted_entries(world, client):
    world.entry("在列产品")
    world.entry("已调出产品", status=EntryStatus.DELISTED)
    world.index()
    none = client.get("/api/v1/entries?department=zzz").get_json()
    assert none["total"] == 0 and none["items"] == []
    delisted = client.get("/api/v1/entries?status=delisted").get_json()
    assert [i["product_name"] for i in delisted["items"]] == ["已调出产品"]


# Odd input ------------------------------------------------------------------------------------------------


def test_nul_in_a_form_field_is_a_clear_400(client):
    response = client.post("/login", data={"email": "a\x00b@x.cn", "password": "x"})
    assert response.status_code == 400
    assert "「email」中含有不允许的空字符" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/catalogues/%00", "/search?q=a%00b", "/api/v1/entries?q=%00"])
def test_nul_in_a_path_or_query_is_a_400(client, url):
    assert client.get(url).status_code == 400


@pytest.mark.parametrize(
    "url", ["/entries/99999999999", "/api/v1/entries/2147483648", "/review/applications/99999999999999999999"]
)
def test_ids_beyond_the_integer_column_are_404(client, url):
    assert client.get(url).status_code in (302, 404)  # 302: the login page first, where login is required


def test_decision_on_a_huge_assessment_id_is_404(client):
    assert client.post("/api/v1/assessments/725631181473/decision", json={}).status_code in (401, 404)


def test_superscript_page_is_page_one(client):
    assert client.get("/search?page=²").status_code == 200
    assert client.get("/api/v1/entries?page=²").status_code == 400


# A row changed by someone else, anywhere ------------------------------------------------------------------


def _raise_stale():
    raise StaleDataError("UPDATE statement on table 'application' expected to update 1 row(s); 0 were matched.")


def test_stale_data_is_a_409_for_every_view_and_api(app, client):
    app.add_url_rule("/stale-example", "stale_example", public(_raise_stale))
    app.add_url_rule("/api/v1/stale-example", "api_stale_example", public(_raise_stale))
    page = client.get("/stale-example")
    assert page.status_code == 409 and STALE in page.get_data(as_text=True)
    api = client.get("/api/v1/stale-example")
    assert api.status_code == 409 and STALE in api.get_json()["error"]["message"]


def test_stale_data_ends_a_command_with_the_same_message(app):
    group = AppGroup("stale-example")

    @group.command("run")
    def run():
        _raise_stale()

    app.cli.add_command(guard(group))
    result = app.test_cli_runner().invoke(args=["stale-example", "run"])
    assert result.exit_code == 1 and STALE in result.output


# The database is unreachable ------------------------------------------------------------------------------


@pytest.fixture
def no_database(tmp_path):
    return create_app(
        {
            "PORTAL_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'missing' / 'db.sqlite3'}",
            "PORTAL_SEARCH_INDEX_DIR": str(tmp_path / "index"),
        }
    )


def test_pages_answer_a_friendly_503(no_database):
    response = no_database.test_client().get("/catalogues")
    assert response.status_code == 503
    assert "系统暂时不可用，请稍后重试" in response.get_data(as_text=True)


def test_the_api_answers_json_503(no_database):
    response = no_database.test_client().get("/api/v1/entries/1")
    assert response.status_code == 503
    assert response.get_json()["error"]["message"] == "系统暂时不可用，请稍后重试。"


# The error log --------------------------------------------------------------------------------------------


def test_the_error_log_names_the_user_by_id_only(app, client, login_as, caplog):
    def boom():
        raise RuntimeError("boom")

    app.add_url_rule("/boom-example", "boom_example", boom)
    user = login_as(Role.HOSPITAL)
    with caplog.at_level(logging.ERROR):
        assert client.get("/boom-example").status_code == 500
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert f"user={user.id})" in logged
    assert user.session_token not in logged


def test_a_huge_id_in_a_select_field_is_a_form_error(client, login_as, make_company):
    login_as(Role.ADMIN)
    form = {"email": "new@b.cn", "role": "manufacturer", "company_id": "9" * 30, "password": "a-long-password-42"}
    response = client.post("/admin/users/new", data=form)
    assert response.status_code in (200, 400)
