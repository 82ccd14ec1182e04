from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.core.forms import PortalForm


class SynonymForm(PortalForm):
    term = StringField("检索词", validators=[DataRequired("请输入检索词。"), Length(max=64)])
    expansions = TextAreaField(
        "同义词（每行一个，也可用逗号、顿号分隔）", validators=[DataRequired("请至少填写一个同义词。")]
    )
