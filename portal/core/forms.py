"""Form helpers shared by every area."""

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from portal.core.errors import DomainError, FieldErrors
from portal.core.inputs import MAX_ID


class PortalForm(FlaskForm):
    """Every form of the portal: WTForms' own messages in Simplified Chinese (with WTF_I18N_ENABLED off)."""

    class Meta:
        locales = ("zh_CN", "zh")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self:
            if field.type in ("CSRFTokenField", "HiddenField"):
                # Pages often hold several forms: hidden inputs need no id, and a repeated id is invalid HTML.
                field.render_kw = {**(field.render_kw or {}), "id": False}


def coerce_id(value) -> int:
    """`coerce` of select fields holding record ids: beyond what an id column holds is "not a valid choice"
    (WTForms turns the ValueError into a field error), never a database overflow."""
    number = int(value)
    if not 0 <= number <= MAX_ID:
        raise ValueError(value)
    return number


class ConfirmForm(PortalForm):
    """A POST with only its CSRF token (regenerate, revoke)."""


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as select options."""
    return [SelectChoice(value, label) for value, label in pairs]


def attach_error(form, error) -> None:
    """Show a service's DomainError beside the field it names (each field's, for FieldErrors), or above the form."""
    if isinstance(error, FieldErrors):
        for name, message in error.errors.items():
            attach_error(form, DomainError(message, field=name))
        return
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
