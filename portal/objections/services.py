"""公示期异议: objections filed by anyone (named, no login) while a batch is on notice, and their resolution.

Every function taking an actor checks `portal.objections.permissions` itself and never commits.
"""

import re
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from portal.applications.models import Application
from portal.applications.services import mark_changed, notify_company
from portal.audit.services import record
from portal.catalogue.batches import notice_running
from portal.catalogue.models import Batch
from portal.catalogue.permissions import can_view_batch
from portal.catalogue.signals import batch_step
from portal.core import timeutil
from portal.core.errors import DomainError, NotFound, PermissionDenied
from portal.core.persistence import check_version
from portal.extensions import db
from portal.objections import permissions
from portal.objections.models import Objection
from portal.products.models import Attachment
from portal.products.permissions import reviewer_catalogue_ids
from portal.products.signals import attachment_access
from portal.products.storage import store_pdf
from portal.workflow import APPLICATION, OBJECTION, ApplicationState, BatchState, ObjectionState, transition


class RateLimited(DomainError):
    status_code = 429


def get_objection(actor, objection_id: int, *, manage: bool = False) -> Objection:
    objection = db.session.get(Objection, objection_id)
    if objection is None or not can_view_batch(actor, objection.batch):
        raise NotFound("未找到该异议。")
    if manage and not permissions.can_resolve_objection(actor, objection):
        raise PermissionDenied("只有负责该目录的审核人员可以处理异议。")
    return objection


def _text(value) -> str:
    return (value or "").strip()


MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
# Area code and a 7- or 8-digit local number (the form's own example is 021-12345678), optional extension.
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(?:-\d{1,6})?$")
ANONYMOUS_NAMES = {"匿名", "无名", "无名氏", "某某", "某人", "群众", "知情人", "知情者", "网友", "不详", "无", "保密"}
REASON_MIN = 10
PHONE_HINT = "请填写有效的联系电话：11 位手机号（如 13812345678）或带区号的固定电话（如 021-12345678）。"


def normalise_phone(text: str) -> str | None:
    """A Chinese mobile or landline number in a canonical form, or None if it is neither."""
    compact = re.sub(r"[\s()（）]", "", (text or "").translate({0x3000: " "}))
    compact = compact.translate({cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)})  # full-width digits
    if MOBILE.match(compact.replace("-", "")):
        return compact.replace("-", "")[-11:]
    if LANDLINE.match(compact):
        return compact
    return None


def name_problem(name: str) -> str | None:
    name = _text(name)
    if not name:
        return "请填写您的真实姓名：公示期异议须实名提出，匿名异议不予受理。"
    if len(name) < 2 or len(name) > 32:
        return "姓名应为 2 到 32 个字。"
    if name in ANONYMOUS_NAMES or "匿名" in name or "某" in name:
        return "请填写您的真实姓名：匿名异议不予受理。"
    return None


def reason_problem(reason: str) -> str | None:
    reason = _text(reason)
    if len(reason) < REASON_MIN:
        return f"请写明异议的事实和理由（至少 {REASON_MIN} 个字，当前 {len(reason)} 个字）。"
    return None


def recommended_applications(batch: Batch) -> list[Application]:
    return db.session.scalars(
        select(Application)
        .where(Application.batch_id == batch.id, Application.state == ApplicationState.RECOMMENDED)
        .order_by(Application.id)
    ).all()


def notice_rows(batch: Batch) -> list[tuple[Application, dict]]:
    """The public notice: each recommended application with the product as submitted in its last round (what was
    reviewed), never the company's working copy, whose later edits are not public."""
    return [(a, a.submissions[-1].snapshot if a.submissions else {}) for a in recommended_applications(batch)]


def objection_limit() -> tuple[int, int]:
    cfg = current_app.config
    return cfg.get("PORTAL_OBJECTIONS_PER_HOUR", 5), 60


