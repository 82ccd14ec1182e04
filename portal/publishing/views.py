"""The reviewer's batch pages (lifecycle, objections, publication) and the public pages of a publication:
notices (公示) and catalogue updates with their Atom feeds.

The batch page lives here, above the catalogue, applications and objections, because it shows all three and
offers the publication."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.audit.services import history
from portal.catalogue import batches as lifecycle
from portal.catalogue import forms as batch_forms
from portal.catalogue.services import get_by_code
from portal.core.access import PUBLIC, public, roles
from portal.core.errors import StaleObject
from portal.core.forms import choices
from portal.core.unit import run, submit
from portal.core.web import found, local_to_utc, paginate, utc_to_local_naive
from portal.objections import forms as objection_forms
from portal.objections import services as objection_services
from portal.publishing import feeds
from portal.publishing.services import advance
from portal.review import services as review_services
from portal.workflow import BATCH, ApplicationState

bp = Blueprint("publishing", __name__)

VIEWERS = {Role.REVIEWER, Role.ADMIN}  # admins see the review, only reviewers act (see catalogue/permissions.py)
REVIEWERS = {Role.REVIEWER}

ACCESS = {
    "publishing.batches": VIEWERS,
    "publishing.batch_new": REVIEWERS,
    "publishing.batch": VIEWERS,
    "publishing.batch_window": REVIEWERS,
    "publishing.batch_advance": REVIEWERS,
    "publishing.batch_history": VIEWERS,
    "publishing.objection_resolve": REVIEWERS,
    "publishing.notices": PUBLIC,
    "publishing.notice": PUBLIC,
    "publishing.updates": PUBLIC,
    "publishing.updates_feed": PUBLIC,
    "publishing.feed_all": PUBLIC,
}


def attachment_url(attachment_id: int, inline: bool = True) -> str:
    return url_for("products.attachment", attachment_id=attachment_id, inline=1 if inline else None)


# Batches -------------------------------------------------------------------------------------------------


@bp.route("/review/batches")
@roles(Role.REVIEWER, Role.ADMIN)
def batches():
    page = paginate(lifecycle.batches_in_view(current_user))
    return render_template("publishing/batches.html", page=page)


def _catalogue_choices():
    return choices((c.id, c.name) for c in current_user.catalogues)


@bp.route("/review/batches/new", methods=["GET", "POST"])
@roles(Role.REVIEWER)
def batch_new():
    form = batch_forms.BatchForm()
    form.catalogue_id.choices = _catalogue_choices()
    if form.validate_on_submit():
        outcome = submit(
            form,
            lifecycle.create_batch,
            current_user,
            lifecycle.reviewed_catalogue(current_user, form.catalogue_id.data),
            name=form.name.data,
            opens_at=local_to_utc(form.opens_at.data),
            closes_at=local_to_utc(form.closes_at.data),
        )
        if outcome.ok:
            batch = outcome.value
            flash(f"已创建{batch.catalogue.name}{batch.name}（草稿）。确认征集时间后可开始征集。", "success")
            return redirect(url_for("publishing.batch", batch_id=batch.id))
    return render_template("publishing/batch_new.html", form=form)


def _batch_page(batch, window_form=None, status=200):
    if window_form is None:
        window_form = batch_forms.WindowForm(
            version_id=batch.version_id,
            opens_at=utc_to_local_naive(batch.opens_at),
            closes_at=utc_to_local_naive(batch.closes_at),
        )
    counts = review_services.state_counts(batch)
    objections, evidence = objection_services.batch_objections(current_user, batch)
    entries = lifecycle.published_entries(batch)
    return (
        render_template(
            "publishing/batch.html",
            batch=batch,
            counts=counts,
            states=list(ApplicationState),
            step=lifecycle.next_step(batch),
            window_form=window_form,
            objections=objections,
            evidence=evidence,
            attachment_url=attachment_url,
            entries=entries,
            resolve_forms={
                o.id: objection_forms.ResolveForm(prefix=f"o{o.id}", version_id=o.version_id) for o in objections
            },
            action_labels=BATCH.action_labels,
        ),
        status,
    )


@bp.route("/review/batches/<int:batch_id>")
@roles(Role.REVIEWER, Role.ADMIN)
def batch(batch_id):
    return _batch_page(found(lifecycle.get_batch, batch_id))


@bp.route("/review/batches/<int:batch_id>/window", methods=["POST"])
@roles(Role.REVIEWER)
def batch_window(batch_id):
    batch = found(lifecycle.get_batch, batch_id, manage=True)
    form = batch_forms.WindowForm()
    if not form.validate_on_submit():
        return _batch_page(batch, form, 400)
    outcome = submit(
        form,
        lifecycle.update_window,
        current_user,
        batch,
        opens_at=local_to_utc(form.opens_at.data),
        closes_at=local_to_utc(form.closes_at.data),
        version=form.version_id.data,
    )
    if not outcome.ok:
        return _batch_page(batch, form, 409 if isinstance(outcome.error, StaleObject) else 400)
    flash("征集时间已更新。", "success")
    return redirect(url_for("publishing.batch", batch_id=batch.id))


@bp.route("/review/batches/<int:batch_id>/advance", methods=["POST"])
@roles(Role.REVIEWER)
def batch_advance(batch_id):
    batch = found(lifecycle.get_batch, batch_id, manage=True)
    form = batch_forms.AdvanceForm()
    if not form.validate_on_submit():
        flash("表单已过期，请刷新页面后重试。", "error")
        return _batch_page(batch, status=400)
    outcome = run(advance, current_user, batch, form.action.data or "", version=form.version_id.data)
    if not outcome.ok:
        flash(outcome.error.message, "error")
        return _batch_page(found(lifecycle.get_batch, batch_id), status=outcome.status)
    flash(*outcome.value)
    return redirect(url_for("publishing.batch", batch_id=batch_id))


@bp.route("/review/batches/<int:batch_id>/history")
@roles(Role.REVIEWER, Role.ADMIN)
def batch_history(batch_id):
    batch = found(lifecycle.get_batch, batch_id)
    return render_template(
        "review/history.html",
        title=f"{batch.catalogue.name}{batch.name} · 操作记录",
        back=url_for("publishing.batch", batch_id=batch.id),
        events=history(batch),
    )


# Objections (reviewer side) ----------------------------------------------------------------------------------


@bp.route("/review/objections/<int:objection_id>/resolve", methods=["POST"])
@roles(Role.REVIEWER)
def objection_resolve(objection_id):
    objection = found(objection_services.get_objection, objection_id, manage=True)
    form = objection_forms.ResolveForm(prefix=f"o{objection.id}")
    if not form.validate_on_submit():
        for problem in (e for errors in form.errors.values() for e in errors):
            flash(f"异议 #{objection_id}：{problem}", "error")  # one message per field, not glued together
        return _batch_page(objection.batch, status=400)
    outcome = run(
        objection_services.resolve_objection,
        current_user,
        objection,
        version=form.version_id.data,
        uphold=form.decision.data == "uphold",
        resolution=form.resolution.data,
    )
    if not outcome.ok:
        flash(f"异议 #{objection_id}：{outcome.error.message}", "error")
        if isinstance(outcome.error, StaleObject):  # PRG: a refresh must not resend the stale decision
            return redirect(url_for("publishing.batch", batch_id=objection.batch_id) + "#objections", 303)
        return _batch_page(found(lifecycle.get_batch, objection.batch_id), status=400)
    flash(f"异议 #{objection_id} 已处理：{objection.state.label}。", "success")
    return redirect(url_for("publishing.batch", batch_id=objection.batch_id) + "#objections")


# Public notices (no login) -------------------------------------------------------------------------------------


@bp.route("/notices")
@public
def notices():
    running, past = lifecycle.public_notices(current_user)
    return render_template("publishing/notices.html", running=running, past=past)


@bp.route("/notices/<int:batch_id>")
@public
def notice(batch_id):
    batch = found(lifecycle.get_noticed_batch, batch_id)
    return render_template(
        "publishing/notice.html",
        batch=batch,
        rows=objection_services.notice_rows(batch),
        running=lifecycle.notice_running(batch),
    )


# Catalogue updates and Atom feeds --------------------------------------------------------------------------


@bp.route("/catalogues/<code>/updates")
@public
def updates(code):
    catalogue = get_by_code(code) or abort(404)
    return render_template("publishing/updates.html", catalogue=catalogue, updates=feeds.catalogue_updates(catalogue))


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
