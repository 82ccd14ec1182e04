from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from portal.accounts import frame, services, tokens
from portal.accounts.forms import LoginForm, PasswordChangeForm, TokenForm
from portal.accounts.models import Role
from portal.core.access import ANY_USER, PUBLIC, public, roles, safe_next
from portal.core.forms import ConfirmForm
from portal.core.unit import perform, submit
from portal.core.web import found

bp = Blueprint("accounts", __name__)
bp.add_app_template_global(frame.user_links)
bp.add_app_template_global(frame.user_who)

ACCESS = {
    "accounts.login": PUBLIC,
    "accounts.logout": ANY_USER,
    "accounts.password": ANY_USER,
    "accounts.api_tokens": {Role.HOSPITAL},
    "accounts.api_token_revoke": {Role.HOSPITAL},
}


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    target = safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(target)
    if form.validate_on_submit():
        attempt = submit(form, services.authenticate, form.email.data, form.password.data, request.remote_addr)
        if not attempt.ok:
            return render_template("accounts/login.html", form=form, next=target), attempt.status
        session.clear()  # no session fixation: a fresh session for the logged-in user
        login_user(attempt.value, remember=form.remember.data)
        return redirect(target)
    form.next.data = target
    return render_template("accounts/login.html", form=form, next=target)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    perform(services.end_sessions, current_user, "logout")
    logout_user()
    session.clear()
    flash("您已安全退出。", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    passwords = (form.current_password.data, form.new_password.data)
    if form.validate_on_submit() and submit(form, services.change_password, current_user, *passwords).ok:
        # Every other session has ended; keep this one by logging in again under the new token.
        login_user(current_user._get_current_object())
        flash("密码已修改，其他设备上的登录已全部退出。", "success")
        return redirect(url_for("main.home"))
    return render_template("accounts/password.html", form=form)


# Personal API tokens (hospital users: the API serves their assessments) ----------------------------------


@bp.route("/account/api-tokens", methods=["GET", "POST"])
@roles(Role.HOSPITAL)
def api_tokens():
    form = TokenForm()
    new_token = None
    status = 200
    if form.validate_on_submit():
        created = submit(form, tokens.create_token, current_user, form.name.data)
        if created.ok:
            _row, new_token = created.value
            form = TokenForm(formdata=None)
        else:
            status = 400
    elif request.method == "POST":
        status = 400
    return (
        render_template(
            "accounts/api_tokens.html",
            form=form,
            new_token=new_token,
            rows=tokens.list_tokens(current_user),
            revoke_form=ConfirmForm(formdata=None),
        ),
        status,
    )


@bp.route("/account/api-tokens/<int:token_id>/revoke", methods=["POST"])
@roles(Role.HOSPITAL)
def api_token_revoke(token_id):
    row = found(tokens.get_own_token, token_id)
    if ConfirmForm().validate_on_submit():
        perform(tokens.revoke_token, current_user, row)
        flash(f"令牌「{row.name}」已吊销，使用它的系统将无法再访问。", "success")
    else:
        flash("表单已过期，请刷新页面后重试。", "error")
    return redirect(url_for("accounts.api_tokens"))
