"""The reviewer's pages (batches, queue, decisions, objections, delisting, audit trails) and the public
pages of the review: public notices with the objection form, catalogue updates and their Atom feed."""

from datetime import UTC

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Role
from portal.applications.services import eligibility_failures, snapshot_of
from portal.audit.services import history
from portal.catalogue.models import Batch, Catalogue, Entry
from portal.catalogue.services import get_by_code
from portal.core import timeutil
from portal.core.access import PUBLIC, public, roles
from portal.core.errors import DomainError, NotFound, PermissionDenied, StaleObject
from portal.core.forms import attach_error, choices
from portal.core.identifiers import IdentifierError, parse_registration_no
from portal.core.persistence import commit_or_stale
from portal.core.reference import KEY_AREAS
from portal.extensions import db
from portal.objections.models import Objection
from portal.review import feeds, forms, permissions, services
from portal.review.publishing import publish_batch
from portal.workflow import BATCH, ApplicationState, BatchState, ObjectionState

bp = Blueprint("review", __name__)

VIEWERS = {Role.REVIEWER, Role.ADMIN}  # admins see the review, only reviewers act (see permissions.py)
REVIEWERS = {Role.REVIEWER}

ACCESS = {
    "review.batches": VIEWERS,
    "review.batch_new": REVIEWERS,
    "review.batch": VIEWERS,
    "review.batch_window": REVIEWERS,
    "review.batch_advance": REVIEWERS,
    "review.batch_history": VIEWERS,
    "review.queue": VIEWERS,
    "review.application": VIEWERS,
    "review.application_history": VIEWERS,
    "review.formal_check": REVIEWERS,
    "review.return_application": REVIEWERS,
    "review.reject": REVIEWERS,
    "review.expert_review": REVIEWERS,
    "review.recommend": REVIEWERS,
    "review.objection_resolve": REVIEWERS,
    "review.entry_delist": REVIEWERS,
    "review.notices": PUBLIC,
    "review.notice": PUBLIC,
    "review.objection_new": PUBLIC,
    "review.updates": PUBLIC,
    "review.updates_feed": PUBLIC,
    "review.feed_all": PUBLIC,
}


def _page(query):
    return db.paginate(query, per_page=current_app.config["PORTAL_PAGE_SIZE"], max_per_page=200)


def _utc(local_naive):
    """A Shanghai wall-clock time typed into a form, as an aware UTC datetime."""
    if local_naive is None:
        return None
    return local_naive.replace(tzinfo=timeutil.SHANGHAI).astimezone(UTC)


def _local_naive(value):
    local = timeutil.to_shanghai(value)
    return local.replace(tzinfo=None) if local else None


def attachment_url(attachment_id: int, inline: bool = True) -> str:
    return url_for("products.attachment", attachment_id=attachment_id, inline=1 if inline else None)


def _found(getter, *args, **kwargs):
    """A service look-up; not the actor's (or missing) is a plain 404 on every method, never a redirect."""
    try:
        return getter(current_user, *args, **kwargs)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)


@bp.app_context_processor
def _helpers():
    return {"can_review": permissions.can_review, "can_manage_batch": permissions.can_manage_batch}


# Batches -------------------------------------------------------------------------------------------------


@bp.route("/review/batches")
@roles(Role.REVIEWER, Role.ADMIN)
def batches():
    page = _page(services.batches_in_view(current_user))
    return render_template("review/batches.html", page=page)


def _catalogue_choices():
    return choices((c.id, c.name) for c in current_user.catalogues)


@bp.route("/review/batches/new", methods=["GET", "POST"])
@roles(Role.REVIEWER)
def batch_new():
    form = forms.BatchForm()
    form.catalogue_id.choices = _catalogue_choices()
    if form.validate_on_submit():
        try:
            batch = services.create_batch(
                current_user,
                db.session.get(Catalogue, form.catalogue_id.data),
                name=form.name.data,
                opens_at=_utc(form.opens_at.data),
                closes_at=_utc(form.closes_at.data),
            )
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(f"已创建{batch.catalogue.name}{batch.name}（草稿）。确认征集时间后可开始征集。", "success")
            return redirect(url_for("review.batch", batch_id=batch.id))
    return render_template("review/batch_new.html", form=form)


