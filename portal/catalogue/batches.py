"""A batch's lifecycle (DESIGN §4): creation, the call window, open → close → public notice.

Publishing, the last step, lives in `portal.publishing`, above the applications it lists. Every function
takes the acting user first, checks `portal.catalogue.permissions` itself, changes state only through
`portal.workflow.transition` and never commits: the caller commits once.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from portal.audit.services import record
from portal.catalogue import permissions
from portal.catalogue.models import Batch, Catalogue, Entry
from portal.catalogue.signals import batch_step
from portal.core import timeutil
from portal.core.errors import DomainError, NotFound, PermissionDenied
from portal.core.inputs import parse_int
from portal.core.persistence import check_version
from portal.extensions import db
from portal.workflow import BATCH, BatchState, transition


def get_batch(actor, batch_id: int, *, manage: bool = False) -> Batch:
    batch = db.session.get(Batch, batch_id)
    if batch is None or not permissions.can_view_batch(actor, batch):
        raise NotFound("未找到该批次。")
    if manage and not permissions.can_manage_batch(actor, batch):
        raise PermissionDenied("只有负责该目录的审核人员可以操作此批次。")
    return batch


def reviewed_catalogue(actor, catalogue_id) -> Catalogue | None:
    """One of the catalogues `actor` reviews, else None (create_batch then asks for one)."""
    return next((c for c in getattr(actor, "catalogues", ()) if c.id == catalogue_id), None)


def _text(value) -> str:
    return (value or "").strip()


# Batches -------------------------------------------------------------------------------------------------


def _check_window(opens_at: datetime | None, closes_at: datetime | None) -> None:
    if opens_at is None:
        raise DomainError("请填写征集开始时间。", field="opens_at")
    if closes_at is None:
        raise DomainError("请填写征集截止时间。", field="closes_at")
    if closes_at <= opens_at:
        raise DomainError("征集截止时间必须晚于开始时间。", field="closes_at")


def create_batch(actor, catalogue: Catalogue, *, name: str, opens_at: datetime | None, closes_at: datetime | None):
    if catalogue is None or not permissions.reviews_catalogue(actor, catalogue.id):
        raise DomainError("请选择您负责的目录。", field="catalogue_id")
    name = _text(name)
    if not name:
        raise DomainError("请填写批次名称，例如「第七批」。", field="name")
    if len(name) > 64:
        raise DomainError("批次名称不能超过 64 个字。", field="name")
    _check_window(opens_at, closes_at)
    if db.session.scalar(select(Batch.id).where(Batch.catalogue_id == catalogue.id, Batch.name == name)):
        raise DomainError(f"{catalogue.name}已有名为「{name}」的批次。", field="name")
    batch = Batch(catalogue=catalogue, name=name, state=BatchState.DRAFT, opens_at=opens_at, closes_at=closes_at)
    db.session.add(batch)
    record("batch.created", actor=actor, obj=batch, to_state=BatchState.DRAFT)
    return batch


def update_window(actor, batch: Batch, *, opens_at, closes_at, version) -> Batch:
    if not permissions.can_manage_batch(actor, batch):
        raise PermissionDenied()
    check_version(batch, version)
    if batch.state not in (BatchState.DRAFT, BatchState.OPEN):
        raise DomainError(f"批次处于「{batch.state.label}」状态，不能再修改征集时间。")
    _check_window(opens_at, closes_at)
    if batch.state is BatchState.OPEN and closes_at <= timeutil.utcnow():
        raise DomainError("征集中的批次，截止时间不能早于现在；如需立即截止，请使用「截止征集」。", field="closes_at")
    old = {"opens_at": _iso(batch.opens_at), "closes_at": _iso(batch.closes_at)}
    batch.opens_at, batch.closes_at = opens_at, closes_at
    record(
        "batch.window_changed",
        actor=actor,
        obj=batch,
        data={"old": old, "new": {"opens_at": _iso(opens_at), "closes_at": _iso(closes_at)}},
    )
    return batch


def _iso(value):
    return value.isoformat() if value else None


@dataclass
class NextStep:
    """What the batch page offers next, and what still stands in its way."""

    action: str | None
    label: str | None
    blockers: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.action is not None and not self.blockers


def next_step(batch: Batch, now: datetime | None = None) -> NextStep:
    now = now or timeutil.utcnow()
    state = batch.state
    if state is BatchState.DRAFT:
        step = NextStep("open", BATCH.action_labels["open"])
        if not batch.closes_at:
            step.blockers.append("尚未设置征集截止时间")
        elif batch.closes_at <= now:
            step.blockers.append(f"征集截止时间 {_local(batch.closes_at)} 已过，请先修改征集时间")
        return step
    if state is BatchState.OPEN:
        step = NextStep("close", BATCH.action_labels["close"])
        if batch.closes_at and batch.closes_at > now:
            step.notes.append(f"征集将于 {_local(batch.closes_at)} 截止；现在截止征集将提前结束申报")
    elif state is BatchState.REVIEWING:
        step = NextStep("start_notice", BATCH.action_labels["start_notice"])
    elif state is BatchState.PUBLIC_NOTICE:
        step = NextStep("publish", BATCH.action_labels["publish"])
        if batch.notice_ends_at and batch.notice_ends_at > now:
            step.blockers.append(f"公示期至 {_local(batch.notice_ends_at, '%Y-%m-%d')} 结束")
    else:
        return NextStep(None, None)
    batch_step.send(batch, step=step, now=now)  # applications and objections add what stands in the way
    if state is BatchState.REVIEWING:
        days = batch.catalogue.notice_days
        step.notes.append(f"公示期 {days} 天，开始后至 {notice_end(timeutil.today_shanghai(now), days):%Y-%m-%d} 结束")
    return step


def _local(value: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return timeutil.to_shanghai(value).strftime(fmt)


def notice_end(start_day: date, notice_days: int) -> date:
    return start_day + timedelta(days=notice_days)


def advance_batch(actor, batch: Batch, action: str, *, version) -> Batch:
    """open / close / start_notice (publishing has its own module: `portal.publishing.services`)."""
    if not permissions.can_manage_batch(actor, batch):
        raise PermissionDenied("只有负责该目录的审核人员可以操作此批次。")
    check_version(batch, version)
    if action not in ("open", "close", "start_notice"):
        raise DomainError("未知的批次操作。")
    BATCH.advance(batch.state, action)  # an illegal step fails here, with the workflow's message
    now = timeutil.utcnow()
    step = next_step(batch, now)
    if step.blockers:
        raise DomainError("暂不能" + BATCH.action_labels[action] + "：" + "；".join(step.blockers) + "。")
    comment = None
    if action == "open" and batch.opens_at and batch.opens_at > now:
        batch.opens_at = now  # opened by hand before the planned time: the call runs from now
    if action == "close" and batch.closes_at and batch.closes_at > now:
        comment = f"提前截止（原定 {_local(batch.closes_at)}）"
        batch.closes_at = now
    if action == "start_notice":
        batch.notice_starts_at = now
        batch.notice_ends_at = timeutil.end_of_day_shanghai(
            notice_end(timeutil.today_shanghai(now), batch.catalogue.notice_days)
        )
        comment = f"公示期至 {_local(batch.notice_ends_at, '%Y-%m-%d')}"
    transition(BATCH, batch, action, actor, comment=comment)
    return batch


def running_notices() -> list[Batch]:
    """Batches on public notice now (objections accepted), the latest first."""
    now = timeutil.utcnow()
    return db.session.scalars(
        select(Batch)
        .where(Batch.state == BatchState.PUBLIC_NOTICE, Batch.notice_starts_at <= now, Batch.notice_ends_at >= now)
        .order_by(Batch.notice_starts_at.desc())
    ).all()


def notice_running(batch: Batch, now: datetime | None = None) -> bool:
    now = now or timeutil.utcnow()
    return bool(
        batch.state is BatchState.PUBLIC_NOTICE
        and batch.notice_starts_at
        and batch.notice_ends_at
        and batch.notice_starts_at <= now <= batch.notice_ends_at
    )


def batches_in_view(actor):
    scope = permissions.catalogue_ids_in_view(actor)
    query = select(Batch).order_by(Batch.catalogue_id, Batch.id.desc())
    if scope is not None:
        query = query.where(Batch.catalogue_id.in_(scope))
    return query


def all_batches_in_view(actor) -> list[Batch]:
    return db.session.scalars(batches_in_view(actor)).all()


def batch_ids(ref: str, catalogue_id: int | None = None) -> list[int]:
    """The batches a request names: by id when `ref` is digits, else by name (of one catalogue when given).
    The one rule both APIs resolve `batch` by; the entries API then asks for exactly one."""
    batch_id = parse_int(ref)
    query = select(Batch.id).where(Batch.id == batch_id if batch_id is not None else Batch.name == ref[:64])
    if catalogue_id is not None:
        query = query.where(Batch.catalogue_id == catalogue_id)
    return list(db.session.scalars(query))


# What the public may see ---------------------------------------------------------------------------------


def get_noticed_batch(actor, batch_id: int) -> Batch:
    """Batches that are or were on public notice; others do not exist for the public (any actor)."""
    batch = db.session.get(Batch, batch_id)
    if (
        batch is None
        or batch.state not in (BatchState.PUBLIC_NOTICE, BatchState.PUBLISHED)
        or not batch.notice_starts_at
    ):
        raise NotFound("未找到该公示。")
    return batch


def published_entries(batch: Batch) -> list[Entry]:
    """What a published batch listed (none before its publication)."""
    if batch.state is not BatchState.PUBLISHED:
        return []
    return db.session.scalars(select(Entry).where(Entry.batch_id == batch.id).order_by(Entry.id)).all()


def public_notices(actor) -> tuple[list[Batch], list[Batch]]:
    """Notices running now, and the last 20 that ended in a publication."""
    running = db.session.scalars(
        select(Batch).where(Batch.state == BatchState.PUBLIC_NOTICE).order_by(Batch.notice_starts_at.desc())
    ).all()
    past = db.session.scalars(
        select(Batch)
        .where(Batch.state == BatchState.PUBLISHED, Batch.notice_starts_at.is_not(None))
        .order_by(Batch.published_at.desc())
        .limit(20)
    ).all()
    return running, past
