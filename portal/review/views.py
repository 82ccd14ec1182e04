"""The reviewer's pages for applications: the queue, the decision page, its actions and history."""

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.applications.services import eligibility_failures, snapshot_of
from portal.audit.services import history
from portal.catalogue.batches import all_batches_in_view
from portal.catalogue.permissions import can_manage_batch
from portal.core.access import roles
from portal.core.inputs import parse_int
from portal.core.reference import KEY_AREAS
from portal.core.unit import submit
from portal.core.web import answer, found, paginate
from portal.objections.services import application_objections
from portal.products.identifiers import IdentifierError, parse_registration_no
from portal.review import forms, permissions, services
from portal.workflow import ApplicationState

bp = Blueprint("review", __name__)

VIEWERS = {Role.REVIEWER, Role.ADMIN}  # admins see the review, only reviewers act (see catalogue/permissions.py)
REVIEWERS = {Role.REVIEWER}

ACCESS = {
    "review.queue": VIEWERS,
    "review.application": VIEWERS,
    "review.application_history": VIEWERS,
    "review.formal_check": REVIEWERS,
    "review.return_application": REVIEWERS,
    "review.reject": REVIEWERS,
    "review.expert_review": REVIEWERS,
    "review.recommend": REVIEWERS,
}


def attachment_url(attachment_id: int, inline: bool = True) -> str:
    return url_for("products.attachment", attachment_id=attachment_id, inline=1 if inline else None)


@bp.app_context_processor
def _helpers():
    return {"can_review": permissions.can_review, "can_manage_batch": can_manage_batch}


# Review queue and decision page ----------------------------------------------------------------------------


def _arg_int(name):
    return parse_int(request.args.get(name))


def _arg_date(name):
    from datetime import date

    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.route("/review/applications")
@roles(Role.REVIEWER, Role.ADMIN)
def queue():
    filters = {
        "state": request.args.get("state", ""),
        "key_area": request.args.get("key_area", ""),
        "company_id": _arg_int("company_id"),
        "batch_id": _arg_int("batch_id"),
        "submitted_from": _arg_date("submitted_from"),
        "submitted_to": _arg_date("submitted_to"),
        "text": request.args.get("q", ""),
    }
    page = paginate(services.queue_query(current_user, **filters))
    return render_template(
        "review/queue.html",
        page=page,
        states=[s for s in ApplicationState if s is not ApplicationState.DRAFT],
        key_areas=KEY_AREAS,
        companies=services.companies_in_view(current_user),
        batches=all_batches_in_view(current_user),
        args=request.args,
    )


def _application_forms(application, **bound):
    version = application.version_id
    made = {
        "pass": lambda: forms.PassForm(prefix="pass", version_id=version),
        "return": lambda: forms.ReturnForm(prefix="ret", version_id=version),
        "reject": lambda: forms.RejectForm(prefix="rej", version_id=version),
        "recommend": lambda: forms.RecommendForm(prefix="rec", version_id=version),
        "expert": lambda: forms.ExpertReviewForm(prefix="exp", version_id=version),
    }
    return {name: bound.get(name) or make() for name, make in made.items()}


def _eligibility(application) -> list[str]:
    """The company side's submission check, run again now."""
    batch = application.batch
    # The check also refuses a batch that is no longer open; after the call closes that is expected, not a finding.
    about_batch = f"「{batch.catalogue.name}」{batch.name}"
    return [problem for problem in eligibility_failures(application) if not problem.startswith(about_batch)]


def _application_page(application, status=200, **bound):
    catalogue = application.batch.catalogue
    try:
        parsed = parse_registration_no(application.product.registration_no, allow_class_one=catalogue.allows_class_one)
        registration = {"summary": parsed.summary_zh, "error": None}
    except IdentifierError as exc:
        registration = {"summary": None, "error": exc.message}
    submission = services.latest_submission(application)
    return (
        render_template(
            "review/application.html",
            application=application,
            product=application.product,
            submission=submission,
            # Never submitted (seeded or imported): show the product as it stands.
            snapshot=submission.snapshot if submission else snapshot_of(application.product, []),
            registration=registration,
            eligibility=_eligibility(application),
            summary=services.review_summary(application),
            objections=application_objections(current_user, application),
            forms=_application_forms(application, **bound),
            attachment_url=attachment_url,
        ),
        status,
    )


