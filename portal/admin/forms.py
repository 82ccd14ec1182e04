from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.accounts.models import Role
from portal.catalogue.models import Scope
from portal.core.forms import PortalForm, choices, coerce_id
from portal.core.reference import DISTRICTS
from portal.directory.models import HospitalLevel
from portal.products.models import ProductType

DISTRICT_CHOICES = [("", "（请选择）")] + [(d, d) for d in DISTRICTS]


class UserForm(PortalForm):
    email = EmailField("邮箱", validators=[DataRequired("请输入邮箱。"), Length(max=254)])
    name = StringField("姓名", validators=[Optional(), Length(max=64)])
    role = SelectField("角色", choices=choices(Role.choices()))
    company_id = SelectField("所属企业（企业用户）", coerce=coerce_id, validate_choice=False)
    hospital_id = SelectField("所属医疗机构（医院用户）", coerce=coerce_id, validate_choice=False)
    catalogue_ids = SelectMultipleField("负责目录（审核人员）", coerce=coerce_id, validate_choice=False)
    password = PasswordField("初始密码", validators=[Optional()])
    active = BooleanField("启用", default=True)


class CompanyForm(PortalForm):
    uscc = StringField("统一社会信用代码", validators=[DataRequired("请输入统一社会信用代码。")])
    name = StringField("企业名称", validators=[DataRequired("请输入企业名称。"), Length(max=128)])
    short_name = StringField("简称", validators=[Optional(), Length(max=32)])
    district = SelectField("所在区", choices=choices([("", "（上海市外）")] + [(d, d) for d in DISTRICTS]))
    address = StringField("地址", validators=[Optional(), Length(max=256)])
    contact_name = StringField("联系人", validators=[Optional(), Length(max=64)])
    contact_phone = StringField("联系电话", validators=[Optional(), Length(max=32)])


class HospitalForm(PortalForm):
    name = StringField("医疗机构名称", validators=[DataRequired("请输入名称。"), Length(max=128)])
    district = SelectField("所在区", choices=choices(DISTRICT_CHOICES))
    level = SelectField("级别", choices=choices(HospitalLevel.choices()))
    is_public = BooleanField("公立医疗机构")


class CatalogueForm(PortalForm):
    code = StringField("目录代码", validators=[DataRequired("请输入目录代码。"), Length(max=32)])
    name = StringField("目录名称", validators=[DataRequired("请输入目录名称。"), Length(max=128)])
    scope = SelectField("范围", choices=choices(Scope.choices()))
    district = SelectField("所属区（区级目录）", choices=choices(DISTRICT_CHOICES))
    # InputRequired, not DataRequired: 0 is an entry (out of range), not a missing one.
    deadline_days = IntegerField(
        "入院评估期限（天）",
        default=30,
        validators=[
            InputRequired("请输入评估期限（1 到 365 天）。"),
            NumberRange(1, 365, "评估期限应在 1 到 365 天之间。"),
        ],
    )
    notice_days = IntegerField(
        "公示期（天）",
        default=7,
        validators=[InputRequired("请输入公示期（1 到 60 天）。"), NumberRange(1, 60, "公示期应在 1 到 60 天之间。")],
    )
    allows_class_one = BooleanField("接受第一类备案产品")
    allowed_product_types = SelectMultipleField(
        "可申报的产品类型",
        choices=choices(ProductType.choices()),
        default=[t.value for t in ProductType],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validate_choice=False,  # the service names an unknown type
    )
    first_approval_cutoff = DateField("首次获批日期不早于", validators=[Optional()])
    description = TextAreaField("说明", validators=[Optional()])
