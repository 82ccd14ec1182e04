"""Products: a company's master records, checked on input (DESIGN §3), and their attachments."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from portal.accounts.models import Role
from portal.audit.labels import field_changes
from portal.audit.services import record
from portal.core import timeutil
from portal.core.errors import DomainError, FieldErrors, NotFound
from portal.core.persistence import check_version
from portal.core.reference import DEPARTMENTS, DEVICE_KEY_AREAS, DRUG_KEY_AREAS, KEY_AREAS
from portal.extensions import db
from portal.products.identifiers import (
    IVD_CATEGORY_CODE,
    KIND_DEVICE,
    KIND_DRUG,
    KIND_FILING,
    OLD_CATALOGUE_LAST_YEAR,
    IdentifierError,
    RegistrationNo,
    parse_registration_no,
)
from portal.products.models import DeviceClass, InnovativeReview, Product, ProductType, Track
from portal.products.permissions import can_edit_product
from portal.products.signals import attachment_kinds_asked, product_changed

DEFAULT_ATTACHMENT_KINDS = ("注册证", "创新性证明材料", "临床价值证明材料")
TEXT_LIMITS = {"name": 200, "model": 500, "insurance_code": 64}
MAX_PRICE = Decimal("999999999999.99")


class ProductInvalid(FieldErrors):
    """The product's fields that are wrong, each with its message."""


@dataclass
class ProductInput:
    """What a product form (or an import) gives; strings as typed, the service checks and normalises."""

    name: str = ""
    model: str = ""
    product_type: str = ""
    registration_no: str = ""
    device_class: str = ""  # "" = take it from the number
    first_approved_on: date | None = None
    key_area: str = ""
    departments: tuple = ()
    indications: str = ""
    description: str = ""
    innovative_review: str = InnovativeReview.NONE.value
    track: str = Track.INNOVATIVE.value
    price: Decimal | str | None = None
    insurance_code: str = ""


def attachment_kinds() -> list[str]:
    """The kinds a company can upload: the usual three plus whatever a catalogue requires."""
    kinds = list(DEFAULT_ATTACHMENT_KINDS)
    for _, required in attachment_kinds_asked.send():
        for kind in required or ():
            if kind not in kinds:
                kinds.append(kind)
    return kinds


def check_type_and_class(
    parsed: RegistrationNo, product_type: ProductType | None, device_class: DeviceClass | None
) -> tuple[dict[str, str], DeviceClass | None]:
    """The product type and class must agree with what the number says; returns (errors, class to store)."""
    errors: dict[str, str] = {}
    number = parsed.normalised
    if parsed.kind == KIND_DRUG:
        allowed = {ProductType.DRUG} | ({ProductType.IVD} if parsed.category_code == "T" else set())
        if product_type is not None and product_type not in allowed:
            errors["product_type"] = (
                f"「{number}」是药品批准文号，产品类别应为「药品」，而不是「{product_type.label}」。"
            )
        if device_class is not None:
            errors["device_class"] = "药品没有医疗器械管理类别，请选择「根据编号识别」。"
        return errors, None
    implied = DeviceClass(parsed.device_class)
    if product_type is ProductType.DRUG:
        kind = "第一类医疗器械备案号" if parsed.kind == KIND_FILING else "医疗器械注册证编号"
        errors["product_type"] = f"「{number}」是{kind}，药品应填写药品批准文号（国药准字）。"
    elif parsed.kind == KIND_DEVICE:
        # Until 2018 code 40 (6840) also covered clinical laboratory instruments, so either type fits.
        old_catalogue = parsed.year <= OLD_CATALOGUE_LAST_YEAR
        if parsed.category_code == IVD_CATEGORY_CODE and product_type is ProductType.DEVICE and not old_catalogue:
            errors["product_type"] = f"「{number}」的分类编码为40（体外诊断试剂），产品类别应为「体外诊断试剂」。"
        if parsed.category_code != IVD_CATEGORY_CODE and product_type is ProductType.IVD:
            errors["product_type"] = (
                f"「{number}」的分类编码为{parsed.category_code}，不是体外诊断试剂（40），产品类别应为「医疗器械」。"
            )
    if device_class is not None and device_class is not implied:
        errors["device_class"] = (
            f"管理类别与编号不一致：「{number}」表示{implied.label}医疗器械，您选择的是{device_class.label}。"
        )
    return errors, implied


