from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.core.forms import PortalForm


class LoginForm(PortalForm):
    email = EmailField("邮箱", validators=[DataRequired("请输入邮箱。"), Length(max=254)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码。")])
    remember = BooleanField("在此设备上保持登录")
    next = HiddenField()


class PasswordChangeForm(PortalForm):
    current_password = PasswordField("当前密码", validators=[DataRequired("请输入当前密码。")])
    new_password = PasswordField("新密码", validators=[DataRequired("请输入新密码。")])
    confirm = PasswordField(
        "确认新密码",
        validators=[DataRequired("请再次输入新密码。"), EqualTo("new_password", "两次输入的新密码不一致。")],
    )


class TokenForm(PortalForm):
    name = StringField(
        "令牌名称",
        validators=[DataRequired("请为令牌填写一个名称。"), Length(max=64, message="名称不能超过 64 个字符。")],
    )
