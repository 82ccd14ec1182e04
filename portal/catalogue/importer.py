"""Loading an already published batch from a spreadsheet (`flask catalogue import`, DESIGN §6).

The whole file is checked before anything is written, and a file with any bad row imports nothing; each error
names the row and the column. Companies are found by 统一社会信用代码, products by (company, registration
number), entries by (batch, product), so importing the same file twice changes nothing.
"""

import re
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from portal.accounts.models import Role
from portal.audit.services import record
from portal.catalogue.models import Batch, Catalogue, Entry, EntryStatus
from portal.catalogue.services import entry_from_product
from portal.catalogue.signals import batch_listed
from portal.core import timeutil
from portal.core.actors import is_system
from portal.core.errors import DomainError, PermissionDenied
from portal.core.outbox import ENTRY, queue
from portal.core.reference import KEY_AREAS
from portal.core.tabular import Row, RowError, TableErrors, read_table
from portal.directory.identifiers import validate_uscc
from portal.directory.models import Company
from portal.extensions import db
from portal.products.identifiers import (
    IVD_CATEGORY_CODE,
    KIND_DRUG,
    KIND_FILING,
    IdentifierError,
    parse_registration_no,
)
from portal.products.models import DeviceClass, InnovativeReview, Product, ProductType
from portal.workflow import BATCH, BatchState, transition

COLUMNS = (
    "产品名称",
    "型号规格",
    "注册证编号",
    "注册人",
    "统一社会信用代码",
    "产品类别",
    "管理类别",
    "适用科室",
    "是否创新医疗器械",
    "获批日期",
    "适用范围",
    "产品描述",
)
# DESIGN §6: a header 重点领域 means 产品类别.
ALIASES = {"重点领域": "产品类别"}

CLASS_WORDS = {
    "I": DeviceClass.I,
    "II": DeviceClass.II,
    "III": DeviceClass.III,
    "1": DeviceClass.I,
    "2": DeviceClass.II,
    "3": DeviceClass.III,
    "一类": DeviceClass.I,
    "二类": DeviceClass.II,
    "三类": DeviceClass.III,
    "第一类": DeviceClass.I,
    "第二类": DeviceClass.II,
    "第三类": DeviceClass.III,
    "Ⅰ": DeviceClass.I,
    "Ⅱ": DeviceClass.II,
    "Ⅲ": DeviceClass.III,
    "Ⅰ类": DeviceClass.I,
    "Ⅱ类": DeviceClass.II,
    "Ⅲ类": DeviceClass.III,
    "II类": DeviceClass.II,
    "III类": DeviceClass.III,
}
YES = {"是", "Y", "YES", "TRUE", "1", "国家", "国家级"}
NO = {"", "否", "N", "NO", "FALSE", "0"}


@dataclass
class ParsedRow:
    number: int
    uscc: str
    company_name: str
    name: str
    model: str
    registration_no: str
    product_type: ProductType
    device_class: DeviceClass | None
    key_area: str | None
    departments: list
    innovative_review: InnovativeReview
    first_approved_on: date | None
    indications: str
    description: str


@dataclass
class ImportResult:
    batch: Batch | None = None
    batch_created: bool = False
    companies: int = 0
    products: int = 0
    entries: int = 0
    unchanged: int = 0
    assessments: int = 0
    entry_ids: list = field(default_factory=list)


def _innovative(row: Row, column: str) -> InnovativeReview:
    text = row.get(column, "").strip().upper()
    if text in NO:
        return InnovativeReview.NONE
    if "上海" in text or text in {"市级", "沪"}:
        return InnovativeReview.SHANGHAI
    if text in YES or "国家" in text or text.startswith("是"):
        return InnovativeReview.NATIONAL
    raise RowError(row.number, column, f"「{row.get(column)}」无法识别，应为 是、否、国家 或 上海")