def _enum(enum_cls, value, field, label, errors, required=True):
    value = (value or "").strip() if isinstance(value, str) else value
    if not value:
        if required:
            errors[field] = f"请选择{label}。"
        return None
    try:
        return enum_cls(value)
    except ValueError:
        errors[field] = f"{label}「{value}」无效，请从列表中选择。"
        return None


def _price(raw, errors) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = Decimal(str(raw).strip().replace(",", "").replace("，", ""))
    except InvalidOperation:
        errors["price"] = f"价格「{raw}」不是有效的数字。"
        return None
    if not value.is_finite() or value < 0 or value > MAX_PRICE:
        errors["price"] = "价格应为不小于 0 的金额（元）。"
        return None
    return value.quantize(Decimal("0.01"))


def clean_product(data: ProductInput, today: date | None = None) -> dict:
    """Check every field; returns model values, or raises ProductInvalid naming each wrong field."""
    today = today or timeutil.today_shanghai()
    errors: dict[str, str] = {}
    values: dict = {}
    for field in ("name", "model", "indications", "description", "insurance_code"):
        values[field] = (getattr(data, field) or "").strip()
    for field, limit in TEXT_LIMITS.items():
        if len(values[field]) > limit:
            errors[field] = f"最多 {limit} 个字符（现为 {len(values[field])} 个）。"
    if not values["name"]:
        errors["name"] = "请填写产品名称。"
    if not values["indications"]:
        errors["indications"] = "请填写适用范围。"

    product_type = _enum(ProductType, data.product_type, "product_type", "产品类别", errors)
    chosen_class = _enum(DeviceClass, data.device_class, "device_class", "管理类别", errors, required=False)
    values["product_type"] = product_type

    parsed = None
    if not (data.registration_no or "").strip():
        errors["registration_no"] = "请填写注册证编号、备案号或药品批准文号。"
    else:
        try:
            parsed = parse_registration_no(data.registration_no, today=today, allow_class_one=True)
        except IdentifierError as exc:
            errors["registration_no"] = exc.message
    if parsed is not None:
        values["registration_no"] = parsed.normalised
        agreement, device_class = check_type_and_class(parsed, product_type, chosen_class)
        for field, message in agreement.items():
            errors.setdefault(field, message)
        values["device_class"] = device_class

    approved = data.first_approved_on
    if approved is None:
        errors["first_approved_on"] = "请填写首次获批日期。"
    elif approved > today:
        errors["first_approved_on"] = f"首次获批日期 {approved.isoformat()} 晚于今天。"
    elif parsed is not None and parsed.year is not None and approved.year != parsed.year:
        errors["first_approved_on"] = (
            f"首次获批日期为{approved.year}年，而编号「{parsed.normalised}」表示首次注册（备案）年份为{parsed.year}年，"
            "请核对。"
        )
    values["first_approved_on"] = approved

    key_area = (data.key_area or "").strip() or None
    if key_area is not None:
        if key_area not in KEY_AREAS:
            errors["key_area"] = f"重点领域「{key_area}」不在行动方案的列表中。"
        elif product_type is ProductType.DRUG and key_area not in DRUG_KEY_AREAS:
            errors["key_area"] = f"药品的重点领域只能是{'或'.join(DRUG_KEY_AREAS)}。"
        elif product_type in (ProductType.DEVICE, ProductType.IVD) and key_area not in DEVICE_KEY_AREAS:
            errors["key_area"] = f"「{key_area}」是药品的领域，医疗器械请选择器械重点领域。"
    values["key_area"] = key_area

    departments = []
    for name in data.departments or ():
        name = (name or "").strip()
        if name not in DEPARTMENTS:
            errors["departments"] = f"适用科室「{name}」不在科室列表中。"
        elif name not in departments:
            departments.append(name)
    if not departments and "departments" not in errors:
        errors["departments"] = "请至少选择一个适用科室。"
    values["departments"] = departments

    values["innovative_review"] = _enum(
        InnovativeReview, data.innovative_review, "innovative_review", "创新医疗器械特别审查", errors
    )
    if product_type is ProductType.DRUG and values["innovative_review"] not in (None, InnovativeReview.NONE):
        errors["innovative_review"] = "创新医疗器械特别审查程序只适用于医疗器械，药品请选择「否」。"
    values["track"] = _enum(Track, data.track, "track", "申报类型", errors)
    values["price"] = _price(data.price, errors)
    if errors:
        raise ProductInvalid(errors)
    return values