def _batch_page(batch, window_form=None, status=200):
    if window_form is None:
        window_form = forms.WindowForm(
            version_id=batch.version_id,
            opens_at=_local_naive(batch.opens_at),
            closes_at=_local_naive(batch.closes_at),
        )
    counts = services.state_counts(batch)
    objections = db.session.scalars(
        select(Objection)
        .where(Objection.batch_id == batch.id)
        .order_by(Objection.state != ObjectionState.OPEN, Objection.id)
    ).all()
    evidence = {}
    if objections:
        from portal.products.models import Attachment

        for item in db.session.scalars(
            select(Attachment).where(Attachment.objection_id.in_([o.id for o in objections])).order_by(Attachment.id)
        ):
            evidence.setdefault(item.objection_id, []).append(item)
    entries = []
    if batch.state is BatchState.PUBLISHED:
        entries = db.session.scalars(select(Entry).where(Entry.batch_id == batch.id).order_by(Entry.id)).all()
    return (
        render_template(
            "review/batch.html",
            batch=batch,
            counts=counts,
            states=list(ApplicationState),
            step=services.next_step(batch),
            window_form=window_form,
            objections=objections,
            evidence=evidence,
            attachment_url=attachment_url,
            entries=entries,
            resolve_forms={o.id: forms.ResolveForm(prefix=f"o{o.id}", version_id=o.version_id) for o in objections},
            action_labels=BATCH.action_labels,
        ),
        status,
    )


@bp.route("/review/batches/<int:batch_id>")
@roles(Role.REVIEWER, Role.ADMIN)
def batch(batch_id):
    return _batch_page(_found(services.get_batch, batch_id))


@bp.route("/review/batches/<int:batch_id>/window", methods=["POST"])
@roles(Role.REVIEWER)
def batch_window(batch_id):
    batch = _found(services.get_batch, batch_id, manage=True)
    form = forms.WindowForm()
    if not form.validate_on_submit():
        return _batch_page(batch, form, 400)
    try:
        services.update_window(
            current_user,
            batch,
            opens_at=_utc(form.opens_at.data),
            closes_at=_utc(form.closes_at.data),
            version=form.version_id.data,
        )
        commit_or_stale()
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _batch_page(batch, form, exc.status_code if isinstance(exc, StaleObject) else 400)
    flash("征集时间已更新。", "success")
    return redirect(url_for("review.batch", batch_id=batch.id))


@bp.route("/review/batches/<int:batch_id>/advance", methods=["POST"])
@roles(Role.REVIEWER)
def batch_advance(batch_id):
    batch = _found(services.get_batch, batch_id, manage=True)
    form = forms.AdvanceForm()
    action = form.action.data or ""
    try:
        if not form.validate_on_submit():
            raise DomainError("表单已过期，请刷新页面后重试。")
        if action == "publish":
            services.check_version(batch, form.version_id.data)
            try:
                result = publish_batch(current_user, batch)
                db.session.commit()
            except IntegrityError:
                # Only reachable if another publisher bypassed the batch lock: the unique constraints held.
                db.session.rollback()
                if db.session.get(Batch, batch_id).state is not BatchState.PUBLISHED:
                    raise
                flash("该批次已由他人发布，无需重复发布。", "warning")
            else:
                flash(result.message, "warning" if result.already else "success")
        else:
            services.advance_batch(current_user, batch, action, version=form.version_id.data)
            commit_or_stale()
            flash(f"已{BATCH.action_labels.get(action, action)}：{batch.name}现为「{batch.state.label}」。", "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _batch_page(db.session.get(Batch, batch_id), status=exc.status_code)
    return redirect(url_for("review.batch", batch_id=batch_id))


@bp.route("/review/batches/<int:batch_id>/history")
@roles(Role.REVIEWER, Role.ADMIN)
def batch_history(batch_id):
    batch = _found(services.get_batch, batch_id)
    return render_template(
        "review/history.html",
        title=f"{batch.catalogue.name}{batch.name} · 操作记录",
        back=url_for("review.batch", batch_id=batch.id),
        events=history(batch),
    )


# Review queue and decision page ----------------------------------------------------------------------------


def _arg_int(name):
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


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
    page = _page(services.queue_query(current_user, **filters))
    return render_template(
        "review/queue.html",
        page=page,
        states=[s for s in ApplicationState if s is not ApplicationState.DRAFT],
        key_areas=KEY_AREAS,
        companies=services.companies_in_view(current_user),
        batches=db.session.scalars(services.batches_in_view(current_user)).all(),
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
            objections=db.session.scalars(
                select(Objection).where(Objection.application_id == application.id).order_by(Objection.id)
            ).all(),
            forms=_application_forms(application, **bound),
            attachment_url=attachment_url,
        ),
        status,
    )


@bp.route("/review/applications/<int:application_id>")
@roles(Role.REVIEWER, Role.ADMIN)
def application(application_id):
    return _application_page(_found(services.get_application, application_id))


