"""Forms of the reviewer's workflow and of the public objection."""

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from portal.core.forms import PortalForm, choices
from portal.review import services
from portal.review.models import Recommendation

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class BatchForm(PortalForm):
    catalogue_id = SelectField("目录", coerce=int, validate_choice=False)
    name = StringField("批次名称", validators=[DataRequired("请填写批次名称，例如「第七批」。"), Length(max=64)])
    opens_at = DateTimeLocalField(
        "征集开始时间", format=LOCAL_FORMAT, validators=[InputRequired("请填写征集开始时间（上海时间）。")]
    )
    closes_at = DateTimeLocalField(
        "征集截止时间", format=LOCAL_FORMAT, validators=[InputRequired("请填写征集截止时间（上海时间）。")]
    )


class WindowForm(PortalForm):
    version_id = HiddenField()
    opens_at = DateTimeLocalField(
        "征集开始时间", format=LOCAL_FORMAT, validators=[InputRequired("请填写征集开始时间（上海时间）。")]
    )
    closes_at = DateTimeLocalField(
        "征集截止时间", format=LOCAL_FORMAT, validators=[InputRequired("请填写征集截止时间（上海时间）。")]
    )


class AdvanceForm(PortalForm):
    version_id = HiddenField()
    action = HiddenField()


class PassForm(PortalForm):
    version_id = HiddenField()
    comment = TextAreaField("审查意见（可选）", validators=[Optional(), Length(max=2000)])


class ReturnForm(PortalForm):
    version_id = HiddenField()
    comment = TextAreaField("退回修改意见", validators=[DataRequired("退回修改必须填写修改意见。"), Length(max=2000)])


class RejectForm(PortalForm):
    version_id = HiddenField()
    reason = TextAreaField("不予通过理由", validators=[DataRequired("不予通过必须填写理由。"), Length(max=2000)])


class RecommendForm(PortalForm):
    version_id = HiddenField()
    comment = TextAreaField("推荐意见（可选）", validators=[Optional(), Length(max=2000)])


class ExpertReviewForm(PortalForm):
    version_id = HiddenField()
    expert_name = StringField("专家姓名", validators=[DataRequired("请填写专家姓名。"), Length(max=64)])
    recused = BooleanField("申明回避（与申报企业存在利益冲突，意见不计入）")
    score = IntegerField("评分（1–5）", validators=[Optional(), NumberRange(1, 5, "评分应为 1 到 5 分。")])
    recommendation = SelectField(
        "推荐意见", choices=choices([("", "（请选择）")] + Recommendation.choices()), validate_choice=False
    )
    comment = TextAreaField("评审意见", validators=[Optional(), Length(max=4000)])

    def validate_score(self, field):
        if not self.recused.data and field.data is None and not field.errors:
            raise ValidationError("请填写评分（1–5 分）；如专家申明回避，请勾选「申明回避」。")

    def validate_recommendation(self, field):
        if not self.recused.data and not field.data:
            raise ValidationError("请选择专家的推荐意见。")


class ResolveForm(PortalForm):
    version_id = HiddenField()
    decision = SelectField(
        "处理结果",
        choices=choices([("", "（请选择）"), ("dismiss", "异议不成立"), ("uphold", "异议成立（该申报不予列入）")]),
        validators=[DataRequired("请选择处理结果。")],
    )
    resolution = TextAreaField("处理意见", validators=[DataRequired("请填写处理意见或理由。"), Length(max=4000)])


class DelistForm(PortalForm):
    reason = TextAreaField("调出原因", validators=[DataRequired("请填写调出原因。"), Length(max=2000)])
    delisted_on = DateField("调出日期", validators=[InputRequired("请填写调出日期。")])


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