def parse_row(row: Row, catalogue: Catalogue, today: date) -> ParsedRow:
    name = row.require("产品名称")
    if len(name) > 200:
        raise RowError(row.number, "产品名称", "不能超过 200 个字符")
    company_name = row.require("注册人")
    try:
        uscc = validate_uscc(row.require("统一社会信用代码"))
    except IdentifierError as exc:
        raise RowError(row.number, "统一社会信用代码", exc.message) from None
    try:
        reg = parse_registration_no(row.require("注册证编号"), today, allow_class_one=catalogue.allows_class_one)
    except IdentifierError as exc:
        raise RowError(row.number, "注册证编号", exc.message) from None
    if reg.kind == KIND_DRUG:
        product_type, device_class = ProductType.DRUG, None
    else:
        product_type = ProductType.IVD if reg.category_code == IVD_CATEGORY_CODE else ProductType.DEVICE
        device_class = DeviceClass(reg.device_class)
    class_text = row.get("管理类别", "").strip()
    if class_text:
        stated = CLASS_WORDS.get(class_text.replace(" ", "").upper().replace("Ｉ", "I"))
        if reg.kind == KIND_DRUG:
            raise RowError(row.number, "管理类别", "药品没有医疗器械管理类别，请留空")
        if stated is None:
            raise RowError(row.number, "管理类别", f"「{class_text}」无法识别，应为 II 或 III（第二类、第三类）")
        if stated is not device_class:
            source = "备案号" if reg.kind == KIND_FILING else "注册证编号"
            raise RowError(
                row.number, "管理类别", f"填写为{stated.label}，但{source}表明是{device_class.label}医疗器械"
            )
    key_area = row.get("产品类别", "").strip() or None
    if key_area and key_area not in KEY_AREAS:
        raise RowError(row.number, "产品类别", f"「{key_area}」不是目录的产品类别，应为：{'、'.join(KEY_AREAS)}")
    departments = [d.strip() for d in re.split(r"[、,，;；/\n]+", row.get("适用科室", "")) if d.strip()]
    return ParsedRow(
        number=row.number,
        uscc=uscc,
        company_name=company_name,
        name=name,
        model=row.get("型号规格", "").strip(),
        registration_no=reg.normalised,
        product_type=product_type,
        device_class=device_class,
        key_area=key_area,
        departments=list(dict.fromkeys(departments)),
        innovative_review=_innovative(row, "是否创新医疗器械"),
        first_approved_on=row.date("获批日期", not_after=today),
        indications=row.get("适用范围", "").strip(),
        description=row.get("产品描述", "").strip(),
    )


@dataclass
class BatchPlan:
    """A checked file: what `import_batch` would write (nothing is written to check it)."""

    catalogue: Catalogue
    batch: Batch | None  # None: the batch will be created
    batch_name: str
    published_on: date | None
    rows: list[ParsedRow]


def can_import(user, catalogue: Catalogue) -> bool:
    """Administrators, and the reviewers of the catalogue (a system actor, e.g. the command line, always may)."""
    if is_system(user) or getattr(user, "role", None) is Role.ADMIN:  # None: refused
        return True
    return getattr(user, "role", None) is Role.REVIEWER and any(c.id == catalogue.id for c in user.catalogues)


def check_batch(
    actor, path: str, *, catalogue_code: str, batch_name: str, published_on: date | None = None
) -> BatchPlan:
    """Check the options and every row of the file; raises DomainError (TableErrors: every bad row)."""
    catalogue = db.session.scalar(sa.select(Catalogue).where(Catalogue.code == catalogue_code))
    if catalogue is None:
        raise DomainError(f"没有代码为 {catalogue_code} 的目录，请先用 `flask catalogue create` 创建。")
    if not can_import(actor, catalogue):
        raise PermissionDenied()
    batch_name = (batch_name or "").strip()
    if not batch_name or len(batch_name) > 64:
        raise DomainError("请用 --batch 指定批次名称（不超过 64 个字符），例如 第五批。")
    today = timeutil.today_shanghai()
    if published_on and published_on > today:
        raise DomainError(f"发布日期 {published_on:%Y-%m-%d} 晚于今天。")
    batch = db.session.scalar(sa.select(Batch).where(Batch.catalogue_id == catalogue.id, Batch.name == batch_name))
    if batch is not None and batch.state is not BatchState.PUBLISHED:
        raise DomainError(
            f"批次「{batch_name}」当前状态为「{batch.state.label}」，只能导入已发布的批次；"
            "正在征集或评审的批次请在平台中办理。"
        )
    if batch is not None and published_on and batch.published_on and published_on != batch.published_on:
        raise DomainError(
            f"批次「{batch_name}」已于 {batch.published_on:%Y-%m-%d} 发布，"
            f"与 --published-on {published_on:%Y-%m-%d} 不一致。"
        )

    rows = read_table(path, COLUMNS, ALIASES)
    if not rows:
        raise DomainError("文件中没有数据行。")
    parsed, errors, seen, names_by_uscc = [], [], {}, {}
    for row in rows:
        try:
            item = parse_row(row, catalogue, today)
            key = (item.uscc, item.registration_no)
            if key in seen:
                raise RowError(row.number, "注册证编号", f"与第 {seen[key]} 行重复（同一注册人、同一注册证编号）")
            first = names_by_uscc.setdefault(item.uscc, (item.company_name, row.number))
            if first[0] != item.company_name:
                raise RowError(
                    row.number, "注册人", f"与第 {first[1]} 行同一统一社会信用代码的注册人名称「{first[0]}」不一致"
                )
            seen[key] = row.number
            parsed.append(item)
        except RowError as exc:
            errors.append(exc)
    errors += _check_against_database(parsed, catalogue, batch)
    if errors:
        raise TableErrors(errors)
    return BatchPlan(catalogue, batch, batch_name, published_on, parsed)


