"""Creating the assessment queue of a catalogue update (DESIGN §4, "Publishing a batch", step 2).

Used by publishing a batch and by `catalogue import --assess`; hospitals with new assessments are told. It is
one set-based INSERT … SELECT that skips pairs that already exist (ON CONFLICT DO NOTHING on the unique
hospital × entry constraint), so it is idempotent, safe when two processes run it at once, and fast for
hundreds of thousands of rows.
"""

from collections import Counter
from datetime import date

import sqlalchemy as sa
from blinker import Namespace
from sqlalchemy.dialects import postgresql, sqlite

from portal.assessments import tally
from portal.assessments.models import Assessment
from portal.assessments.notices import tell_hospitals
from portal.catalogue.models import Batch, Entry, EntryStatus, Scope
from portal.catalogue.signals import batch_listed
from portal.core.timeutil import due_at, utcnow
from portal.directory.models import Hospital
from portal.extensions import db
from portal.workflow import AssessmentState

# Sent after a bulk creation (rows the ORM never saw) with the batch; higher areas keep derived data with it.
assessments_created = Namespace().signal("assessments-created")


def hospitals_in_scope(catalogue):
    """Public hospitals that must assess the catalogue's updates: all for the city list, the district's otherwise."""
    query = sa.select(Hospital.id).where(Hospital.is_public.is_(True))
    if catalogue.scope is Scope.DISTRICT:
        query = query.where(Hospital.district == catalogue.district)
    return query


def create_assessments(batch: Batch, published_on: date) -> int:
    """Give every public hospital in scope one assessment per listed entry of `batch`; returns rows inserted
    (counted in the database: a national batch inserts millions, which Python need not hold)."""
    catalogue = batch.catalogue
    hospitals = hospitals_in_scope(catalogue).subquery()
    now = utcnow()
    pairs = (
        sa.select(
            hospitals.c.id,
            Entry.id,
            sa.literal(batch.id),
            sa.literal(AssessmentState.PENDING.value),
            sa.literal(due_at(published_on, catalogue.deadline_days), Assessment.due_at.type),
            sa.literal(False),
            sa.literal(now, Assessment.created_at.type),
            sa.literal(1),
        )
        .select_from(hospitals)
        .join(Entry, sa.true())
        .where(Entry.batch_id == batch.id, Entry.status == EntryStatus.LISTED)
    )
    columns = ["hospital_id", "entry_id", "batch_id", "state", "due_at", "is_late", "created_at", "version_id"]
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(Assessment)
        .from_select(columns, pairs)
        .on_conflict_do_nothing(index_elements=["hospital_id", "entry_id"])
    )
    db.session.connection().execute(statement)  # Core: no rows come back, a national batch inserts millions
    new_per_hospital = _new_per_hospital(batch.id, now)
    if new_per_hospital:
        tally.refresh_batch(db.session, batch.id)
        tell_hospitals(batch, published_on, new_per_hospital)
        assessments_created.send(batch)
    return sum(new_per_hospital.values())


def _new_per_hospital(batch_id: int, created_at) -> Counter:
    """How many assessments this call inserted per hospital: the rows carry its own creation time, so the
    count is made in the database (rowcount is not reported for INSERT … SELECT by every driver)."""
    rows = db.session.execute(
        sa.select(Assessment.hospital_id, sa.func.count())
        .where(Assessment.batch_id == batch_id, Assessment.created_at == created_at)
        .group_by(Assessment.hospital_id)
    )
    return Counter(dict(rows.all()))


@batch_listed.connect
def _assess_imported(batch: Batch, *, listed_on: date) -> int:
    return create_assessments(batch, listed_on)
