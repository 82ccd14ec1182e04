"""The reviewer's work on applications: formal check, expert review, decisions, and the review queue.

Every function takes the acting user first, checks `portal.review.permissions` itself, changes state only
through `portal.workflow.transition` and never commits: the caller (a view, the CLI) commits once.
Objects the actor may not see raise NotFound; objects they may see but not change raise PermissionDenied.
"""

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import func, select

from portal.applications.models import Application, Submission
from portal.applications.services import mark_changed, notify_company
from portal.audit.services import record
from portal.catalogue.models import Batch, Catalogue
from portal.catalogue.permissions import catalogue_ids_in_view
from portal.catalogue.signals import batch_step
from portal.core import timeutil
from portal.core.errors import DomainError, NotFound, PermissionDenied
from portal.core.persistence import check_version
from portal.extensions import db
from portal.products.models import Product
from portal.review import permissions
from portal.review.models import ExpertReview, Recommendation
from portal.search.services import application_ids_matching
from portal.workflow import APPLICATION, REVIEWABLE_BATCH_STATES, ApplicationState, BatchState, transition

# Application states a reviewer still has to decide on (a returned one waits for the company).
UNDECIDED = (ApplicationState.SUBMITTED, ApplicationState.FORMAL_CHECK_PASSED)


def get_application(actor, application_id: int, *, manage: bool = False) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or not permissions.can_view_application(actor, application):
        raise NotFound("未找到该申报。")
    if manage and not permissions.can_review(actor, application):
        raise PermissionDenied("只有负责该目录的审核人员可以审核此申报。")
    return application


def _text(value) -> str:
    return (value or "").strip()


def state_counts(batch: Batch) -> dict:
    rows = db.session.execute(
        select(Application.state, func.count(Application.id))
        .where(Application.batch_id == batch.id)
        .group_by(Application.state)
    ).all()
    return {state: n for state, n in rows}


@batch_step.connect
def _applications_in_the_way(batch: Batch, step, now) -> None:
    """Drafts when the call closes; undecided, recommended and returned applications before the notice."""
    counts = state_counts(batch)
    if batch.state is BatchState.OPEN:
        drafts = counts.get(ApplicationState.DRAFT, 0)
        if drafts:
            step.notes.append(f"{drafts} 份申报仍为草稿，截止后将无法提交")
    if batch.state is BatchState.REVIEWING:
        undecided = sum(counts.get(s, 0) for s in UNDECIDED)
        if undecided:
            step.blockers.append(f"{undecided} 份申报尚未作出决定")
        if not counts.get(ApplicationState.RECOMMENDED):
            step.blockers.append("尚无拟推荐的申报")
        returned = counts.get(ApplicationState.RETURNED, 0)
        if returned:
            step.notes.append(f"{returned} 份退回修改的申报尚未重新提交，开始公示后将不再进入本批次")


# Applications --------------------------------------------------------------------------------------------


def _reviewable(actor, application: Application, version) -> None:
    if not permissions.can_review(actor, application):
        raise PermissionDenied("只有负责该目录的审核人员可以审核此申报。")
    check_version(application, version)
    if application.batch.state not in REVIEWABLE_BATCH_STATES:
        raise DomainError(f"批次处于「{application.batch.state.label}」状态，申报的审核结论已不能更改。")


def latest_submission(application: Application) -> Submission | None:
    return application.submissions[-1] if application.submissions else None


def pass_formal_check(actor, application: Application, *, version, comment: str = "") -> Application:
    _reviewable(actor, application, version)
    transition(APPLICATION, application, "pass_formal_check", actor, comment=_text(comment) or None)
    mark_changed(application)
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
    mark_changed(application)
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
    mark_changed(application)
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
    if any(r.expert_name == expert_name for r in application.reviews):
        raise DomainError(
            f"已录入过「{expert_name}」的意见（每位专家对一项申报只有一份意见；申明回避的专家不评分）。",
            field="expert_name",
        )
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
    mark_changed(application)
    notify_company(
        application,
        f"申报拟推荐：{application.product.name}",
        f"{application.batch.catalogue.name}{application.batch.name}的申报已确定为拟推荐，将进入公示。",
    )
    return application


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

    scope = catalogue_ids_in_view(actor)
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
            from portal.products.identifiers import normalise

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

    scope = catalogue_ids_in_view(actor)
    query = select(Company).join(Application, Application.company_id == Company.id).join(Application.batch)
    if scope is not None:
        query = query.where(Batch.catalogue_id.in_(scope))
    return db.session.scalars(
        query.where(Application.state != ApplicationState.DRAFT).distinct().order_by(Company.name)
    ).all()
