from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.assessments.models import EventKind, Outcome
from portal.assessments.services import COMMITTEES, LOGGABLE_EVENTS
from portal.core.forms import PortalForm, choices


class EventForm(PortalForm):
    kind = SelectField("记录类型", choices=choices((k.value, k.label) for k in LOGGABLE_EVENTS))
    occurred_on = DateField("日期", validators=[DataRequired("请填写日期（格式 YYYY-MM-DD）。")])
    committee = SelectField("审议机构（委员会审议时）", choices=choices((c, c) for c in COMMITTEES))
    note = TextAreaField("说明", validators=[Optional(), Length(max=2000, message="说明不能超过 2000 字。")])
    version = HiddenField()


class DecisionForm(PortalForm):
    outcome = RadioField("评估结论", choices=choices(Outcome.choices()), validators=[DataRequired("请选择评估结论。")])
    reason = TextAreaField(
        "理由（暂不配备、不适用时必填）",
        validators=[Optional(), Length(max=2000, message="理由不能超过 2000 字。")],
    )
    version = HiddenField()


class BulkForm(PortalForm):
    reason = StringField("不适用理由", validators=[Optional(), Length(max=2000, message="理由不能超过 2000 字。")])


__all__ = ["BulkForm", "DecisionForm", "EventForm", "EventKind"]
