"""医企对接 pages: needs (hospital), open needs and responses (company), a response with its meeting and outcome
(both parties), sessions, and the supervisors' and reviewers' overview."""

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.core import unit
from portal.core.access import ANY_USER, roles
from portal.core.web import found
from portal.matchmaking import calendar, meetings, overview, pages, sessions
from portal.matchmaking import needs as need_services
from portal.matchmaking.forms import (
    AttendForm,
    CloseForm,
    ConfirmForm,
    ExtendForm,
    FollowUpForm,
    MeetingForm,
    NeedForm,
    OutcomeForm,
    ResponseForm,
    SessionActionForm,
    SessionForm,
    SignupForm,
)
from portal.matchmaking.permissions import can_run_sessions, overview_district
from portal.products.storage import send_attachment

bp = Blueprint("matchmaking", __name__)

HOSPITAL = {Role.HOSPITAL}
COMPANY = {Role.MANUFACTURER}
PARTIES = {Role.HOSPITAL, Role.MANUFACTURER}
ORGANISERS = {Role.REVIEWER, Role.SUPERVISOR}
ACCESS = {
    "matchmaking.needs": HOSPITAL,
    "matchmaking.need_new": HOSPITAL,
    "matchmaking.need": PARTIES,
    "matchmaking.need_edit": HOSPITAL,
    "matchmaking.need_close": HOSPITAL,
    "matchmaking.need_extend": HOSPITAL,
    "matchmaking.open_needs": COMPANY,
    "matchmaking.respond": COMPANY,
    "matchmaking.responses": COMPANY,
    "matchmaking.match": PARTIES,
    "matchmaking.match_file": PARTIES,
    "matchmaking.shortlist": HOSPITAL,
    "matchmaking.meeting": PARTIES,
    "matchmaking.meeting_accept": PARTIES,
    "matchmaking.meeting_ics": PARTIES,
    "matchmaking.outcome": HOSPITAL,
    "matchmaking.sessions_index": ANY_USER,
    "matchmaking.session_new": ORGANISERS,
    "matchmaking.session": ANY_USER,
    "matchmaking.session_signup": COMPANY,
    "matchmaking.session_attend": HOSPITAL,
    "matchmaking.session_follow_up": HOSPITAL,
    "matchmaking.session_action": ORGANISERS,
    "matchmaking.overview_page": {Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN},
}


def _act(form, action, *args, **kwargs) -> unit.Outcome:
    """Run one action through the unit of work (mail follows its commit); a refusal is shown beside the form,
    except another party's record (NotFound), which is a plain 404."""
    outcome = unit.submit(form, action, *args, **kwargs)
    if outcome.status == 404:
        abort(404)
    return outcome


def _done(message: str, endpoint: str, **values):
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


def _flash_refusal(form, endpoint: str, **values):
    """A page's one-button form (no fields to show an error beside): the refusal is flashed over the page."""
    flash(" ".join(form.form_errors) or "表单已过期，请刷新页面后重试。", "error")
    return redirect(url_for(endpoint, **values))


# Needs (hospital) -------------------------------------------------------------------------------------------


@bp.route("/match/needs")
@roles(Role.HOSPITAL)
def needs():
    rows = need_services.own_needs(current_user)
    return render_template("matchmaking/needs.html", needs=rows, shown_state=need_services.shown_state)


def _need_values(form) -> dict:
    return {
        "department": form.department.data,
        "title": form.title.data,
        "description": form.description.data,
        "key_area": form.key_area.data,
        "valid_until": form.valid_until.data,
        "district": form.district.data,
    }


@bp.route("/match/needs/new", methods=["GET", "POST"])
@roles(Role.HOSPITAL)
def need_new():
    form = NeedForm()
    if form.validate_on_submit():
        done = _act(form, need_services.publish_need, current_user, **_need_values(form))
        if done.ok:
            return _done("临床需求已发布，符合条件的企业可以看到并响应。", "matchmaking.need", need_id=done.value.id)
    status = 400 if request.method == "POST" else 200
    return render_template("matchmaking/need_form.html", form=form, need=None), status


@bp.route("/match/needs/<int:need_id>/edit", methods=["GET", "POST"])
@roles(Role.HOSPITAL)
def need_edit(need_id):
    need = found(need_services.get_own_need, need_id)
    form = NeedForm(obj=need) if request.method == "GET" else NeedForm()
    if request.method == "GET":
        form.key_area.data, form.district.data = need.key_area or "", need.district or ""
        form.version.data = need.version_id
    if form.validate_on_submit():
        values = _need_values(form)
        if _act(form, need_services.edit_need, current_user, need, version=form.version.data, **values).ok:
            return _done("临床需求已修改。", "matchmaking.need", need_id=need_id)
    status = 400 if request.method == "POST" else 200
    return render_template("matchmaking/need_form.html", form=form, need=need), status


