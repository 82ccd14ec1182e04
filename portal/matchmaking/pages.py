"""What each 医企对接 page shows: the template and its context, for the views (which parse input and call
services) to render, also again with a refused form's errors."""

from flask import render_template
from flask_login import current_user

from portal.accounts.models import Role
from portal.audit.services import history
from portal.core import timeutil
from portal.matchmaking import needs as need_services
from portal.matchmaking import sessions
from portal.matchmaking.forms import (
    AttendForm,
    CloseForm,
    ConfirmForm,
    ExtendForm,
    FollowUpForm,
    MeetingForm,
    OutcomeForm,
    ResponseForm,
    SessionActionForm,
    SignupForm,
)
from portal.matchmaking.permissions import can_manage_session, is_match_company, is_match_hospital
from portal.matchmaking.states import SESSION, MatchState, MeetingState


def need_owner(need, *, close_form=None, extend_form=None, status=200):
    close_form = close_form or CloseForm(formdata=None)
    extend_form = extend_form or ExtendForm(formdata=None)
    close_form.version.data = extend_form.version.data = need.version_id
    return (
        render_template(
            "matchmaking/need.html",
            need=need,
            owner=True,
            state_label=need_services.shown_state(need),
            is_open=need_services.is_open(need),
            responses=need_services.responses_to(need),
            close_form=close_form,
            extend_form=extend_form,
            history=history(need),
        ),
        status,
    )


def need_company(need, form=None, status=200):
    form = form or ResponseForm(formdata=None)
    product_choices(form.product_id)
    return (
        render_template(
            "matchmaking/need.html",
            need=need,
            owner=False,
            state_label=need_services.shown_state(need),
            is_open=need_services.is_open(need),
            responses=need_services.own_responses(current_user, need),
            form=form,
        ),
        status,
    )


def product_choices(field) -> None:
    field.choices = [("", "请选择本企业的产品")] + [
        (str(p.id), p.name) for p in need_services.company_products(current_user)
    ]


def match_page(match, *, meeting_form=None, outcome_form=None, status=200):
    meeting = match.meeting
    if meeting_form is None:
        meeting_form = MeetingForm(formdata=None)
        if meeting is not None:
            meeting_form.starts_at.data = timeutil.to_shanghai(meeting.starts_at).replace(tzinfo=None)
            meeting_form.minutes.data = meeting.minutes
            meeting_form.place.data, meeting_form.online_link.data = meeting.place, meeting.online_link
    meeting_form.version.data = match.version_id
    outcome_form = outcome_form or OutcomeForm(formdata=None)
    outcome_form.version.data = match.version_id
    hospital_side = is_match_hospital(current_user, match)
    waiting_for = None
    if meeting is not None and meeting.state is not MeetingState.CONFIRMED:
        waiting_for = "company" if meeting.state is MeetingState.PROPOSED else "hospital"
    return (
        render_template(
            "matchmaking/match.html",
            match=match,
            meeting=meeting,
            hospital_side=hospital_side,
            company_side=is_match_company(current_user, match),
            can_accept=waiting_for == ("hospital" if hospital_side else "company"),
            meeting_form=meeting_form,
            outcome_form=outcome_form,
            confirm_form=ConfirmForm(formdata=None, version=meeting.version_id if meeting else match.version_id),
            MatchState=MatchState,
            history=history(match) + (history(meeting) if meeting else []),
        ),
        status,
    )


def session_page(found, *, signup_form=None, attend_form=None, follow_form=None, status=200):
    signup_form = signup_form or SignupForm(formdata=None)
    follow_form = follow_form or FollowUpForm(formdata=None)
    if current_user.role is Role.MANUFACTURER:
        product_choices(signup_form.product_id)
    follow_form.signup_id.choices = [("", "请选择产品")] + [
        (str(s.id), f"{s.product.name}（{s.company.name}）") for s in found.signups
    ]
    hospital_id = current_user.hospital_id if current_user.role is Role.HOSPITAL else None
    mine = current_user.company_id if current_user.role is Role.MANUFACTURER else None
    return (
        render_template(
            "matchmaking/session.html",
            session=found,
            places_left=sessions.places_left(found),
            own_signups=[s for s in found.signups if s.company_id == mine],
            attendance=sessions.attendance_of(found, hospital_id) if hospital_id else None,
            follow_ups=sessions.follow_ups(found, hospital_id) if hospital_id else [],
            can_manage=can_manage_session(current_user, found),
            actions=[(a, SESSION.action_labels[a]) for a in SESSION.allowed_actions(found.state)],
            action_form=SessionActionForm(formdata=None, version=found.version_id),
            signup_form=signup_form,
            attend_form=attend_form or AttendForm(formdata=None),
            follow_form=follow_form,
            started=found.starts_at <= timeutil.utcnow(),
        ),
        status,
    )
