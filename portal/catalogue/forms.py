"""Forms of a batch's lifecycle and of delisting an entry."""

from wtforms import DateField, DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from portal.core.forms import PortalForm, coerce_id

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class BatchForm(PortalForm):
    catalogue_id = SelectField("目录", coerce=coerce_id, validate_choice=False)
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


class DelistForm(PortalForm):
    reason = TextAreaField("调出原因", validators=[DataRequired("请填写调出原因。"), Length(max=2000)])
    delisted_on = DateField("调出日期", validators=[InputRequired("请填写调出日期。")])