@bp.route("/match/needs/<int:need_id>/close", methods=["POST"])
@roles(Role.HOSPITAL)
def need_close(need_id):
    need = found(need_services.get_own_need, need_id)
    form = CloseForm()
    if form.validate_on_submit():
        comment, version = form.comment.data, form.version.data
        if _act(form, need_services.close_need, current_user, need, comment=comment, version=version).ok:
            return _done("临床需求已关闭。", "matchmaking.need", need_id=need_id)
    return pages.need_owner(need, close_form=form, status=400)


@bp.route("/match/needs/<int:need_id>/extend", methods=["POST"])
@roles(Role.HOSPITAL)
def need_extend(need_id):
    need = found(need_services.get_own_need, need_id)
    form = ExtendForm()
    if form.validate_on_submit():
        until, version = form.valid_until.data, form.version.data
        if _act(form, need_services.extend_need, current_user, need, until, version=version).ok:
            return _done(f"有效期已延长至 {need.valid_until:%Y-%m-%d}。", "matchmaking.need", need_id=need_id)
    return pages.need_owner(need, extend_form=form, status=400)


@bp.route("/match/needs/<int:need_id>")
@roles(Role.HOSPITAL, Role.MANUFACTURER)
def need(need_id):
    if current_user.role is Role.HOSPITAL:
        return pages.need_owner(found(need_services.get_own_need, need_id))
    return pages.need_company(found(need_services.get_need_for_company, need_id))


# Companies --------------------------------------------------------------------------------------------------


@bp.route("/match/open-needs")
@roles(Role.MANUFACTURER)
def open_needs():
    return render_template("matchmaking/open_needs.html", ranked=need_services.needs_for_company(current_user))


@bp.route("/match/needs/<int:need_id>/respond", methods=["POST"])
@roles(Role.MANUFACTURER)
def respond(need_id):
    need = found(need_services.get_need_for_company, need_id)
    form = ResponseForm()
    if form.validate_on_submit():
        values = {"product_id": form.product_id.data, "note": form.note.data, "upload": form.file.data}
        done = _act(form, need_services.respond, current_user, need, **values)
        if done.ok:
            return _done("已提交响应，医院将在平台上看到。", "matchmaking.match", match_id=done.value.id)
    return pages.need_company(need, form, 400)


@bp.route("/match/responses")
@roles(Role.MANUFACTURER)
def responses():
    return render_template("matchmaking/responses.html", matches=need_services.company_responses(current_user))


# One response: meeting and outcome --------------------------------------------------------------------------


@bp.route("/match/responses/<int:match_id>")
@roles(Role.HOSPITAL, Role.MANUFACTURER)
def match(match_id):
    return pages.match_page(found(meetings.get_match, match_id))


@bp.route("/match/responses/<int:match_id>/file")
@roles(Role.HOSPITAL, Role.MANUFACTURER)
def match_file(match_id):
    party = found(meetings.get_match, match_id)
    if party.attachment is None:
        abort(404)
    return send_attachment(party.attachment)


@bp.route("/match/responses/<int:match_id>/shortlist", methods=["POST"])
@roles(Role.HOSPITAL)
def shortlist(match_id):
    party = found(meetings.get_match, match_id)
    form = ConfirmForm()
    if form.validate_on_submit() and _act(form, meetings.shortlist, current_user, party, version=form.version.data).ok:
        return _done("已列入入围，可以约见企业。", "matchmaking.match", match_id=match_id)
    return _flash_refusal(form, "matchmaking.match", match_id=match_id)


@bp.route("/match/responses/<int:match_id>/meeting", methods=["POST"])
@roles(Role.HOSPITAL, Role.MANUFACTURER)
def meeting(match_id):
    party = found(meetings.get_match, match_id)
    form = MeetingForm()
    if form.validate_on_submit():
        values = {
            "starts_at": form.starts_at.data,
            "minutes": form.minutes.data,
            "place": form.place.data,
            "online_link": form.online_link.data,
            "version": form.version.data,
        }
        if _act(form, meetings.propose_meeting, current_user, party, **values).ok:
            return _done("已提议会面时间，等待对方确认。", "matchmaking.match", match_id=match_id)
    return pages.match_page(party, meeting_form=form, status=400)


@bp.route("/match/responses/<int:match_id>/meeting/accept", methods=["POST"])
@roles(Role.HOSPITAL, Role.MANUFACTURER)
def meeting_accept(match_id):
    party = found(meetings.get_match, match_id)
    form = ConfirmForm()
    if (
        form.validate_on_submit()
        and _act(form, meetings.accept_meeting, current_user, party, version=form.version.data).ok
    ):
        return _done("会面已确认，双方均已收到日历邀请。", "matchmaking.match", match_id=match_id)
    return _flash_refusal(form, "matchmaking.match", match_id=match_id)


