"""医企对接 pages: needs (hospital), open needs and responses (company), a response with its meeting and outcome
(both parties), sessions, and the supervisors' and reviewers' overview."""

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.core import unit
from portal.core.access import ANY_USER, roles
from portal.core.errors import DomainError, NotFound
from portal.core.forms import attach_error
from portal.extensions import db
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
from portal.matchmaking.models import Match, Need
from portal.matchmaking.permissions import (
    can_run_sessions,
    overview_district,
    require_match_party,
    require_need_owner,
)
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


def _done(message: str, endpoint: str, **values):
    unit.commit()  # mail follows the commit; a stale version is refused like any DomainError
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


def _refused(form, exc: DomainError) -> None:
    db.session.rollback()
    if isinstance(exc, NotFound):
        abort(404)
    attach_error(form, exc)


# Needs (hospital) -------------------------------------------------------------------------------------------


def _own_need(need_id) -> Need:
    need = db.session.get(Need, need_id)
    try:
        require_need_owner(current_user, need)
    except NotFound:
        abort(404)
    return need


@bp.route("/match/needs")
@roles(Role.HOSPITAL)
def needs():
    rows = db.session.scalars(need_services.hospital_needs(current_user.hospital_id)).all()
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
        try:
            need = need_services.publish_need(current_user, **_need_values(form))
            return _done("临床需求已发布，符合条件的企业可以看到并响应。", "matchmaking.need", need_id=need.id)
        except DomainError as exc:
            _refused(form, exc)
    status = 400 if request.method == "POST" else 200
    return render_template("matchmaking/need_form.html", form=form, need=None), status


@bp.route("/match/needs/<int:need_id>/edit", methods=["GET", "POST"])
@roles(Role.HOSPITAL)
def need_edit(need_id):
    need = _own_need(need_id)
    form = NeedForm(obj=need) if request.method == "GET" else NeedForm()
    if request.method == "GET":
        form.key_area.data, form.district.data = need.key_area or "", need.district or ""
        form.version.data = need.version_id
    if form.validate_on_submit():
        try:
            need_services.edit_need(current_user, need, version=form.version.data, **_need_values(form))
            return _done("临床需求已修改。", "matchmaking.need", need_id=need.id)
        except DomainError as exc:
            _refused(form, exc)
    status = 400 if request.method == "POST" else 200
    return render_template("matchmaking/need_form.html", form=form, need=need), status


@bp.route("/match/needs/<int:need_id>/close", methods=["POST"])
@roles(Role.HOSPITAL)
def need_close(need_id):
    need = _own_need(need_id)
    form = CloseForm()
    if form.validate_on_submit():
        try:
            need_services.close_need(current_user, need, comment=form.comment.data, version=form.version.data)
            return _done("临床需求已关闭。", "matchmaking.need", need_id=need.id)
        except DomainError as exc:
            _refused(form, exc)
    return pages.need_owner(db.session.get(Need, need_id), close_form=form, status=400)


@bp.route("/match/needs/<int:need_id>/extend", methods=["POST"])
@roles(Role.HOSPITAL)
def need_extend(need_id):
    need = _own_need(need_id)
    form = ExtendForm()
    if form.validate_on_submit():
        try:
            need_services.extend_need(current_user, need, form.valid_until.data, version=form.version.data)
            return _done(f"有效期已延长至 {need.valid_until:%Y-%m-%d}。", "matchmaking.need", need_id=need.id)
        except DomainError as exc:
            _refused(form, exc)
    return pages.need_owner(db.session.get(Need, need_id), extend_form=form, status=400)


@bp.route("/match/needs/<int:need_id>")
@roles(Role.HOSPITAL, Role.MANUFACTURER)
def need(need_id):
    if current_user.role is Role.HOSPITAL:
        return pages.need_owner(_own_need(need_id))
    try:
        return pages.need_company(need_services.get_need_for_company(current_user, need_id))
    except NotFound:
        abort(404)


# Companies --------------------------------------------------------------------------------------------------


