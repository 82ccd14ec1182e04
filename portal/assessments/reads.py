"""What the hospital, compliance and API pages read, each scoped to the actor (services.py holds the actions,
the queue's query and its filters)."""

import sqlalchemy as sa

from portal.assessments import services
from portal.assessments.models import Assessment
from portal.assessments.permissions import require_assess, require_compliance
from portal.catalogue.batches import batch_ids
from portal.catalogue.models import Batch
from portal.core.errors import NotFound
from portal.directory.models import Hospital
from portal.extensions import db


def queue_items(actor, filters: services.QueueFilters) -> list[Assessment]:
    """The actor's whole queue with the filters (the export)."""
    return db.session.scalars(services.queue_query(actor, filters)).all()


def own_assessments(actor, ids) -> list[Assessment]:
    """The assessments `ids` name, all the actor's own: one missing or another hospital's is NotFound."""
    ids = set(ids)
    items = db.session.scalars(sa.select(Assessment).where(Assessment.id.in_(ids))).all() if ids else []
    if len(items) != len(ids):
        raise NotFound("未找到该评估任务。")
    for assessment in items:
        require_assess(actor, assessment)
    return items


def queue_page(actor, filters: services.QueueFilters, *, batch_ref: str, page: int, per_page: int):
    """One page of the actor's queue for the API: (total, assessments). `batch_ref` is resolved by
    catalogue.batches.batch_ids, as the entries API does; a name may name batches of several catalogues."""
    query = services.queue_query(actor, filters)
    if batch_ref:
        query = query.where(Batch.id.in_(batch_ids(batch_ref)))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    return total, db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()


def compliance_batches(actor) -> list[Batch]:
    return db.session.scalars(services.visible_batches(actor)).all()


def compliance_batch(actor, batch_id: int) -> Batch:
    """A batch whose compliance the actor may see; others (and missing ones) are NotFound."""
    batch = db.session.get(Batch, batch_id)
    require_compliance(actor, batch)
    return batch


def compliance_hospital(actor, batch: Batch, hospital_id: int) -> Hospital:
    require_compliance(actor, batch)
    hospital = db.session.get(Hospital, hospital_id)
    if hospital is None:
        raise NotFound("未找到该医疗机构。")
    return hospital
