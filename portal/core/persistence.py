"""The one commit of a request or command, with optimistic-locking conflicts turned into a domain error."""

from sqlalchemy import text
from sqlalchemy.orm.exc import StaleDataError

from portal.core.errors import NotFound, StaleObject
from portal.extensions import db


def commit_or_stale() -> None:
    """Commit; a concurrent change of a versioned row (version_id) becomes StaleObject ("reload")."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleObject() from None


def get_or_not_found(model, object_id: int):
    """The row with this primary key, or NotFound (the caller has already checked who may ask)."""
    found = db.session.get(model, object_id)
    if found is None:
        raise NotFound()
    return found


def parse_version(raw) -> int | None:
    """The version a form was loaded with, or None when missing or garbled."""
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def check_version(obj, expected, *, required: bool = True) -> None:
    """The one version check: `expected` is the version_id the form or request was loaded with; another one
    (or a garbled one) means someone else acted first. A missing version is stale too, unless the caller says
    it may be left out (`required=False`: the API's optional field, services called on what was just loaded)."""
    if expected is None or str(expected).strip() == "":
        if required:
            raise StaleObject("表单缺少版本信息，请刷新页面后重试。")
        return
    try:
        expected = int(expected)
    except (TypeError, ValueError):
        raise StaleObject() from None
    if expected != obj.version_id:
        raise StaleObject()


def database_answers() -> bool:
    """The health check's question; any failure of the database means no (the session is left usable)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # unreachable, refused, timed out: all unhealthy
        db.session.rollback()
        return False
    return True
