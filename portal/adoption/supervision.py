"""Supervisors' actions: 催办 (chase an overdue hospital, once per assessment, logged) and the scope of what
they may see."""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from portal.adoption.figures import Scope
from portal.adoption.models import Chase
from portal.adoption.permissions import can_chase, require_hospital_in_scope, require_supervise, scope_district
from portal.assessments.models import Assessment
from portal.assessments.services import OPEN_STATES
from portal.audit.services import record
from portal.catalogue.models import Batch, Catalogue
from portal.catalogue.services import get_by_code
from portal.core import timeutil
from portal.core.errors import DomainError, IllegalTransition, NotFound
from portal.core.inputs import parse_int
from portal.directory.models import Hospital
from portal.extensions import db


def scope_for(user, catalogue_id=None, batch_id=None, **extra) -> Scope:
    """The viewer's scope narrowed to a catalogue and batch; a supervisor never sees outside its district."""
    require_supervise(user)
    return Scope(catalogue_id=catalogue_id, batch_id=batch_id, district=scope_district(user), **extra)


def get_hospital(user, hospital_id) -> Hospital:
    """A public hospital the viewer watches; any other is NotFound."""
    hospital = db.session.get(Hospital, hospital_id) if hospital_id is not None else None
    require_hospital_in_scope(user, hospital)
    return hospital


def selected(code: str, batch_ref: str) -> tuple[Catalogue | None, Batch | None]:
    """The dashboard's catalogue (by code) and batch (by id); unknown values select everything, and a batch of
    another catalogue than the one chosen is dropped."""
    catalogue = get_by_code(code[:32]) if code else None
    batch_id = parse_int(batch_ref)
    batch = db.session.get(Batch, batch_id) if batch_id is not None else None
    if batch is not None and catalogue is not None and batch.catalogue_id != catalogue.id:
        batch = None
    return (catalogue or (batch.catalogue if batch else None)), batch


def get_chaseable(actor, assessment_id: int) -> Assessment:
    """An assessment `actor` may chase; any other is NotFound (its existence is not revealed)."""
    assessment = db.session.get(Assessment, assessment_id)
    if not can_chase(actor, assessment):
        raise NotFound("未找到该评估任务。")
    return assessment


def catalogue_choices() -> list[tuple[Catalogue, list[Batch]]]:
    """Catalogues with their published batches (those that have assessments), for the dashboard's selector."""
    batches = db.session.scalars(
        sa.select(Batch)
        .where(sa.exists(sa.select(1).where(Assessment.batch_id == Batch.id)))
        .order_by(Batch.catalogue_id, Batch.published_on.desc().nulls_last(), Batch.id.desc())
    ).all()
    catalogues = db.session.scalars(sa.select(Catalogue).order_by(Catalogue.id)).all()
    return [(c, [b for b in batches if b.catalogue_id == c.id]) for c in catalogues]


def chase(actor, assessment, *, now=None) -> Chase:
    """催办: tell the hospital's users that an overdue assessment needs its decision. Each assessment is chased
    once (a unique row claimed with INSERT … ON CONFLICT DO NOTHING, so two supervisors clicking at once send one
    notice); the chase goes to the audit log. The caller commits."""
    from portal.accounts.models import Role, User
    from portal.notifications.services import notify

    if not can_chase(actor, assessment):
        raise NotFound("未找到该评估任务。")
    now = now or timeutil.utcnow()
    if assessment.state not in OPEN_STATES or assessment.due_at >= now:
        raise IllegalTransition("只能催办已逾期且尚未作出决定的评估任务。")
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    claimed = db.session.scalar(
        dialect.insert(Chase)
        .values(assessment_id=assessment.id, chased_by_id=actor.id, chased_at=now)
        .on_conflict_do_nothing(index_elements=["assessment_id"])
        .returning(Chase.id)
    )
    if claimed is None:
        raise DomainError("该评估任务已催办过，医院已收到通知。", field="assessment")
    entry, hospital = assessment.entry, assessment.hospital
    users = db.session.scalars(
        sa.select(User).where(User.role == Role.HOSPITAL, User.hospital_id == hospital.id, User.active)
    ).all()
    overdue_days = -timeutil.days_left(assessment.due_at, now)
    notify(
        users,
        f"监管部门催办：{entry.product_name} 的入院评估已逾期 {overdue_days} 天",
        f"{hospital.name}：{assessment.batch.catalogue.name}{assessment.batch.name}的「{entry.product_name}」"
        f"（{entry.manufacturer}）应于 {timeutil.to_shanghai(assessment.due_at):%Y-%m-%d} 前完成入院评估，"
        f"请尽快作出决定。催办人：{actor.display_name}（{actor.scope_label}）。",
        f"/assessments/{assessment.id}",
    )
    record(
        "assessment.chased",
        actor=actor,
        obj=assessment,
        comment=f"监管部门催办（逾期 {overdue_days} 天）",
        data={"hospital_id": hospital.id, "notified": len(users)},
    )
    return db.session.get(Chase, claimed)