@bp.route("/match/open-needs")
@roles(Role.MANUFACTURER)
def open_needs():
    return render_template("matchmaking/open_needs.html", ranked=need_services.needs_for_company(current_user))


@bp.route("/match/needs/<int:need_id>/respond", methods=["POST"])
@roles(Role.MANUFACTURER)
def respond(need_id):
    try:
        need = need_services.get_need_for_company(current_user, need_id)
    except NotFound:
        abort(404)
    form = ResponseForm()
    if form.validate_on_submit():
        try:
            match = need_services.respond(
                current_user, need, product_id=form.product_id.data, note=form.note.data, upload=form.file.data
            )
            return _done("已提交响应，医院将在平台上看到。", "matchmaking.match", match_id=match.id)
        except DomainError as exc:
            _refused(form, exc)
    return pages.need_company(db.session.get(Need, need_id), form, 400)


@bp.route("/match/responses")
@roles(Role.MANUFACTURER)
def responses():
    rows = db.session.scalars(need_services.company_matches(current_user)).all()
    return render_template("matchmaking/responses.html", matches=rows)


# One response: meeting and outcome --------------------------------------------------------------------------


def _party_match(match_id) -> Match:
    match = db.session.get(Match, match_id)
    try:
        require_match_party(current_user, match)
    except NotFound:
        abort(404)
    return match


@bp.route("/match/responses/<int:match_id>")
@roles(Role.HOSPITAL, Role.MANUFACTURER)
def match(match_id):
    return pages.match_page(_party_match(match_id))


@bp.route("/match/responses/<int:match_id>/file")
@roles(Role.HOSPITAL, Role.MANUFACTURER)
def match_file(match_id):
    found = _party_match(match_id)
    if found.attachment is None:
        abort(404)
    return send_attachment(found.attachment)