def _check_duplicate(company_id: int, registration_no: str, product_id: int | None) -> None:
    clash = db.session.scalar(
        select(Product).where(
            Product.company_id == company_id,
            Product.registration_no == registration_no,
            Product.id != (product_id or -1),
        )
    )
    if clash is not None:
        raise ProductInvalid({"registration_no": f"贵公司已登记编号为「{registration_no}」的产品「{clash.name}」。"})


def _require_company_user(actor):
    if getattr(actor, "role", None) is not Role.MANUFACTURER or actor.company_id is None:
        raise NotFound()


def create_product(actor, data: ProductInput) -> Product:
    """A new product of the actor's company; the caller commits."""
    _require_company_user(actor)
    values = clean_product(data)
    _check_duplicate(actor.company_id, values["registration_no"], None)
    product = Product(company_id=actor.company_id, **values)
    db.session.add(product)
    db.session.flush()
    record("product.created", actor=actor, obj=product, data={"registration_no": product.registration_no})
    return product


def update_product(actor, product: Product, data: ProductInput, version: int | None) -> Product:
    """Change a product; `version` is the version_id the form was loaded with. The caller commits."""
    if not can_edit_product(actor, product):
        raise NotFound()
    check_version(product, version, required=False)
    values = clean_product(data)
    _check_duplicate(product.company_id, values["registration_no"], product.id)
    changed = field_changes(product, values)
    for key, value in values.items():
        setattr(product, key, value)
    if changed:
        record("product.updated", actor=actor, obj=product, data={"fields": sorted(changed), "changes": changed})
        product_changed.send(product, fields=sorted(changed))
    return product


def get_own_product(actor, product_id: int) -> Product:
    """The actor's company's product, or NotFound (also for another company's product)."""
    product = db.session.get(Product, product_id)
    if product is None or not can_edit_product(actor, product):
        raise NotFound()
    return product


def save_product(actor, product: Product | None, data: ProductInput, version, uploads: dict) -> Product:
    """Create (product None) or change a product with the files chosen on its form ({field: (upload, kind)})."""
    if product is None:
        product = create_product(actor, data)
    else:
        update_product(actor, product, data, version)
    for field, (upload, kind) in uploads.items():
        if upload is not None and getattr(upload, "filename", ""):
            add_attachment(actor, product, upload, kind, field=field)
    return product


def add_attachment(actor, product: Product, upload, kind: str, field: str = "file"):
    """Upload one PDF to the product; the caller commits."""
    from portal.products.storage import store_pdf

    if not can_edit_product(actor, product):
        raise NotFound()
    kind = (kind or "").strip()
    if kind not in attachment_kinds():
        raise DomainError("请从列表中选择附件类型。", field="kind")
    attachment = store_pdf(actor, upload, kind, product=product, field=field)
    record(
        "attachment.uploaded",
        actor=actor,
        obj=attachment,
        data={"product_id": product.id, "kind": kind, "sha256": attachment.sha256, "size": attachment.size},
    )
    _supersede(actor, product, attachment)
    return attachment


def _supersede(actor, product: Product, new) -> None:
    """A new file of a kind replaces the current one; the old stays for the rounds that included it."""
    db.session.flush()
    for old in product.current_attachments:
        if old.kind == new.kind and old.id != new.id:
            old.retired_at = timeutil.utcnow()
            old.superseded_by_id = new.id
            record("attachment.superseded", actor=actor, obj=old, data={"product_id": product.id, "by": new.id})


def retire_attachment(actor, attachment) -> None:
    """Take a file off the product; it stays for the submission rounds that included it."""
    product = attachment.product
    if product is None or not can_edit_product(actor, product):
        raise NotFound()
    if attachment.retired_at is not None:
        return
    attachment.retired_at = timeutil.utcnow()
    record("attachment.retired", actor=actor, obj=attachment, data={"product_id": product.id})