@bp.route("/match/responses/<int:match_id>/meeting.ics")
@roles(Role.HOSPITAL, Role.MANUFACTURER)
def meeting_ics(match_id):
    party = found(meetings.get_match, match_id)
    if party.meeting is None:
        abort(404)
    body = calendar.meeting_ics(party, current_app.config["PORTAL_BASE_URL"])
    response = Response(body.encode(), mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="meeting-{party.meeting.id}.ics"'
    return response


@bp.route("/match/responses/<int:match_id>/outcome", methods=["POST"])
@roles(Role.HOSPITAL)
def outcome(match_id):
    party = found(meetings.get_match, match_id)
    form = OutcomeForm()
    if form.validate_on_submit():
        values = (form.outcome.data, form.note.data)
        if _act(form, meetings.record_outcome, current_user, party, *values, version=form.version.data).ok:
            return _done(f"已记录对接结果：{party.outcome.label}。", "matchmaking.match", match_id=match_id)
    return pages.match_page(party, outcome_form=form, status=400)


# Sessions ---------------------------------------------------------------------------------------------------


@bp.route("/match/sessions")
@roles(*Role)
def sessions_index():
    return render_template(
        "matchmaking/sessions.html",
        sessions=sessions.visible_sessions(current_user),
        can_run=can_run_sessions(current_user),
    )


@bp.route("/match/sessions/new", methods=["GET", "POST"])
@roles(Role.REVIEWER, Role.SUPERVISOR)
def session_new():
    form = SessionForm()
    if request.method == "GET" and current_user.role is Role.SUPERVISOR and current_user.district:
        form.district.data = current_user.district
    if form.validate_on_submit():
        values = {
            "title": form.title.data,
            "department": form.department.data,
            "key_area": form.key_area.data,
            "district": form.district.data,
            "starts_at": form.starts_at.data,
            "place": form.place.data,
            "capacity": form.capacity.data,
        }
        done = _act(form, sessions.create_session, current_user, **values)
        if done.ok:
            return _done("医企面对面活动已创建，企业可以报名。", "matchmaking.session", session_id=done.value.id)
    status = 400 if request.method == "POST" else 200
    return render_template("matchmaking/session_form.html", form=form), status


@bp.route("/match/sessions/<int:session_id>")
@roles(*Role)
def session(session_id):
    return pages.session_page(found(sessions.get_session, session_id))


@bp.route("/match/sessions/<int:session_id>/signup", methods=["POST"])
@roles(Role.MANUFACTURER)
def session_signup(session_id):
    shown = found(sessions.get_session, session_id)
    form = SignupForm()
    if form.validate_on_submit():
        values = {"product_id": form.product_id.data, "note": form.note.data}
        if _act(form, sessions.sign_up, current_user, shown, **values).ok:
            return _done("报名成功。", "matchmaking.session", session_id=session_id)
    return pages.session_page(shown, signup_form=form, status=400)


@bp.route("/match/sessions/<int:session_id>/attend", methods=["POST"])
@roles(Role.HOSPITAL)
def session_attend(session_id):
    shown = found(sessions.get_session, session_id)
    form = AttendForm()
    department = form.department.data
    if (
        form.validate_on_submit()
        and _act(form, sessions.register_attendance, current_user, shown, department=department).ok
    ):
        return _done("已登记参会。", "matchmaking.session", session_id=session_id)
    return pages.session_page(shown, attend_form=form, status=400)


@bp.route("/match/sessions/<int:session_id>/follow-up", methods=["POST"])
@roles(Role.HOSPITAL)
def session_follow_up(session_id):
    shown = found(sessions.get_session, session_id)
    form = FollowUpForm()
    if form.validate_on_submit():
        values = {"signup_id": form.signup_id.data, "outcome": form.outcome.data, "note": form.note.data}
        if _act(form, sessions.record_follow_up, current_user, shown, **values).ok:
            return _done("已记录活动后续。", "matchmaking.session", session_id=session_id)
    return pages.session_page(shown, follow_form=form, status=400)


@bp.route("/match/sessions/<int:session_id>/state", methods=["POST"])
@roles(Role.REVIEWER, Role.SUPERVISOR)
def session_action(session_id):
    shown = found(sessions.get_session, session_id)
    form = SessionActionForm()
    action, version = form.action.data or "", form.version.data
    if form.validate_on_submit() and _act(form, sessions.change_state, current_user, shown, action, version=version).ok:
        return _done(f"活动状态：{shown.state.label}。", "matchmaking.session", session_id=session_id)
    return _flash_refusal(form, "matchmaking.session", session_id=session_id)


# Overview ---------------------------------------------------------------------------------------------------


@bp.route("/match/overview")
@roles(Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN)
def overview_page():
    district = overview_district(current_user)
    rows, total = overview.overview(district)
    return render_template("matchmaking/overview.html", rows=rows, total=total, district=district)
