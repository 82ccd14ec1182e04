"""Catalogues: creation and settings."""

from datetime import date

from portal.accounts.models import Role
from portal.audit.services import record
from portal.catalogue.models import Catalogue, Scope
from portal.core import timeutil
from portal.core.errors import DomainError, PermissionDenied
from portal.core.reference import DISTRICTS
from portal.extensions import db
from portal.products.models import ProductType

ALL_PRODUCT_TYPES = tuple(t.value for t in ProductType)


def save_catalogue(
    actor,
    catalogue: Catalogue | None,
    *,
    code: str,
    name: str,
    scope: Scope,
    district: str | None = None,
    deadline_days: int = 30,
    notice_days: int = 7,
    allows_class_one: bool = False,
    allowed_product_types: tuple[str, ...] | list[str] = ALL_PRODUCT_TYPES,
    first_approval_cutoff: date | None = None,
    description: str = "",
) -> Catalogue:
    """Create (catalogue None) or update a catalogue, with its eligibility rules (DESIGN §4).
    `actor` None is the command line."""
    if actor is not None and actor.role is not Role.ADMIN:
        raise PermissionDenied()
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not code.replace("-", "").replace("_", "").isalnum() or not code.isascii():
        raise DomainError("目录代码只能包含英文字母、数字、- 和 _。", field="code")
    if not name:
        raise DomainError("请输入目录名称。", field="name")
    district = (district or "").strip() or None
    if scope is Scope.DISTRICT and district not in DISTRICTS:
        raise DomainError("区级目录必须选择上海市的一个区。", field="district")
    if scope is Scope.CITY:
        district = None
    if deadline_days is None or not 1 <= deadline_days <= 365:
        raise DomainError("评估期限应在 1 到 365 天之间。", field="deadline_days")
    if notice_days is None or not 1 <= notice_days <= 60:
        raise DomainError("公示期应在 1 到 60 天之间。", field="notice_days")
    types = _check_product_types(allowed_product_types)
    if first_approval_cutoff is not None and first_approval_cutoff > timeutil.today_shanghai():
        raise DomainError(
            f"首次获批日期要求 {first_approval_cutoff:%Y-%m-%d} 晚于今天，任何产品都无法申报。",
            field="first_approval_cutoff",
        )
    clash = db.session.scalar(
        db.select(Catalogue.id).where(Catalogue.code == code, Catalogue.id != (catalogue.id if catalogue else -1))
    )
    if clash:
        raise DomainError(f"目录代码 {code} 已被使用。", field="code")
    is_new = catalogue is None
    catalogue = catalogue or Catalogue()
    catalogue.code, catalogue.name, catalogue.scope, catalogue.district = code, name, scope, district
    catalogue.deadline_days, catalogue.notice_days = deadline_days, notice_days
    catalogue.allows_class_one, catalogue.description = allows_class_one, description
    catalogue.allowed_product_types, catalogue.first_approval_cutoff = types, first_approval_cutoff
    db.session.add(catalogue)
    record(
        "catalogue.created" if is_new else "catalogue.updated",
        actor=actor,
        obj=catalogue,
        data={
            "deadline_days": deadline_days,
            "notice_days": notice_days,
            "allows_class_one": allows_class_one,
            "allowed_product_types": types,
            "first_approval_cutoff": first_approval_cutoff.isoformat() if first_approval_cutoff else None,
        },
    )
    return catalogue


def _check_product_types(values) -> list[str]:
    chosen = [v.strip() for v in values or () if v and v.strip()]
    unknown = [v for v in chosen if v not in ALL_PRODUCT_TYPES]
    if unknown:
        allowed = "、".join(f"{t.value}（{t.label}）" for t in ProductType)
        raise DomainError(f"产品类型「{'、'.join(unknown)}」无法识别，应为 {allowed}。", field="allowed_product_types")
    if not chosen:
        raise DomainError("请至少选择一种可申报的产品类型。", field="allowed_product_types")
    return [t for t in ALL_PRODUCT_TYPES if t in chosen]  # stored in one order


def get_by_code(code: str) -> Catalogue | None:
    return db.session.scalar(db.select(Catalogue).where(Catalogue.code == code))


def entry_from_product(product, batch, listed_on, application=None):
    """A new Entry freezing what is published about `product` (the caller adds it to the session)."""
    from portal.catalogue.models import Entry

    return Entry(
        catalogue_id=batch.catalogue_id,
        batch=batch,
        product=product,
        application=application,
        listed_on=listed_on,
        product_name=product.name,
        model=product.model,
        registration_no=product.registration_no,
        manufacturer=product.company.name,
        product_type=product.product_type.value,
        device_class=product.device_class.value if product.device_class else None,
        key_area=product.key_area,
        departments=list(product.departments or []),
        innovative_review=product.innovative_review.value,
        indications=product.indications,
        description=product.description,
    )
