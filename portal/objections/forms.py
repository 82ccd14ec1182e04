"""The public objection form and the reviewer's resolution of an objection."""

from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.core.forms import PortalForm, choices
from portal.objections import services


class ResolveForm(PortalForm):
    version_id = HiddenField()
    decision = SelectField(
        "处理结果",
        choices=choices([("", "（请选择）"), ("dismiss", "异议不成立"), ("uphold", "异议成立（该申报不予列入）")]),
        validators=[DataRequired("请选择处理结果。")],
    )
    resolution = TextAreaField("处理意见", validators=[DataRequired("请填写处理意见或理由。"), Length(max=4000)])


def _name(form, field):
    problem = services.name_problem(field.data)
    if problem:
        raise ValidationError(problem)


def _phone(form, field):
    if services.normalise_phone(field.data) is None:
        raise ValidationError(services.PHONE_HINT)


def _reason(form, field):
    problem = services.reason_problem(field.data)
    if problem:
        raise ValidationError(problem)


class ObjectionForm(PortalForm):
    application_id = SelectField("异议对象（公示产品）", validators=[DataRequired("请选择异议针对的产品。")])
    name = StringField("姓名（实名）", validators=[_name])
    phone = StringField("联系电话", validators=[_phone])
    organisation = StringField("工作单位（可选）", validators=[Optional(), Length(max=128)])
    reason = TextAreaField("异议事实和理由", validators=[_reason, Length(max=5000)])
    evidence = FileField("证明材料（可选，PDF）")
