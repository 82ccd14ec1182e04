"""The reviewer's workflow: batches, formal check, expert review, decisions, objections and delisting.

Every function takes the acting user first, checks `portal.review.permissions` itself, changes state only
through `portal.workflow.transition` and never commits: the caller (a view, the CLI) commits once.
Objects the actor may not see raise NotFound; objects they may see but not change raise PermissionDenied.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from portal.applications.models import Application, Submission
from portal.applications.services import notify_company
from portal.assessments.services import close_for_entry
from portal.audit.services import record
from portal.catalogue.models import Batch, Catalogue, Entry, EntryStatus
from portal.core import timeutil
from portal.core.errors import DomainError, NotFound, PermissionDenied, StaleObject
from portal.extensions import db
from portal.objections.models import Objection
from portal.products.models import Product
from portal.products.storage import store_pdf
from portal.review import permissions
from portal.review.models import ExpertReview, Recommendation
from portal.search.outbox import queue
from portal.search.services import application_ids_matching
from portal.workflow import (
    APPLICATION,
    BATCH,
    OBJECTION,
    ApplicationState,
    BatchState,
    ObjectionState,
    transition,
)

# Application states a reviewer still has to decide on (a returned one waits for the company).
UNDECIDED = (ApplicationState.SUBMITTED, ApplicationState.FORMAL_CHECK_PASSED)
# Batch states in which applications may still be checked and decided.
REVIEWABLE_BATCH_STATES = (BatchState.OPEN, BatchState.REVIEWING)


class RateLimited(DomainError):
    status_code = 429


# Look-ups with permission checks -------------------------------------------------------------------------


def get_batch(actor, batch_id: int, *, manage: bool = False) -> Batch:
    batch = db.session.get(Batch, batch_id)
    if batch is None or not permissions.can_view_batch(actor, batch):
        raise NotFound("未找到该批次。")
    if manage and not permissions.can_manage_batch(actor, batch):
        raise PermissionDenied("只有负责该目录的审核人员可以操作此批次。")
    return batch


def get_application(actor, application_id: int, *, manage: bool = False) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or not permissions.can_view_application(actor, application):
        raise NotFound("未找到该申报。")
    if manage and not permissions.can_review(actor, application):
        raise PermissionDenied("只有负责该目录的审核人员可以审核此申报。")
    return application


def get_objection(actor, objection_id: int, *, manage: bool = False) -> Objection:
    objection = db.session.get(Objection, objection_id)
    if objection is None or not permissions.can_view_batch(actor, objection.batch):
        raise NotFound("未找到该异议。")
    if manage and not permissions.can_resolve_objection(actor, objection):
        raise PermissionDenied("只有负责该目录的审核人员可以处理异议。")
    return objection


def check_version(obj, expected) -> None:
    """The form carried the version it was loaded with; a different one means someone else acted first."""
    if expected is None or str(expected).strip() == "":
        raise StaleObject("表单缺少版本信息，请刷新页面后重试。")
    try:
        expected = int(expected)
    except (TypeError, ValueError):
        raise StaleObject() from None
    if expected != obj.version_id:
        raise StaleObject()


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


def state_counts(batch: Batch) -> dict:
    rows = db.session.execute(
        select(Application.state, func.count(Application.id))
        .where(Application.batch_id == batch.id)
        .group_by(Application.state)
    ).all()
    return {state: n for state, n in rows}


def open_objection_count(batch: Batch) -> int:
    return db.session.scalar(
        select(func.count(Objection.id)).where(Objection.batch_id == batch.id, Objection.state == ObjectionState.OPEN)
    )


def next_step(batch: Batch, now: datetime | None = None) -> NextStep:
    now = now or timeutil.utcnow()
    counts = state_counts(batch)
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
        drafts = counts.get(ApplicationState.DRAFT, 0)
        if drafts:
            step.notes.append(f"{drafts} 份申报仍为草稿，截止后将无法提交")
        return step
    if state is BatchState.REVIEWING:
        step = NextStep("start_notice", BATCH.action_labels["start_notice"])
        undecided = sum(counts.get(s, 0) for s in UNDECIDED)
        if undecided:
            step.blockers.append(f"{undecided} 份申报尚未作出决定")
        if not counts.get(ApplicationState.RECOMMENDED):
            step.blockers.append("尚无拟推荐的申报")
        returned = counts.get(ApplicationState.RETURNED, 0)
        if returned:
            step.notes.append(f"{returned} 份退回修改的申报尚未重新提交，开始公示后将不再进入本批次")
        days = batch.catalogue.notice_days
        step.notes.append(f"公示期 {days} 天，开始后至 {notice_end(timeutil.today_shanghai(now), days):%Y-%m-%d} 结束")
        return step
    if state is BatchState.PUBLIC_NOTICE:
        step = NextStep("publish", BATCH.action_labels["publish"])
        if batch.notice_ends_at and batch.notice_ends_at > now:
            step.blockers.append(f"公示期至 {_local(batch.notice_ends_at, '%Y-%m-%d')} 结束")
        objections = open_objection_count(batch)
        if objections:
            step.blockers.append(f"{objections} 条异议待处理")
        return step
    return NextStep(None, None)


def _local(value: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return timeutil.to_shanghai(value).strftime(fmt)


def notice_end(start_day: date, notice_days: int) -> date:
    return start_day + timedelta(days=notice_days)


def advance_batch(actor, batch: Batch, action: str, *, version) -> Batch:
    """open / close / start_notice (publishing has its own module: `portal.review.publishing`)."""
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


# Applications --------------------------------------------------------------------------------------------


def _reviewable(actor, application: Application, version) -> None:
    if not permissions.can_review(actor, application):
        raise PermissionDenied("只有负责该目录的审核人员可以审核此申报。")
    check_version(application, version)
    if application.batch.state not in REVIEWABLE_BATCH_STATES:
        raise DomainError(f"批次处于「{application.batch.state.label}」状态，申报的审核结论已不能更改。")


def _changed(application: Application) -> None:
    application.updated_at = timeutil.utcnow()
    db.session.flush()  # the version check happens here: a concurrent change raises StaleDataError
    queue("application", application.id)


def latest_submission(application: Application) -> Submission | None:
    return application.submissions[-1] if application.submissions else None


def pass_formal_check(actor, application: Application, *, version, comment: str = "") -> Application:
    _reviewable(actor, application, version)
    transition(APPLICATION, application, "pass_formal_check", actor, comment=_text(comment) or None)
    _changed(application)
    return application


def return_application(actor, application: Application, *, version, comment: str) -> Application:
    _reviewable(actor, application, version)
    comment = _text(comment)
    if not comment:
        raise DomainError("退回修改必须填写修改意见，告诉企业需要补正什么。", field="comment")
    transition(APPLICATION, application, "return", actor, comment=comment)
    submission = latest_submission(application)
    if submission is not None:
        submission.return_comment = comment
    _changed(application)
    notify_company(
        application,
        f"申报被退回修改：{application.product.name}",
        f"{application.batch.catalogue.name}{application.batch.name}的申报需要修改后重新提交。审核意见：{comment}",
    )
    return application


def reject_application(actor, application: Application, *, version, reason: str) -> Application:
    _reviewable(actor, application, version)
    reason = _text(reason)
    if not reason:
        raise DomainError("不予通过必须填写理由。", field="reason")
    transition(APPLICATION, application, "reject", actor, comment=reason)
    application.decided_at = timeutil.utcnow()
    _changed(application)
    notify_company(
        application,
        f"申报未通过：{application.product.name}",
        f"{application.batch.catalogue.name}{application.batch.name}的申报未通过审核。理由：{reason}",
    )
    return application


@dataclass
class ReviewSummary:
    counted: int
    recused: int
    recommend: int
    not_recommend: int
    average: float | None


def review_summary(application: Application) -> ReviewSummary:
    """Recused experts count for nothing: not in the average, not in the votes."""
    counted = [r for r in application.reviews if not r.recused]
    scores = [r.score for r in counted if r.score is not None]
    return ReviewSummary(
        counted=len(counted),
        recused=len(application.reviews) - len(counted),
        recommend=sum(r.recommendation is Recommendation.RECOMMEND for r in counted),
        not_recommend=sum(r.recommendation is Recommendation.NOT_RECOMMEND for r in counted),
        average=round(sum(scores) / len(scores), 2) if scores else None,
    )


def add_expert_review(
    actor,
    application: Application,
    *,
    version,
    expert_name: str,
    recused: bool,
    score: int | None = None,
    recommendation: str | None = None,
    comment: str = "",
) -> ExpertReview:
    """Opinions are added, never edited, so two reviewers recording different experts do not collide."""
    _reviewable(actor, application, version)
    if application.state is not ApplicationState.FORMAL_CHECK_PASSED:
        raise DomainError("只有通过形式审查、尚未作出决定的申报可以录入专家意见。")
    expert_name = _text(expert_name)
    if not expert_name:
        raise DomainError("请填写专家姓名。", field="expert_name")
    if len(expert_name) > 64:
        raise DomainError("专家姓名不能超过 64 个字。", field="expert_name")
    if recused:
        score, rec = None, None
    else:
        if score is None:
            raise DomainError("请填写评分（1–5 分）；如专家申明回避，请勾选「回避」。", field="score")
        if not 1 <= int(score) <= 5:
            raise DomainError("评分应为 1 到 5 分。", field="score")
        try:
            rec = Recommendation(recommendation or "")
        except ValueError:
            raise DomainError("请选择专家的推荐意见。", field="recommendation") from None
    review = ExpertReview(
        application=application,
        expert_name=expert_name,
        recused=bool(recused),
        score=int(score) if score is not None else None,
        recommendation=rec,
        comment=_text(comment),
        recorded_by_id=actor.id,
    )
    db.session.add(review)
    db.session.flush()
    record(
        "expert_review.recorded",
        actor=actor,
        obj=application,
        comment=f"{expert_name}：" + ("申明回避" if recused else f"{score} 分，{rec.label}"),
        data={"expert_review_id": review.id, "recused": bool(recused), "score": review.score},
    )
    return review


def recommend_application(actor, application: Application, *, version, comment: str = "") -> Application:
    _reviewable(actor, application, version)
    if application.state is ApplicationState.FORMAL_CHECK_PASSED and not review_summary(application).counted:
        raise DomainError("拟推荐前须至少录入一位非回避专家的评审意见。")
    transition(APPLICATION, application, "recommend", actor, comment=_text(comment) or None)
    application.decided_at = timeutil.utcnow()
    _changed(application)
    notify_company(
        application,
        f"申报拟推荐：{application.product.name}",
        f"{application.batch.catalogue.name}{application.batch.name}的申报已确定为拟推荐，将进入公示。",
    )
    return application


# Objections ----------------------------------------------------------------------------------------------

MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?[2-9]\d{6,7}(?:-\d{1,6})?$")
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


def notice_running(batch: Batch, now: datetime | None = None) -> bool:
    now = now or timeutil.utcnow()
    return bool(
        batch.state is BatchState.PUBLIC_NOTICE
        and batch.notice_starts_at
        and batch.notice_ends_at
        and batch.notice_starts_at <= now <= batch.notice_ends_at
    )


def recommended_applications(batch: Batch) -> list[Application]:
    return db.session.scalars(
        select(Application)
        .where(Application.batch_id == batch.id, Application.state == ApplicationState.RECOMMENDED)
        .order_by(Application.id)
    ).all()


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
        _changed(application)
        notify_company(
            application,
            f"公示期异议成立：{application.product.name}",
            f"{application.batch.catalogue.name}{application.batch.name}公示期间收到的异议经核实成立，"
            f"该申报不予列入目录。处理意见：{resolution}",
        )
    db.session.flush()
    return objection


# Delisting -----------------------------------------------------------------------------------------------


def delist_entry(actor, entry: Entry, *, reason: str, delisted_on: date | None) -> int:
    """Take an entry off the catalogue (kept as history); open assessments close. Returns how many closed."""
    if not permissions.can_delist(actor, entry):
        raise PermissionDenied("只有负责该目录的审核人员可以调出目录产品。")
    if entry.status is EntryStatus.DELISTED:
        raise DomainError(f"该产品已于 {entry.delisted_on:%Y-%m-%d} 调出目录。")
    reason = _text(reason)
    if not reason:
        raise DomainError("请填写调出原因。", field="reason")
    if delisted_on is None:
        raise DomainError("请填写调出日期。", field="delisted_on")
    today = timeutil.today_shanghai()
    if delisted_on > today:
        raise DomainError("调出日期不能晚于今天。", field="delisted_on")
    if delisted_on < entry.listed_on:
        raise DomainError(f"调出日期不能早于入目录日期 {entry.listed_on:%Y-%m-%d}。", field="delisted_on")
    entry.status, entry.delisted_on, entry.delist_reason = EntryStatus.DELISTED, delisted_on, reason
    record(
        "entry.delist",
        actor=actor,
        obj=entry,
        from_state=EntryStatus.LISTED,
        to_state=EntryStatus.DELISTED,
        comment=reason,
        data={"delisted_on": delisted_on.isoformat()},
    )
    closed = close_for_entry(actor, entry, comment=f"产品已调出目录，无需评估：{reason}")
    db.session.flush()
    queue("entry", entry.id)
    if entry.application is not None:
        notify_company(
            entry.application,
            f"产品调出目录：{entry.product_name}",
            f"{entry.catalogue.name}已于 {delisted_on:%Y-%m-%d} 调出该产品。原因：{reason}",
        )
    return closed


# The review queue ----------------------------------------------------------------------------------------


def _matching_ids(actor, text: str, catalogue_ids: list[int]) -> list[int] | None:
    """Application ids the search index finds for `text`; None when search is unavailable."""
    try:
        return application_ids_matching(actor, text, catalogue_ids)
    except Exception:  # a broken index must not take the queue down: fall back to SQL
        current_app.logger.exception("application search failed; using the SQL fallback")
        return None


def queue_query(
    actor,
    *,
    state: str = "",
    key_area: str = "",
    company_id: int | None = None,
    batch_id: int | None = None,
    submitted_from: date | None = None,
    submitted_to: date | None = None,
    text: str = "",
):
    """The applications `actor` may review, filtered; newest submissions first."""
    from portal.directory.models import Company

    scope = permissions.catalogue_ids_in_view(actor)
    if scope is None:
        scope = list(db.session.scalars(select(Catalogue.id)))
    query = (
        select(Application)
        .join(Application.batch)
        .join(Application.product)
        .join(Application.company)
        .where(Batch.catalogue_id.in_(scope), Application.state != ApplicationState.DRAFT)
    )
    if state in {s.value for s in ApplicationState}:
        query = query.where(Application.state == ApplicationState(state))
    if key_area:
        query = query.where(Product.key_area == key_area)
    if company_id:
        query = query.where(Application.company_id == company_id)
    if batch_id:
        query = query.where(Application.batch_id == batch_id)
    if submitted_from:
        query = query.where(Application.submitted_at >= timeutil.start_of_day_shanghai(submitted_from))
    if submitted_to:
        query = query.where(Application.submitted_at <= timeutil.end_of_day_shanghai(submitted_to))
    text = _text(text)
    if text:
        ids = _matching_ids(actor, text, scope)
        if ids is None:
            from portal.core.identifiers import normalise

            like = f"%{text}%"
            query = query.where(
                Product.name.ilike(like)
                | Company.name.ilike(like)
                | Product.registration_no.ilike(f"%{normalise(text)}%")
                | Product.model.ilike(like)
            )
        else:
            query = query.where(Application.id.in_(ids or [-1]))
    return query.order_by(Application.submitted_at.desc().nulls_last(), Application.id.desc())


def companies_in_view(actor):
    from portal.directory.models import Company

    scope = permissions.catalogue_ids_in_view(actor)
    query = select(Company).join(Application, Application.company_id == Company.id).join(Application.batch)
    if scope is not None:
        query = query.where(Batch.catalogue_id.in_(scope))
    return db.session.scalars(
        query.where(Application.state != ApplicationState.DRAFT).distinct().order_by(Company.name)
    ).all()


def batches_in_view(actor):
    scope = permissions.catalogue_ids_in_view(actor)
    query = select(Batch).order_by(Batch.catalogue_id, Batch.id.desc())
    if scope is not None:
        query = query.where(Batch.catalogue_id.in_(scope))
    return query