def _act(application_id, key, form_cls, prefix, call, done):
    """Validate the action's form, call the service, commit once; refused: the page again with the input."""
    application = _found(services.get_application, application_id, manage=True)
    form = form_cls(prefix=prefix)
    if form.validate_on_submit():
        try:
            call(application, form)
            commit_or_stale()
        except DomainError as exc:
            db.session.rollback()
            application = _found(services.get_application, application_id)
            attach_error(form, exc)
            if isinstance(exc, StaleObject):
                flash(exc.message, "error")
            return _application_page(application, 409 if isinstance(exc, StaleObject) else 400, **{key: form})
        flash(done, "success")
        return redirect(url_for("review.application", application_id=application_id))
    return _application_page(application, 400, **{key: form})


@bp.route("/review/applications/<int:application_id>/formal-check", methods=["POST"])
@roles(Role.REVIEWER)
def formal_check(application_id):
    return _act(
        application_id,
        "pass",
        forms.PassForm,
        "pass",
        lambda a, f: services.pass_formal_check(current_user, a, version=f.version_id.data, comment=f.comment.data),
        "形式审查已通过，可录入专家评审意见。",
    )


@bp.route("/review/applications/<int:application_id>/return", methods=["POST"])
@roles(Role.REVIEWER)
def return_application(application_id):
    return _act(
        application_id,
        "return",
        forms.ReturnForm,
        "ret",
        lambda a, f: services.return_application(current_user, a, version=f.version_id.data, comment=f.comment.data),
        "已退回企业修改，企业将收到通知。",
    )


@bp.route("/review/applications/<int:application_id>/reject", methods=["POST"])
@roles(Role.REVIEWER)
def reject(application_id):
    return _act(
        application_id,
        "reject",
        forms.RejectForm,
        "rej",
        lambda a, f: services.reject_application(current_user, a, version=f.version_id.data, reason=f.reason.data),
        "已作出不予通过的决定，企业将收到通知。",
    )


@bp.route("/review/applications/<int:application_id>/recommend", methods=["POST"])
@roles(Role.REVIEWER)
def recommend(application_id):
    return _act(
        application_id,
        "recommend",
        forms.RecommendForm,
        "rec",
        lambda a, f: services.recommend_application(current_user, a, version=f.version_id.data, comment=f.comment.data),
        "已确定为拟推荐，将列入公示名单。",
    )


@bp.route("/review/applications/<int:application_id>/expert-reviews", methods=["POST"])
@roles(Role.REVIEWER)
def expert_review(application_id):
    return _act(
        application_id,
        "expert",
        forms.ExpertReviewForm,
        "exp",
        lambda a, f: services.add_expert_review(
            current_user,
            a,
            version=f.version_id.data,
            expert_name=f.expert_name.data,
            recused=f.recused.data,
            score=f.score.data,
            recommendation=f.recommendation.data,
            comment=f.comment.data,
        ),
        "专家评审意见已录入。",
    )


@bp.route("/review/applications/<int:application_id>/history")
@roles(Role.REVIEWER, Role.ADMIN)
def application_history(application_id):
    application = _found(services.get_application, application_id)
    return render_template(
        "review/history.html",
        title=f"{application.product.name} · 申报操作记录",
        back=url_for("review.application", application_id=application.id),
        events=history(application),
    )


# Objections (reviewer side) ----------------------------------------------------------------------------------


@bp.route("/review/objections/<int:objection_id>/resolve", methods=["POST"])
@roles(Role.REVIEWER)
def objection_resolve(objection_id):
    objection = _found(services.get_objection, objection_id, manage=True)
    form = forms.ResolveForm(prefix=f"o{objection.id}")
    try:
        if not form.validate_on_submit():
            problems = [e for errors in form.errors.values() for e in errors]
            raise DomainError("；".join(problems) or "请选择处理结果并填写处理意见。")
        services.resolve_objection(
            current_user,
            objection,
            version=form.version_id.data,
            uphold=form.decision.data == "uphold",
            resolution=form.resolution.data,
        )
        commit_or_stale()
    except DomainError as exc:
        db.session.rollback()
        flash(f"异议 #{objection_id}：{exc.message}", "error")
        batch = db.session.get(Batch, objection.batch_id)
        return _batch_page(batch, status=409 if isinstance(exc, StaleObject) else 400)
    flash(f"异议 #{objection_id} 已处理：{objection.state.label}。", "success")
    return redirect(url_for("review.batch", batch_id=objection.batch_id) + "#objections")


