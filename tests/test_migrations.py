"""`flask db upgrade` on an empty database gives exactly the models' schema (SQLite and PostgreSQL)."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from portal import create_app
from portal.extensions import db


def _differences(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_gives_exactly_the_models_schema(empty_database_url):
    app = create_app({"PORTAL_ENV": "testing", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        assert _differences(app) == []
        db.engine.dispose()


def test_downgrade_to_base_and_back(empty_database_url):
    app = create_app({"PORTAL_ENV": "testing", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
        assert _differences(app) == []
        db.engine.dispose()


def _tallies():
    from portal.assessments.models import AssessmentDistrictTally, AssessmentTally

    pairs = db.session.execute(sa.select(AssessmentTally).order_by("batch_id", "hospital_id")).scalars()
    districts = db.session.execute(sa.select(AssessmentDistrictTally).order_by("batch_id", "district")).scalars()
    return [tuple(getattr(row, c.key) for c in row.__table__.columns) for row in [*pairs, *districts]]


def test_upgrade_to_0006_backfills_the_copies_and_the_district_rows(empty_database_url):
    """Data made at the head, taken back to 0005 (no copies, no district rows) and up again: the backfill gives
    what the running application had kept."""
    from portal.accounts.system import system_actor
    from portal.assessments import services
    from portal.assessments.models import Assessment, Outcome
    from portal.catalogue.models import Catalogue, Scope
    from portal.directory.models import Hospital, HospitalLevel
    from tests.factories_assessments import publish

    app = create_app({"PORTAL_ENV": "testing", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        for i, district in enumerate(("宝山区", "徐汇区", "徐汇区")):
            level = HospitalLevel.SECONDARY
            db.session.add(Hospital(name=f"迁移医院{i}", district=district, level=level, is_public=True))
        catalogue = Catalogue(code="MIG-1", name="迁移目录", scope=Scope.CITY)
        db.session.add(catalogue)
        db.session.commit()
        publish(catalogue, entries=3, days_ago=40)
        publish(catalogue, entries=2)
        for assessment in db.session.scalars(sa.select(Assessment).where(Assessment.id % 2 == 0)):
            services.decide(system_actor(), assessment, Outcome.ADMITTED)
        db.session.commit()
        kept = _tallies()
        assert len(kept) == 2 * 3 + 2 + 2  # three hospitals and two districts in each of two batches
        db.session.remove()  # its open transaction would hold the tables that the downgrade drops
        downgrade(revision="0005_entry_delisted")
        db.session.remove()
        upgrade()
        assert _tallies() == kept
        db.session.remove()
        db.engine.dispose()