def import_batch(
    actor,
    path: str,
    *,
    catalogue_code: str,
    batch_name: str,
    published_on: date | None = None,
    assess: bool = False,
    progress=None,
    source: str | None = None,
) -> ImportResult:
    """Check every row, then create what is missing; the caller commits (or rolls back on DomainError).
    `source` names the file in the audit log (default: the path)."""
    plan = check_batch(actor, path, catalogue_code=catalogue_code, batch_name=batch_name, published_on=published_on)
    return _write(actor, plan, assess, progress, source or path)


def _write(actor, plan: BatchPlan, assess: bool, progress, source: str) -> ImportResult:
    catalogue, batch, batch_name, published_on, parsed = (plan.catalogue, plan.batch, plan.batch_name,
                                                           plan.published_on, plan.rows)  # fmt: skip
    today = timeutil.today_shanghai()
    result = ImportResult()
    if batch is None:
        day = published_on or today
        batch = Batch(
            catalogue=catalogue,
            name=batch_name,
            state=BatchState.DRAFT,
            published_on=day,
            published_at=timeutil.start_of_day_shanghai(day),
        )
        db.session.add(batch)
        transition(BATCH, batch, "import_published", actor, comment=f"导入 {source}")
        result.batch_created = True
    result.batch = batch
    listed_on = batch.published_on or today
    companies = {
        c.uscc: c for c in db.session.scalars(sa.select(Company).where(Company.uscc.in_({p.uscc for p in parsed})))
    }
    for done, item in enumerate(parsed, start=1):
        company = companies.get(item.uscc)
        if company is None:
            company = Company(uscc=item.uscc, name=item.company_name)
            db.session.add(company)
            db.session.flush()
            record("company.created", actor=actor, obj=company, comment="目录导入")
            companies[item.uscc] = company
            result.companies += 1
        product = db.session.scalar(
            sa.select(Product).where(Product.company_id == company.id, Product.registration_no == item.registration_no)
        )
        if product is None:
            product = Product(
                company=company,
                name=item.name,
                model=item.model,
                product_type=item.product_type,
                registration_no=item.registration_no,
                device_class=item.device_class,
                first_approved_on=item.first_approved_on,
                key_area=item.key_area,
                departments=item.departments,
                indications=item.indications,
                description=item.description,
                innovative_review=item.innovative_review,
            )
            db.session.add(product)
            db.session.flush()
            result.products += 1
        entry = db.session.scalar(sa.select(Entry).where(Entry.batch_id == batch.id, Entry.product_id == product.id))
        if entry is None:
            entry = entry_from_product(product, batch, listed_on)
            db.session.add(entry)
            db.session.flush()
            queue(ENTRY, entry.id)
            result.entries += 1
            result.entry_ids.append(entry.id)
        else:
            result.unchanged += 1
        if progress:
            progress(done, len(parsed))
    if assess:
        db.session.flush()
        listed_on = published_on or batch.published_on or today
        result.assessments = sum(n for _, n in batch_listed.send(batch, listed_on=listed_on) if isinstance(n, int))
    if result.entries or result.assessments or result.batch_created:
        record(
            "catalogue.import",
            actor=actor,
            obj=batch,
            comment=f"导入 {source}",
            data={
                "companies": result.companies,
                "products": result.products,
                "entries": result.entries,
                "assessments": result.assessments,
            },
        )
    return result


def _check_against_database(parsed: list[ParsedRow], catalogue: Catalogue, batch: Batch | None) -> list[RowError]:
    """Conflicts with what is stored: a company name used by another USCC, or a product already listed by
    another batch of the catalogue."""
    errors = []
    by_name = {
        c.name: c
        for c in db.session.scalars(sa.select(Company).where(Company.name.in_({p.company_name for p in parsed})))
    }
    for item in parsed:
        other = by_name.get(item.company_name)
        if other is not None and other.uscc != item.uscc:
            errors.append(
                RowError(
                    item.number,
                    "统一社会信用代码",
                    f"平台中「{item.company_name}」的统一社会信用代码为 {other.uscc}，与本行不一致",
                )
            )
    listed = db.session.execute(
        sa.select(Company.uscc, Product.registration_no, Batch.name, Entry.batch_id)
        .join(Product, Product.company_id == Company.id)
        .join(Entry, Entry.product_id == Product.id)
        .join(Batch, Batch.id == Entry.batch_id)
        .where(Entry.catalogue_id == catalogue.id, Entry.status == EntryStatus.LISTED)
        .where(Company.uscc.in_({p.uscc for p in parsed}))
    ).all()
    listed_elsewhere = {
        (uscc, reg): name for uscc, reg, name, batch_id in listed if batch is None or batch_id != batch.id
    }
    for item in parsed:
        name = listed_elsewhere.get((item.uscc, item.registration_no))
        if name:
            errors.append(RowError(item.number, "注册证编号", f"该产品已由「{name}」列入本目录"))
    return errors
