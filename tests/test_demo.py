"""The demo seed: idempotent, valid identifiers, a login per role, assessments for public hospitals only."""

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role, User
from portal.accounts.services import authenticate
from portal.assessments.models import Assessment
from portal.catalogue.models import Batch, Catalogue, Entry
from portal.core.reference import DEPARTMENTS, DISTRICTS, KEY_AREAS
from portal.demo.seed import DEMO_PASSWORD, USERS, seed_demo
from portal.directory.identifiers import validate_uscc
from portal.directory.models import Company, Hospital
from portal.products.identifiers import parse_registration_no
from portal.products.models import Product, ProductType
from portal.workflow import ApplicationState, AssessmentState, BatchState


@pytest.fixture
def seeded(db):
    counts = seed_demo(out=lambda line: None)
    db.session.commit()
    return counts


def _row_counts(db) -> dict[str, int]:
    tables = db.metadata.sorted_tables
    return {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in tables}


def test_second_run_through_the_cli_changes_nothing(app, db, seeded):
    assert all(seeded.values()), seeded
    before = _row_counts(db)
    db.session.rollback()
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "演示数据已存在" in result.output
    assert "角色" in result.output and "范围" in result.output and DEMO_PASSWORD in result.output
    for email, *_ in USERS:
        assert email in result.output
    db.session.rollback()  # a new transaction sees the command's commit
    assert _row_counts(db) == before
    assert not any(seed_demo(out=lambda line: None).values())


def test_registration_numbers_parse_and_match_the_product(db, seeded):
    products = db.session.scalars(sa.select(Product)).all()
    assert len(products) >= 18
    for product in products:
        parsed = parse_registration_no(product.registration_no)
        assert parsed.normalised == product.registration_no
        assert product.key_area in KEY_AREAS
        assert set(product.departments) <= set(DEPARTMENTS)
        if product.product_type is ProductType.DRUG:
            assert product.device_class is None and product.key_area in ("创新药", "改良型新药")
        else:
            assert product.device_class.value == parsed.device_class
            assert (parsed.category_code == "40") == (product.product_type is ProductType.IVD)
            assert product.first_approved_on.year == parsed.year


def test_companies_have_valid_uscc(db, seeded):
    companies = db.session.scalars(sa.select(Company)).all()
    assert len(companies) >= 10
    assert sum(c.district == "宝山区" for c in companies) >= 2
    for company in companies:
        assert validate_uscc(company.uscc) == company.uscc
        assert company.district in DISTRICTS


def test_every_role_can_log_in(db, seeded):
    for role in Role:
        assert db.session.scalar(sa.select(User).where(User.role == role)) is not None
    for email, role, *_ in USERS:
        assert authenticate(email, DEMO_PASSWORD, None).role is role
        db.session.commit()  # each login is its own request (the throttle counts on a connection of its own)


def test_assessments_cover_public_hospitals_only(db, seeded):
    batch = db.session.scalar(
        sa.select(Batch).join(Catalogue).where(Catalogue.code == "SH-XYYX", Batch.name == "第五批")
    )
    assert batch.state is BatchState.PUBLISHED
    entries = db.session.scalar(sa.select(sa.func.count(Entry.id)).where(Entry.batch_id == batch.id))
    public = db.session.scalar(sa.select(sa.func.count(Hospital.id)).where(Hospital.is_public.is_(True)))
    assessments = db.session.scalars(sa.select(Assessment).where(Assessment.batch_id == batch.id)).all()
    assert entries >= 10 and public >= 10
    assert len(assessments) == public * entries
    private = db.session.scalar(
        sa.select(sa.func.count(Assessment.id)).join(Hospital).where(Hospital.is_public.is_(False))
    )
    assert private == 0
    decided = [a for a in assessments if a.state is AssessmentState.DECIDED]
    assert decided and all(a.decided_by.hospital_id == a.hospital_id and not a.is_late for a in decided)
    assert all(a.entry.application.state is ApplicationState.RECOMMENDED for a in assessments)


def test_a_batch_on_public_notice_and_one_ready_to_publish(db, seeded):
    from portal.audit.models import AuditEvent
    from portal.catalogue.batches import next_step, notice_running
    from portal.objections.services import recommended_applications

    on_notice = db.session.scalar(sa.select(Batch).where(Batch.name == "2026年增补批"))
    ended = db.session.scalar(sa.select(Batch).where(Batch.name == "2025年第二批"))
    for batch in (on_notice, ended):
        assert batch.state is BatchState.PUBLIC_NOTICE and recommended_applications(batch)
        # Reached through the services: every step is in the audit log, as the portal writes it.
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.object_type == "batch", AuditEvent.object_id == batch.id)
        ).all()
        assert actions == ["batch.created", "batch.open", "batch.close", "batch.start_notice"]
    assert notice_running(on_notice) and not notice_running(ended)
    assert next_step(ended).allowed  # ready to publish
    assert not next_step(on_notice).allowed
    assert ended.notice_starts_at < ended.notice_ends_at < on_notice.notice_starts_at
