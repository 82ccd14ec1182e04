from flask_wtf.file import FileField
from wtforms import (
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import Optional

from portal.core.forms import PortalForm, choices
from portal.core.reference import DEPARTMENTS, DEVICE_KEY_AREAS, DRUG_KEY_AREAS
from portal.products.models import DeviceClass, InnovativeReview, ProductType, Track

# Optional uploads on the product form itself: field name -> attachment kind.
FORM_UPLOADS = {
    "upload_certificate": "注册证",
    "upload_innovation": "创新性证明材料",
    "upload_clinical": "临床价值证明材料",
}


class CheckboxListField(SelectMultipleField):
    """A multi-select shown as a list of check boxes (37 departments are easier to tick than ctrl-click)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ProductForm(PortalForm):
    # The service checks every field (and says which is wrong); the form only parses.
    name = StringField("产品名称")
    model = StringField("型号规格")
    product_type = SelectField("产品类别", choices=choices([("", "（请选择）")] + ProductType.choices()))
    registration_no = StringField("注册证编号 / 备案号 / 药品批准文号")
    device_class = SelectField(
        "管理类别",
        choices=choices(
            [("", "根据编号识别")] + [(c.value, c.label) for c in (DeviceClass.II, DeviceClass.III, DeviceClass.I)]
        ),
    )
    first_approved_on = DateField("首次获批日期", validators=[Optional()])
    key_area = SelectField(
        "重点领域",
        choices=choices(
            [("", "（不属于重点领域）")]
            + [(a, f"{a}（器械）") for a in DEVICE_KEY_AREAS]
            + [(a, f"{a}（药品）") for a in DRUG_KEY_AREAS]
        ),
    )
    departments = CheckboxListField("适用科室", choices=choices((d, d) for d in DEPARTMENTS), validate_choice=False)
    indications = TextAreaField("适用范围")
    description = TextAreaField("产品描述")
    innovative_review = SelectField("是否通过创新医疗器械特别审查程序", choices=choices(InnovativeReview.choices()))
    track = SelectField("申报类型", choices=choices(Track.choices()))
    price = StringField("价格（元，可不填）")
    insurance_code = StringField("医保编码（可不填）")
    version_id = HiddenField()
    upload_certificate = FileField("注册证（PDF，可稍后上传）")
    upload_innovation = FileField("创新性证明材料（PDF，可稍后上传）")
    upload_clinical = FileField("临床价值证明材料（PDF，可稍后上传）")


class AttachmentForm(PortalForm):
    kind = SelectField("附件类型", validate_choice=False)
    file = FileField("PDF 文件")
