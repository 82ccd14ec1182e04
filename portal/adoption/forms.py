from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.adoption.models import ProcurementRoute
from portal.core.forms import PortalForm, choices


class EquipForm(PortalForm):
    equipped_on = DateField("配备日期", validators=[DataRequired("请填写配备日期（格式 YYYY-MM-DD）。")])
    route = SelectField("采购方式", choices=choices(ProcurementRoute.choices()))
    note = StringField("备注", validators=[Optional(), Length(max=500, message="备注不能超过 500 字。")])


class UsageForm(PortalForm):
    month = StringField("月份", validators=[DataRequired("请填写月份（格式 YYYY-MM）。")])
    uses = IntegerField(
        "使用例数",
        validators=[
            InputRequired("请填写使用例数（整数，没有使用填 0）。"),
            NumberRange(min=0, message="使用例数不能为负数。"),
        ],
    )


class MonthForm(PortalForm):
    """The bulk form: one month; the counts come as uses_<assessment id> fields."""

    month = StringField("月份", validators=[DataRequired("请填写月份（格式 YYYY-MM）。")])


class ConfirmForm(PortalForm):
    """A POST with only its CSRF token (催办)."""