@bp.route("/match/responses/<int:match_id>/shortlist", methods=["POST"])
@roles(Role.HOSPITAL)
def shortlist(match_id):
    found = _party_match(match_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            meetings.shortlist(current_user, found, version=form.version.data)
            return _done("已列入入围，可以约见企业。", "matchmaking.match", match_id=match_id)
        except DomainError as exc:
            _refused(form, exc)
    flash(" ".join(form.form_errors) or "表单已过期，请刷新页面后重试。", "error")
    return redirect(url_for("matchmaking.match", match_id=match_id))


@bp.route("/match/responses/<int:match_id>/meeting", methods=["POST"])
@roles(Role.HOSPITAL, Role.MANUFACTURER)
def meeting(match_id):
    found = _party_match(match_id)
    form = MeetingForm()
    if form.validate_on_submit():
        try:
            meetings.propose_meeting(
                current_user,
                found,
                starts_at=form.starts_at.data,
                minutes=form.minutes.data,
                place=form.place.data,
                online_link=form.online_link.data,
                version=form.version.data,
            )
            return _done("已提议会面时间，等待对方确认。", "matchmaking.match", match_id=match_id)
        except DomainError as exc:
            _refused(form, exc)
    return pages.match_page(db.session.get(Match, match_id), meeting_form=form, status=400)


@bp.route("/match/responses/<int:match_id>/meeting/accept", methods=["POST"])
@roles(Role.HOSPITAL, Role.MANUFACTURER)
def meeting_accept(match_id):
    found = _party_match(match_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            meetings.accept_meeting(current_user, found, version=form.version.data)
            return _done("会面已确认，双方均已收到日历邀请。", "matchmaking.match", match_id=match_id)
        except DomainError as exc:
            _refused(form, exc)
    flash(" ".join(form.form_errors) or "表单已过期，请刷新页面后重试。", "error")
    return redirect(url_for("matchmaking.match", match_id=match_id))


@bp.route("/match/responses/<int:match_id>/meeting.ics")
@roles(Role.HOSPITAL, Role.MANUFACTURER)
def meeting_ics(match_id):
    found = _party_match(match_id)
    if found.meeting is None:
        abort(404)
    body = calendar.meeting_ics(found, current_app.config["PORTAL_BASE_URL"])
    response = Response(body.encode(), mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="meeting-{found.meeting.id}.ics"'
    return response


@bp.route("/match/responses/<int:match_id>/outcome", methods=["POST"])
@roles(Role.HOSPITAL)
def outcome(match_id):
    found = _party_match(match_id)
    form = OutcomeForm()
    if form.validate_on_submit():
        try:
            meetings.record_outcome(current_user, found, form.outcome.data, form.note.data, version=form.version.data)
            return _done(f"已记录对接结果：{found.outcome.label}。", "matchmaking.match", match_id=match_id)
        except DomainError as exc:
            _refused(form, exc)
    return pages.match_page(db.session.get(Match, match_id), outcome_form=form, status=400)


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
        try:
            created = sessions.create_session(
                current_user,
                title=form.title.data,
                department=form.department.data,
                key_area=form.key_area.data,
                district=form.district.data,
                starts_at=form.starts_at.data,
                place=form.place.data,
                capacity=form.capacity.data,
            )
            return _done("医企面对面活动已创建，企业可以报名。", "matchmaking.session", session_id=created.id)
        except DomainError as exc:
            _refused(form, exc)
    status = 400 if request.method == "POST" else 200
    return render_template("matchmaking/session_form.html", form=form), status


def _visible_session(session_id):
    try:
        return sessions.get_session(current_user, session_id)
    except NotFound:
        abort(404)


@bp.route("/match/sessions/<int:session_id>")
@roles(*Role)
def session(session_id):
    return pages.session_page(_visible_session(session_id))


@bp.route("/match/sessions/<int:session_id>/signup", methods=["POST"])
@roles(Role.MANUFACTURER)
def session_signup(session_id):
    found = _visible_session(session_id)
    form = SignupForm()
    if form.validate_on_submit():
        try:
            sessions.sign_up(current_user, found, product_id=form.product_id.data, note=form.note.data)
            return _done("报名成功。", "matchmaking.session", session_id=session_id)
        except DomainError as exc:
            _refused(form, exc)
    return pages.session_page(_visible_session(session_id), signup_form=form, status=400)


@bp.route("/match/sessions/<int:session_id>/attend", methods=["POST"])
@roles(Role.HOSPITAL)
def session_attend(session_id):
    found = _visible_session(session_id)
    form = AttendForm()
    if form.validate_on_submit():
        try:
            sessions.register_attendance(current_user, found, department=form.department.data)
            return _done("已登记参会。", "matchmaking.session", session_id=session_id)
        except DomainError as exc:
            _refused(form, exc)
    return pages.session_page(_visible_session(session_id), attend_form=form, status=400)


@bp.route("/match/sessions/<int:session_id>/follow-up", methods=["POST"])
@roles(Role.HOSPITAL)
def session_follow_up(session_id):
    found = _visible_session(session_id)
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            sessions.record_follow_up(
                current_user, found, signup_id=form.signup_id.data, outcome=form.outcome.data, note=form.note.data
            )
            return _done("已记录活动后续。", "matchmaking.session", session_id=session_id)
        except DomainError as exc:
            _refused(form, exc)
    return pages.session_page(_visible_session(session_id), follow_form=form, status=400)


@bp.route("/match/sessions/<int:session_id>/state", methods=["POST"])
@roles(Role.REVIEWER, Role.SUPERVISOR)
def session_action(session_id):
    found = _visible_session(session_id)
    form = SessionActionForm()
    if form.validate_on_submit():
        try:
            sessions.change_state(current_user, found, form.action.data or "", version=form.version.data)
            return _done(f"活动状态：{found.state.label}。", "matchmaking.session", session_id=session_id)
        except DomainError as exc:
            _refused(form, exc)
    flash(" ".join(form.form_errors) or "表单已过期，请刷新页面后重试。", "error")
    return redirect(url_for("matchmaking.session", session_id=session_id))


# Overview ---------------------------------------------------------------------------------------------------


@bp.route("/match/overview")
@roles(Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN)
def overview_page():
    district = overview_district(current_user)
    rows, total = overview.overview(district)
    return render_template("matchmaking/overview.html", rows=rows, total=total, district=district)
