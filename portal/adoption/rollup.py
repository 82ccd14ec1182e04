"""Keeping the dashboards' rollups (HospitalRollup, MonthRollup) equal to the data, in the same transaction.

Whatever changes an assessment, an equipping or a use report marks its batch × hospital slice; just before the
commit the marked slices are recomputed from the source rows (DELETE + INSERT … SELECT). Assessments created in
bulk (publishing, `catalogue import --assess`) arrive through the assessments area's `assessments_created`
signal, which marks the whole batch. The lower areas know nothing of this module.
"""

from itertools import chain

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.adoption.figures import _month, count_columns
from portal.adoption.models import Equipping, HospitalRollup, MonthRollup, UsageReport
from portal.assessments.creation import assessments_created
from portal.assessments.models import Assessment
from portal.core import timeutil
from portal.directory.models import Hospital
from portal.workflow import AssessmentState

KEY = "adoption_rollup"
WHOLE_BATCH = None  # a slice's hospital id meaning "every hospital of the batch"
MAX_LISTED = 500  # more hospitals than this in one batch: recompute the whole batch in one statement


def _marks(session) -> dict:
    return session.info.setdefault(KEY, {"slices": set(), "assessments": set()})


def mark_batch(session, batch_id: int) -> None:
    _marks(session)["slices"].add((batch_id, WHOLE_BATCH))


@event.listens_for(Session, "after_flush")
def _collect(session, _context):
    marks = None
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Assessment):
            marks = marks or _marks(session)
            marks["slices"].add((obj.batch_id, obj.hospital_id))
        elif isinstance(obj, Equipping | UsageReport):
            marks = marks or _marks(session)
            marks["assessments"].add(obj.assessment_id)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session, _previous):
    session.info.pop(KEY, None)


@event.listens_for(Session, "before_commit")
def _refresh_marked(session):
    marks = session.info.get(KEY)
    if not marks:
        return
    session.flush()  # collect what is still pending
    marks = session.info.pop(KEY, None) or {"slices": set(), "assessments": set()}
    slices = set(marks["slices"])
    if marks["assessments"]:
        rows = session.execute(
            sa.select(Assessment.batch_id, Assessment.hospital_id).where(Assessment.id.in_(marks["assessments"]))
        )
        slices.update((b, h) for b, h in rows)
    by_batch: dict[int, set] = {}
    for batch_id, hospital_id in slices:
        if batch_id is not None:
            by_batch.setdefault(batch_id, set()).add(hospital_id)
    for batch_id, hospitals in sorted(by_batch.items()):
        whole = WHOLE_BATCH in hospitals or len(hospitals) > MAX_LISTED
        refresh(session, batch_id, None if whole else sorted(hospitals))


@assessments_created.connect
def _on_created(batch, **_extra):
    from portal.extensions import db

    mark_batch(db.session, batch.id)


def _slice(query, batch_id, hospital_ids, assessment=Assessment):
    query = query.where(assessment.batch_id == batch_id)
    return query.where(assessment.hospital_id.in_(hospital_ids)) if hospital_ids is not None else query


def refresh(session, batch_id: int, hospital_ids: list[int] | None = None) -> None:
    """Recompute the rollups of `batch_id` (of `hospital_ids`, or every hospital) from the source rows."""
    for model in (HospitalRollup, MonthRollup):
        session.execute(_slice(sa.delete(model), batch_id, hospital_ids, model))
    columns = [c for c in count_columns(timeutil.utcnow()) if c.name != "overdue"]
    counts = _slice(
        sa.select(Assessment.batch_id, Assessment.hospital_id, sa.func.max(Assessment.due_at), *columns)
        .join(Hospital, Hospital.id == Assessment.hospital_id)
        .outerjoin(Equipping, Equipping.assessment_id == Assessment.id)
        .where(Hospital.is_public.is_(True))
        .group_by(Assessment.batch_id, Assessment.hospital_id),
        batch_id,
        hospital_ids,
    )
    names = ["batch_id", "hospital_id", "due_at", *(c.name for c in columns)]
    session.execute(sa.insert(HospitalRollup).from_select(names, counts))
    month = _month(Assessment.decided_at)
    decisions = _slice(
        sa.select(
            Assessment.batch_id.label("b"),
            Assessment.hospital_id.label("h"),
            month.label("m"),
            sa.func.count().label("d"),
            sa.literal(0).label("u"),
        )
        .where(Assessment.state == AssessmentState.DECIDED)
        .group_by(Assessment.batch_id, Assessment.hospital_id, month),
        batch_id,
        hospital_ids,
    )
    uses = _slice(
        sa.select(
            Assessment.batch_id, Assessment.hospital_id, UsageReport.month, sa.literal(0), sa.func.sum(UsageReport.uses)
        )
        .join(Assessment, Assessment.id == UsageReport.assessment_id)
        .group_by(Assessment.batch_id, Assessment.hospital_id, UsageReport.month),
        batch_id,
        hospital_ids,
    )
    both = sa.union_all(decisions, uses).subquery()
    merged = sa.select(both.c.b, both.c.h, both.c.m, sa.func.sum(both.c.d), sa.func.sum(both.c.u)).group_by(
        both.c.b, both.c.h, both.c.m
    )
    session.execute(
        sa.insert(MonthRollup).from_select(["batch_id", "hospital_id", "month", "decisions", "uses"], merged)
    )