# Delisting ---------------------------------------------------------------------------------------------


@bp.route("/review/entries/<int:entry_id>/delist", methods=["GET", "POST"])
@roles(Role.REVIEWER)
def entry_delist(entry_id):
    entry = db.session.get(Entry, entry_id)
    if entry is None or not permissions.can_delist(current_user, entry):
        abort(404)
    form = forms.DelistForm()
    if request.method == "GET":
        form.delisted_on.data = timeutil.today_shanghai()
    if form.validate_on_submit():
        try:
            closed = services.delist_entry(
                current_user, entry, reason=form.reason.data, delisted_on=form.delisted_on.data
            )
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(f"已将「{entry.product_name}」调出目录，关闭了 {closed} 项未完成的入院评估。", "success")
            return redirect(url_for("catalogue.entry", entry_id=entry.id))
    return render_template("review/delist.html", entry=entry, form=form)


# Public notice and objections (no login) -------------------------------------------------------------------


def _noticed_batch(batch_id) -> Batch:
    """Batches that are or were on public notice; others do not exist for the public."""
    batch = db.session.get(Batch, batch_id)
    if (
        batch is None
        or batch.state not in (BatchState.PUBLIC_NOTICE, BatchState.PUBLISHED)
        or not batch.notice_starts_at
    ):
        abort(404)
    return batch


@bp.route("/notices")
@public
def notices():
    running = db.session.scalars(
        select(Batch).where(Batch.state == BatchState.PUBLIC_NOTICE).order_by(Batch.notice_starts_at.desc())
    ).all()
    past = db.session.scalars(
        select(Batch)
        .where(Batch.state == BatchState.PUBLISHED, Batch.notice_starts_at.is_not(None))
        .order_by(Batch.published_at.desc())
        .limit(20)
    ).all()
    return render_template("review/notices.html", running=running, past=past)


@bp.route("/notices/<int:batch_id>")
@public
def notice(batch_id):
    batch = _noticed_batch(batch_id)
    return render_template(
        "review/notice.html",
        batch=batch,
        applications=services.recommended_applications(batch),
        running=services.notice_running(batch),
    )


def _objection_form(batch):
    form = forms.ObjectionForm()
    form.application_id.choices = choices(
        [("", "（请选择）")]
        + [(str(a.id), f"{a.product.name}（{a.company.name}）") for a in services.recommended_applications(batch)]
    )
    return form


@bp.route("/notices/<int:batch_id>/objection", methods=["GET", "POST"])
@public
def objection_new(batch_id):
    batch = _noticed_batch(batch_id)
    form = _objection_form(batch)
    if request.method == "GET" and request.args.get("application_id"):
        form.application_id.data = request.args["application_id"]
    running = services.notice_running(batch)
    status = 200
    if request.method == "POST":
        if not running:
            form.form_errors.append(f"{batch.name}当前不在公示期内，不受理异议。")
            status = 409
        elif form.validate_on_submit():
            try:
                services.file_objection(
                    batch,
                    application_id=form.application_id.data,
                    name=form.name.data,
                    phone=form.phone.data,
                    organisation=form.organisation.data,
                    reason=form.reason.data,
                    ip=request.remote_addr,
                    evidence=form.evidence.data,
                )
            except services.RateLimited as exc:
                db.session.rollback()
                form.form_errors.append(exc.message)
                status = 429
            except DomainError as exc:
                db.session.rollback()
                attach_error(form, exc)
                status = 400
            else:
                db.session.commit()
                flash("您的异议已提交。审核人员将在公示期结束前核实处理，必要时通过您留下的电话联系您。", "success")
                return redirect(url_for("review.notice", batch_id=batch.id))
        else:
            status = 400
    return render_template("review/objection_form.html", batch=batch, form=form, running=running), status


# Catalogue updates and Atom feeds --------------------------------------------------------------------------


@bp.route("/catalogues/<code>/updates")
@public
def updates(code):
    catalogue = get_by_code(code) or abort(404)
    return render_template("review/updates.html", catalogue=catalogue, updates=feeds.catalogue_updates(catalogue))


def _atom(catalogue):
    body = feeds.atom_feed(catalogue, feeds.catalogue_updates(catalogue, limit=feeds.FEED_LIMIT))
    return Response(body, mimetype="application/atom+xml")


@bp.route("/catalogues/<code>/updates.atom")
@public
def updates_feed(code):
    return _atom(get_by_code(code) or abort(404))


@bp.route("/updates.atom")
@public
def feed_all():
    return _atom(None)
