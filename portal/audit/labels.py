"""An edit in words: each changed field, before → after, as a reader would write the values.

Services record it with the audit event (`data["changes"]`); `portal.admin.audit_labels` turns whole events
into words for the histories and the audit log.
"""

from datetime import date
from decimal import Decimal
from enum import Enum


def shown(value) -> str:
    """A stored value as a reader would write it."""
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Enum):
        return getattr(value, "label", str(value))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple):
        return "、".join(map(str, value)) or "（空）"
    return str(value)


def field_changes(obj, values: dict) -> dict[str, list[str]]:
    """{field: [before, after]} for the values that differ from the object's; call before assigning them."""
    return {k: [shown(getattr(obj, k)), shown(v)] for k, v in values.items() if getattr(obj, k) != v}
