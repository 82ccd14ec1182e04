"""The one commit of a request or command, with optimistic-locking conflicts turned into a domain error."""

from sqlalchemy.orm.exc import StaleDataError

from portal.core.errors import StaleObject
from portal.extensions import db


def commit_or_stale() -> None:
    """Commit; a concurrent change of a versioned row (version_id) becomes StaleObject ("reload")."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleObject() from None


def parse_version(raw) -> int | None:
    """The version a form was loaded with, or None when missing or garbled."""
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def check_version(obj, expected) -> None:
    """The form carried the version it was loaded with; a different one means someone else acted first."""
    if expected is None or str(expected).strip() == "":
        raise StaleObject("表单缺少版本信息，请刷新页面后重试。")
    try:
        expected = int(expected)
    except (TypeError, ValueError):
        raise StaleObject() from None
    if expected != obj.version_id:
        raise StaleObject()
