"""Publishing a batch (DESIGN §4): entries, the hospitals' assessment queue, the index, notifications.

One transaction, idempotent, and safe when two processes publish at once:
- the batch row is locked first (SELECT … FOR UPDATE on PostgreSQL; on SQLite the transaction starts with a
  write to the batch row, which takes the database's single write lock), then its state is read again, so a
  second publisher waits for the first to commit and then finds the batch already published;
- the unique constraints on entry (batch, product), on the listed product × catalogue and on assessment
  (hospital, entry) are the last line: even a publisher that skipped the lock could not create duplicates, and
  a publisher meeting them finds the batch published by the other (`by_other`) instead of failing.
The caller commits.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.applications.models import Application
from portal.applications.services import notify_company
from portal.assessments.creation import create_assessments
from portal.assessments.models import Assessment
from portal.catalogue import permissions
from portal.catalogue.batches import advance_batch, next_step
from portal.catalogue.models import Batch, Entry, EntryStatus
from portal.catalogue.services import entry_from_product
from portal.core import timeutil
from portal.core.actors import is_system
from portal.core.errors import DomainError, IllegalTransition, PermissionDenied
from portal.core.outbox import queue
from portal.core.persistence import check_version
from portal.extensions import db
from portal.products.models import Product
from portal.workflow import BATCH, ApplicationState, BatchState, transition


@dataclass(frozen=True)
class PublishResult:
    batch_id: int
    published_on: date
    published_at: datetime
    entries: int  # entries of the batch (all, on an already published batch)
    assessments: int  # assessments of the batch
    already: bool  # True: the batch had been published before this call; nothing was changed
    skipped: tuple = ()  # product names already listed in the catalogue by an earlier batch
    by_other: bool = False  # already published by a publisher that bypassed the lock (found at insert)

    @property
    def message(self) -> str:
        if self.by_other:
            return "该批次已由他人发布，无需重复发布。"
        if self.already:
            return f"该批次已于 {self.published_on:%Y-%m-%d} 发布，无需重复发布。"
        text = f"已发布：{self.entries} 个产品列入目录，向医疗机构派发 {self.assessments} 项入院评估任务。"
        if self.skipped:
            text += f" {len(self.skipped)} 个产品此前已在目录中，未重复列入：{'、'.join(self.skipped)}。"
        return text


def _reread(batch_id: int, *, lock: bool = True) -> Batch:
    statement = select(Batch).where(Batch.id == batch_id).execution_options(populate_existing=True)
    return db.session.scalars(statement.with_for_update() if lock else statement).one()


def _lock(batch_id: int) -> Batch:
    """The batch row, locked for the rest of the transaction and re-read from the database."""
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: an early write takes the database's write lock; a second publisher's
        # write waits here (busy timeout) until the first has committed, then it reads the new state.
        db.session.execute(
            update(Batch).where(Batch.id == batch_id).values(version_id=Batch.version_id + 1),
            execution_options={"synchronize_session": False},
        )
    return _reread(batch_id)


def _existing_result(batch: Batch) -> PublishResult:
    entries = db.session.scalar(select(func.count(Entry.id)).where(Entry.batch_id == batch.id))
    assessments = db.session.scalar(select(func.count(Assessment.id)).where(Assessment.batch_id == batch.id))
    return PublishResult(batch.id, batch.published_on, batch.published_at, entries, assessments, already=True)


def publish_batch(actor, batch: Batch, *, now: datetime | None = None) -> PublishResult:
    """Publish `batch` once; calling it again (or concurrently) returns the first publication's result.

    `actor` is a reviewer of the batch's catalogue, or a system actor (the command line, a benchmark).
    """
    if not is_system(actor) and not permissions.can_manage_batch(actor, batch):
        raise PermissionDenied("只有负责该目录的审核人员可以发布此批次。")
    if batch.state is BatchState.PUBLISHED:  # cheap answer without taking the lock
        return _existing_result(batch)
    batch = _lock(batch.id)
    if batch.state is BatchState.PUBLISHED:  # another process published while we waited for the lock
        return _existing_result(batch)
    if batch.state is not BatchState.PUBLIC_NOTICE:
        raise IllegalTransition(f"批次当前状态为「{batch.state.label}」，只有公示结束的批次可以发布。")
    now = now or timeutil.utcnow()
    step = next_step(batch, now)
    if step.blockers:
        raise DomainError("暂不能发布：" + "；".join(step.blockers) + "。")

    published_on = timeutil.today_shanghai(now)
    applications = db.session.scalars(
        select(Application)
        .where(Application.batch_id == batch.id, Application.state == ApplicationState.RECOMMENDED)
        .options(selectinload(Application.product).selectinload(Product.company))
        .order_by(Application.id)
    ).all()
    already_listed = set(
        db.session.scalars(
            select(Entry.product_id).where(
                Entry.catalogue_id == batch.catalogue_id,
                Entry.status == EntryStatus.LISTED,
                Entry.product_id.in_([a.product_id for a in applications]),
            )
        )
    )
    entries, skipped = [], []
    for application in applications:
        if application.product_id in already_listed:
            skipped.append(application.product.name)
            continue
        entries.append(entry_from_product(application.product, batch, published_on, application=application))
    try:
        with db.session.begin_nested():
            db.session.add_all(entries)
            batch.published_at, batch.published_on = now, published_on
            db.session.flush()
    except IntegrityError:
        # Only reachable if another publisher bypassed the batch lock: the unique constraints held.
        batch = _reread(batch.id, lock=False)
        if batch.state is not BatchState.PUBLISHED:
            raise
        return replace(_existing_result(batch), by_other=True)
    assessments = create_assessments(batch, published_on)
    for entry in entries:
        queue("entry", entry.id)
    transition(
        BATCH,
        batch,
        "publish",
        actor,
        comment=f"{len(entries)} 个产品列入目录，派发 {assessments} 项入院评估任务",
        data={"entries": len(entries), "assessments": assessments, "skipped": skipped},
    )
    catalogue = batch.catalogue
    for entry in entries:
        notify_company(
            entry.application,
            f"产品已列入目录：{entry.product_name}",
            f"{catalogue.name}{batch.name}已于 {published_on:%Y-%m-%d} 发布，您的产品已列入目录。"
            f"公立医疗机构将在 {catalogue.deadline_days} 天内完成入院评估。",
        )
    return PublishResult(batch.id, published_on, now, len(entries), assessments, False, tuple(skipped))


def advance(actor, batch: Batch, action: str, *, version) -> tuple[str, str]:
    """The batch page's next step, publication included; returns the message and its kind for the page."""
    if action != "publish":
        advance_batch(actor, batch, action, version=version)
        return f"已{BATCH.action_labels.get(action, action)}：{batch.name}现为「{batch.state.label}」。", "success"
    check_version(batch, version)
    result = publish_batch(actor, batch)
    return result.message, "warning" if result.already else "success"
