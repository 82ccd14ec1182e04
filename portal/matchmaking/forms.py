"""Forms of the 医企对接 pages; every rule beyond "filled in and short enough" is the services'."""

from flask_wtf.file import FileField
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.core.forms import PortalForm, choices
from portal.core.reference import DEPARTMENTS, DISTRICTS, KEY_AREAS
from portal.matchmaking.models import MatchOutcome

DEPARTMENT_CHOICES = [("", "请选择科室"), *((d, d) for d in DEPARTMENTS)]
KEY_AREA_CHOICES = [("", "不限"), *((k, k) for k in KEY_AREAS)]
SCOPE_CHOICES = [("", "全市企业"), *((d, f"仅{d}企业") for d in DISTRICTS)]
DATE_MESSAGE = "请填写日期（格式 YYYY-MM-DD）。"
TIME_MESSAGE = "请填写时间（上海时间，格式 YYYY-MM-DD HH:MM）。"
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class NeedForm(PortalForm):
    department = SelectField("科室", choices=choices(DEPARTMENT_CHOICES), validate_choice=False)
    title = StringField("需求名称", validators=[Length(max=100, message="需求名称不能超过 100 字。")])
    description = TextAreaField(
        "需求说明（需要什么、为什么）", validators=[Length(max=2000, message="需求说明不能超过 2000 字。")]
    )
    key_area = SelectField("重点领域", choices=choices(KEY_AREA_CHOICES), validate_choice=False)
    valid_until = DateField("有效期至", validators=[DataRequired(DATE_MESSAGE)])
    district = SelectField("可见范围", choices=choices(SCOPE_CHOICES), validate_choice=False)
    version = HiddenField()


class ExtendForm(PortalForm):
    valid_until = DateField("新的有效期", validators=[DataRequired(DATE_MESSAGE)])
    version = HiddenField()


class CloseForm(PortalForm):
    comment = StringField("关闭说明（可选）", validators=[Length(max=500, message="关闭说明不能超过 500 字。")])
    version = HiddenField()


class ResponseForm(PortalForm):
    product_id = SelectField("响应产品", choices=[], validate_choice=False)
    note = TextAreaField("响应说明", validators=[Length(max=500, message="响应说明不能超过 500 字。")])
    file = FileField("补充材料（PDF，可选）")


class MeetingForm(PortalForm):
    starts_at = DateTimeLocalField("会面时间（上海时间）", format=LOCAL_FORMAT, validators=[DataRequired(TIME_MESSAGE)])
    minutes = IntegerField(
        "时长（分钟）", default=60, validators=[Optional(), NumberRange(15, 480, "时长应在 15–480 分钟之间。")]
    )
    place = StringField("地点", validators=[Length(max=200, message="地点不能超过 200 字。")])
    online_link = StringField("线上会议链接", validators=[Length(max=500, message="链接不能超过 500 字。")])
    version = HiddenField()


class ConfirmForm(PortalForm):
    """A POST with its CSRF token and the version the page was loaded with."""

    version = HiddenField()


class OutcomeForm(PortalForm):
    outcome = RadioField(
        "对接结果", choices=choices(MatchOutcome.choices()), validators=[DataRequired("请选择对接结果。")]
    )
    note = TextAreaField("结果说明", validators=[Length(max=1000, message="结果说明不能超过 1000 字。")])
    version = HiddenField()


class SessionForm(PortalForm):
    title = StringField("活动名称", validators=[Length(max=100, message="活动名称不能超过 100 字。")])
    department = SelectField(
        "主题科室", choices=choices([("", "不限"), *((d, d) for d in DEPARTMENTS)]), validate_choice=False
    )
    key_area = SelectField("主题重点领域", choices=choices(KEY_AREA_CHOICES), validate_choice=False)
    district = SelectField("范围", choices=choices([("", "全市"), *((d, d) for d in DISTRICTS)]), validate_choice=False)
    starts_at = DateTimeLocalField("活动时间（上海时间）", format=LOCAL_FORMAT, validators=[DataRequired(TIME_MESSAGE)])
    place = StringField("地点", validators=[Length(max=200, message="地点不能超过 200 字。")])
    capacity = IntegerField("名额（报名产品数）", validators=[DataRequired("请填写名额。")])


class SignupForm(PortalForm):
    product_id = SelectField("报名产品", choices=[], validate_choice=False)
    note = StringField("说明（可选）", validators=[Length(max=500, message="说明不能超过 500 字。")])


class AttendForm(PortalForm):
    department = SelectField("参会科室", choices=choices(DEPARTMENT_CHOICES), validate_choice=False)


class FollowUpForm(PortalForm):
    signup_id = SelectField("产品", choices=[], validate_choice=False)
    outcome = RadioField(
        "后续结果", choices=choices(MatchOutcome.choices()), validators=[DataRequired("请选择后续结果。")]
    )
    note = TextAreaField("说明", validators=[Length(max=1000, message="说明不能超过 1000 字。")])


class SessionActionForm(PortalForm):
    action = HiddenField()
    version = HiddenField()
