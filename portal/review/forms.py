"""Forms of the reviewer's decisions on an application."""

from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal.core.forms import PortalForm, choices
from portal.review.models import Recommendation


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
