"""Form helpers shared by every area."""

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice


class PortalForm(FlaskForm):
    """Every form of the portal: WTForms' own messages in Simplified Chinese (with WTF_I18N_ENABLED off)."""

    class Meta:
        locales = ("zh_CN", "zh")


class ConfirmForm(PortalForm):
    """A POST with only its CSRF token (regenerate, revoke)."""


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as select options."""
    return [SelectChoice(value, label) for value, label in pairs]


def attach_error(form, error) -> None:
    """Show a service's DomainError beside the field it names, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