def file_objection(
    batch: Batch,
    *,
    application_id,
    name: str,
    phone: str,
    organisation: str = "",
    reason: str,
    ip: str | None,
    evidence=None,
) -> Objection:
    """A named objection from anyone (no login) while the notice runs; `evidence` is an optional PDF upload."""
    if not notice_running(batch):
        raise DomainError(f"{batch.name}当前不在公示期内，不受理异议。")
    limit, minutes = objection_limit()
    if ip:
        since = timeutil.utcnow() - timedelta(minutes=minutes)
        recent = db.session.scalar(
            select(func.count(Objection.id)).where(Objection.ip == ip, Objection.created_at >= since)
        )
        if recent >= limit:
            raise RateLimited(f"提交过于频繁：同一网络每小时最多提交 {limit} 条异议，请稍后再试。")
    try:
        application = db.session.get(Application, int(application_id))
    except (TypeError, ValueError):
        application = None
    if application is None or application.batch_id != batch.id or application.state is not ApplicationState.RECOMMENDED:
        raise DomainError("请选择本批次公示名单中的产品。", field="application_id")
    for field_name, problem in (("name", name_problem(name)), ("reason", reason_problem(reason))):
        if problem:
            raise DomainError(problem, field=field_name)
    canonical_phone = normalise_phone(phone)
    if canonical_phone is None:
        raise DomainError(PHONE_HINT, field="phone")
    organisation = _text(organisation)
    if len(organisation) > 128:
        raise DomainError("单位名称不能超过 128 个字。", field="organisation")
    objection = Objection(
        batch=batch,
        application=application,
        name=_text(name),
        phone=canonical_phone,
        organisation=organisation,
        reason=_text(reason),
        ip=ip,
    )
    db.session.add(objection)
    db.session.flush()
    if evidence is not None and getattr(evidence, "filename", ""):
        _store_evidence(objection, evidence)
    record(
        "objection.filed",
        subject=f"{objection.name}（{canonical_phone}）",
        obj=objection,
        to_state=ObjectionState.OPEN,
        data={"application_id": application.id},
    )
    return objection


def _store_evidence(objection: Objection, upload) -> None:
    try:
        store_pdf(None, upload, "异议证据", objection=objection, field="evidence")
    except DomainError as exc:
        raise DomainError(exc.message, field="evidence") from exc


def resolve_objection(actor, objection: Objection, *, version, uphold: bool, resolution: str) -> Objection:
    if not permissions.can_resolve_objection(actor, objection):
        raise PermissionDenied("只有负责该目录的审核人员可以处理异议。")
    check_version(objection, version)
    resolution = _text(resolution)
    if not resolution:
        raise DomainError(
            "请填写处理意见：异议成立的依据，或异议不成立的理由。" if uphold else "异议不成立必须填写理由。",
            field="resolution",
        )
    if objection.batch.state is not BatchState.PUBLIC_NOTICE:
        raise DomainError("只有公示中的批次可以处理异议。")
    transition(OBJECTION, objection, "uphold" if uphold else "dismiss", actor, comment=resolution)
    objection.resolution, objection.resolved_by_id, objection.resolved_at = resolution, actor.id, timeutil.utcnow()
    application = objection.application
    if uphold and application.state is ApplicationState.RECOMMENDED:
        transition(APPLICATION, application, "uphold_objection", actor, comment=resolution)
        application.decided_at = timeutil.utcnow()
        mark_changed(application)
        notify_company(
            application,
            f"公示期异议成立：{application.product.name}",
            f"{application.batch.catalogue.name}{application.batch.name}公示期间收到的异议经核实成立，"
            f"该申报不予列入目录。处理意见：{resolution}",
        )
    db.session.flush()
    return objection


def batch_objections(actor, batch: Batch) -> tuple[list[Objection], dict[int, list]]:
    """The batch's objections, open ones first, and each one's evidence files (for its reviewers' page)."""
    if not can_view_batch(actor, batch):
        raise NotFound("未找到该批次。")
    objections = db.session.scalars(
        select(Objection)
        .where(Objection.batch_id == batch.id)
        .order_by(Objection.state != ObjectionState.OPEN, Objection.id)
    ).all()
    evidence = {}
    if objections:
        for item in db.session.scalars(
            select(Attachment).where(Attachment.objection_id.in_([o.id for o in objections])).order_by(Attachment.id)
        ):
            evidence.setdefault(item.objection_id, []).append(item)
    return objections, evidence


def application_objections(actor, application) -> list[Objection]:
    """The objections to one application, for the reviewers of its batch (and administrators)."""
    if not can_view_batch(actor, application.batch):
        raise NotFound()
    return db.session.scalars(
        select(Objection).where(Objection.application_id == application.id).order_by(Objection.id)
    ).all()


def open_objection_count(batch: Batch) -> int:
    return db.session.scalar(
        select(func.count(Objection.id)).where(Objection.batch_id == batch.id, Objection.state == ObjectionState.OPEN)
    )


@batch_step.connect
def _objections_in_the_way(batch: Batch, step, now) -> None:
    if batch.state is BatchState.PUBLIC_NOTICE:
        objections = open_objection_count(batch)
        if objections:
            step.blockers.append(f"{objections} 条异议待处理")


@attachment_access.connect
def _reviewers_see_evidence(attachment, *, user) -> bool:
    """An objection's evidence: the reviewers of the objected batch's catalogue (products/signals.py)."""
    if attachment.objection_id is None:
        return False
    objection = db.session.get(Objection, attachment.objection_id)
    batch = objection.batch if objection is not None else None
    return batch is not None and batch.catalogue_id in reviewer_catalogue_ids(user)
