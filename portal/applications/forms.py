from wtforms import HiddenField, TextAreaField

from portal.core.forms import PortalForm


class ApplicationForm(PortalForm):
    # "save" keeps a draft (incomplete is fine); "submit" runs the eligibility rules.
    statement = TextAreaField("申报说明（产品的创新性和临床价值）")
    version_id = HiddenField()


class WithdrawForm(PortalForm):
    reason = TextAreaField("撤回原因")
    version_id = HiddenField()