@bp.route("/review/applications/<int:application_id>")
@roles(Role.REVIEWER, Role.ADMIN)
def application(application_id):
    return _application_page(found(services.get_application, application_id))


def _again(application_id, **bound):
    """The decision page again with the refused form's input (read again: a refusal rolled the session back)."""
    return _application_page(found(services.get_application, application_id), 400, **bound)


def _page_url(application_id) -> str:
    return url_for("review.application", application_id=application_id)


@bp.route("/review/applications/<int:application_id>/formal-check", methods=["POST"])
@roles(Role.REVIEWER)
def formal_check(application_id):
    application = found(services.get_application, application_id, manage=True)
    form = forms.PassForm(prefix="pass")
    if form.validate_on_submit():
        outcome = submit(
            form,
            services.pass_formal_check,
            current_user,
            application,
            version=form.version_id.data,
            comment=form.comment.data,
        )
        if done := answer(outcome, "形式审查已通过，可录入专家评审意见。", _page_url(application_id)):
            return done
    return _again(application_id, **{"pass": form})


@bp.route("/review/applications/<int:application_id>/return", methods=["POST"])
@roles(Role.REVIEWER)
def return_application(application_id):
    application = found(services.get_application, application_id, manage=True)
    form = forms.ReturnForm(prefix="ret")
    if form.validate_on_submit():
        outcome = submit(
            form,
            services.return_application,
            current_user,
            application,
            version=form.version_id.data,
            comment=form.comment.data,
        )
        if done := answer(outcome, "已退回企业修改，企业将收到通知。", _page_url(application_id)):
            return done
    return _again(application_id, **{"return": form})


@bp.route("/review/applications/<int:application_id>/reject", methods=["POST"])
@roles(Role.REVIEWER)
def reject(application_id):
    application = found(services.get_application, application_id, manage=True)
    form = forms.RejectForm(prefix="rej")
    if form.validate_on_submit():
        outcome = submit(
            form,
            services.reject_application,
            current_user,
            application,
            version=form.version_id.data,
            reason=form.reason.data,
        )
        if done := answer(outcome, "已作出不予通过的决定，企业将收到通知。", _page_url(application_id)):
            return done
    return _again(application_id, reject=form)


@bp.route("/review/applications/<int:application_id>/recommend", methods=["POST"])
@roles(Role.REVIEWER)
def recommend(application_id):
    application = found(services.get_application, application_id, manage=True)
    form = forms.RecommendForm(prefix="rec")
    if form.validate_on_submit():
        outcome = submit(
            form,
            services.recommend_application,
            current_user,
            application,
            version=form.version_id.data,
            comment=form.comment.data,
        )
        if done := answer(outcome, "已确定为拟推荐，将列入公示名单。", _page_url(application_id)):
            return done
    return _again(application_id, recommend=form)


@bp.route("/review/applications/<int:application_id>/expert-reviews", methods=["POST"])
@roles(Role.REVIEWER)
def expert_review(application_id):
    application = found(services.get_application, application_id, manage=True)
    form = forms.ExpertReviewForm(prefix="exp")
    if form.validate_on_submit():
        outcome = submit(
            form,
            services.add_expert_review,
            current_user,
            application,
            version=form.version_id.data,
            expert_name=form.expert_name.data,
            recused=form.recused.data,
            score=form.score.data,
            recommendation=form.recommendation.data,
            comment=form.comment.data,
        )
        if done := answer(outcome, "专家评审意见已录入。", _page_url(application_id)):
            return done
    return _again(application_id, expert=form)


@bp.route("/review/applications/<int:application_id>/history")
@roles(Role.REVIEWER, Role.ADMIN)
def application_history(application_id):
    application = found(services.get_application, application_id)
    return render_template(
        "review/history.html",
        title=f"{application.product.name} · 申报操作记录",
        back=url_for("review.application", application_id=application.id),
        events=history(application),
    )
