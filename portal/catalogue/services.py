"""Catalogues: creation and settings; delisting an entry."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Row, bindparam, exists, func, select
from sqlalchemy.orm import joinedload

from portal.accounts.models import Role
from portal.audit.services import record
from portal.catalogue import permissions
from portal.catalogue.models import Batch, Catalogue, Entry, EntryStatus, Scope
from portal.catalogue.signals import entry_delisted
from portal.core import timeutil
from portal.core.actors import is_system
from portal.core.errors import DomainError, NotFound, PermissionDenied
from portal.core.outbox import ENTRY as ENTRY_DOC
from portal.core.outbox import queue
from portal.core.reference import DISTRICTS
from portal.directory.models import Company
from portal.directory.signals import company_changed
from portal.extensions import db
from portal.products.models import Attachment, Product, ProductType
from portal.products.signals import attachment_access, attachment_kinds_asked, product_shown, products_counted
from portal.workflow import ENTRY, BatchState, transition

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
    """Create (catalogue None) or update a catalogue, with its eligibility rules (DESIGN §4): an administrator,
    or a system actor."""
    if not is_system(actor) and getattr(actor, "role", None) is not Role.ADMIN:  # None: refused
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
    if not is_new and (catalogue.code, catalogue.name) != (code, name):
        _reindex_entries(catalogue)  # the search index keeps each entry's catalogue code and name
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


def _reindex_entries(catalogue: Catalogue) -> None:
    for entry_id in db.session.scalars(select(Entry.id).where(Entry.catalogue_id == catalogue.id)):
        queue(ENTRY_DOC, entry_id)


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


# Delisting -----------------------------------------------------------------------------------------------


def _text(value) -> str:
    return (value or "").strip()


def delist_entry(actor, entry: Entry, *, reason: str, delisted_on: date | None) -> int:
    """Take an entry off the catalogue (kept as history); open assessments close. Returns how many closed."""
    if not permissions.can_delist(actor, entry):
        raise PermissionDenied("只有负责该目录的审核人员可以调出目录产品。")
    if entry.status is EntryStatus.DELISTED:
        raise DomainError(f"该产品已于 {entry.delisted_on:%Y-%m-%d} 调出目录。")
    reason = _text(reason)
    if not reason:
        raise DomainError("请填写调出原因。", field="reason")
    if delisted_on is None:
        raise DomainError("请填写调出日期。", field="delisted_on")
    today = timeutil.today_shanghai()
    if delisted_on > today:
        raise DomainError("调出日期不能晚于今天。", field="delisted_on")
    if delisted_on < entry.listed_on:
        raise DomainError(f"调出日期不能早于入目录日期 {entry.listed_on:%Y-%m-%d}。", field="delisted_on")
    entry.delisted_on, entry.delist_reason = delisted_on, reason
    transition(ENTRY, entry, "delist", actor, comment=reason, data={"delisted_on": delisted_on.isoformat()})
    # Assessments close and the company hears of it: both areas sit above the catalogue.
    replies = entry_delisted.send(entry, actor=actor, reason=reason)
    db.session.flush()
    queue("entry", entry.id)
    return sum(closed for _, closed in replies if isinstance(closed, int))


# What the public catalogue pages show (any actor, logged in or not) --------------------------------------


# Built once; one row per catalogue with its count (a covering index count per catalogue).
_SIZES = select(
    Catalogue,
    select(func.count())
    .where(Entry.catalogue_id == Catalogue.id, Entry.status == EntryStatus.LISTED)
    .correlate(Catalogue)
    .scalar_subquery(),
).order_by(Catalogue.id)


def catalogue_sizes(actor) -> list:
    """(catalogue, entries listed now) for every catalogue: the catalogue list and the home page's table."""
    return [tuple(row) for row in db.session.execute(_SIZES)]


def published_batches(actor, catalogue: Catalogue) -> list[Batch]:
    return db.session.scalars(
        select(Batch)
        .where(Batch.catalogue_id == catalogue.id, Batch.state == BatchState.PUBLISHED)
        .order_by(Batch.published_at.desc(), Batch.id.desc())
    ).all()


def catalogue_history(actor, catalogue: Catalogue) -> tuple[list[dict], list[Entry]]:
    """Each published batch (an update of the catalogue): how many it listed, how many since delisted; and the
    latest 200 delistings."""
    counts = {
        (batch_id, status): n
        for batch_id, status, n in db.session.execute(
            select(Entry.batch_id, Entry.status, func.count())
            .where(Entry.catalogue_id == catalogue.id)
            .group_by(Entry.batch_id, Entry.status)
        )
    }
    rows = [
        {
            "batch": b,
            "listed": counts.get((b.id, EntryStatus.LISTED), 0) + counts.get((b.id, EntryStatus.DELISTED), 0),
            "delisted": counts.get((b.id, EntryStatus.DELISTED), 0),
        }
        for b in published_batches(actor, catalogue)
    ]
    delisted = db.session.scalars(
        select(Entry)
        .where(Entry.catalogue_id == catalogue.id, Entry.status == EntryStatus.DELISTED)
        .order_by(Entry.delisted_on.desc(), Entry.id)
        .limit(200)
    ).all()
    return rows, delisted


def get_entry(actor, entry_id: int, *, delist: bool = False) -> Entry:
    """Any entry (listed or delisted) is public; `delist`: only for the reviewers of its catalogue."""
    entry = db.session.scalar(
        select(Entry).where(Entry.id == entry_id).options(joinedload(Entry.catalogue), joinedload(Entry.batch))
    )
    if entry is None or (delist and not permissions.can_delist(actor, entry)):
        raise NotFound(f"没有编号为 {entry_id} 的目录产品。")
    return entry


REGISTRATION_CERTIFICATE = "注册证"


# A product's current registration certificate; is_public_attachment asks the same of one attachment in Python.
_CURRENT_CERTIFICATE = (Attachment.kind == REGISTRATION_CERTIFICATE) & Attachment.retired_at.is_(None)


# What the public entry page shows of an entry: its own columns, its catalogue's and batch's names.
_ENTRY_PAGE_COLUMNS = (
    *(
        getattr(Entry, name)
        for name in (
            "id", "status", "listed_on", "delisted_on", "delist_reason", "product_id", "product_name", "model",
            "registration_no", "manufacturer", "product_type", "device_class", "key_area", "departments",
            "innovative_review", "indications", "description",
        )
    ),
    Catalogue.code.label("catalogue_code"),
    Catalogue.name.label("catalogue_name"),
    Batch.name.label("batch_name"),
)


@dataclass(frozen=True)
class EntryPage:
    """`entry`: a row of _ENTRY_PAGE (read as values, not as a mapped Entry: the page is public and
    hot, and building the object cost more than the query)."""

    entry: Row
    company_district: str | None
    certificate_ids: tuple[int, ...]  # the product's current registration certificates, when anyone may see them

    @property
    def key(self) -> tuple:
        """Everything the page shows, hashable: what its rendering is remembered by."""
        values = tuple(tuple(v) if isinstance(v, list) else v for v in self.entry[:-1])  # not certificate_id
        return values, self.certificate_ids


# Built once: building a statement with its joins costs more than running it (SQLAlchemy caches the compiled
# SQL, not the construction). One row per current certificate (normally one), or one row.
_ENTRY_PAGE = (
    select(*_ENTRY_PAGE_COLUMNS, Company.district.label("company_district"), Attachment.id.label("certificate_id"))
    .join(Catalogue, Catalogue.id == Entry.catalogue_id)
    .join(Batch, Batch.id == Entry.batch_id)
    .outerjoin(Product, Product.id == Entry.product_id)
    .outerjoin(Company, Company.id == Product.company_id)
    .outerjoin(Attachment, (Attachment.product_id == Entry.product_id) & _CURRENT_CERTIFICATE)
    .where(Entry.id == bindparam("entry_id"))
    .order_by(Attachment.id)
)


def entry_page(actor, entry_id: int) -> EntryPage:
    """What the public entry page shows, in one query: the entry with its catalogue and batch, the registrant's
    district and the product's current certificates (not the product and all its files)."""
    rows = db.session.execute(_ENTRY_PAGE, {"entry_id": entry_id}).all()
    if not rows:
        raise NotFound(f"没有编号为 {entry_id} 的目录产品。")
    entry = rows[0]
    certificates = tuple(row.certificate_id for row in rows if row.certificate_id is not None)
    # A delisted entry's certificate stays public while the product is listed through another entry.
    public = entry.status is EntryStatus.LISTED or (certificates and is_listed(entry.product_id))
    return EntryPage(entry, entry.company_district, certificates if public else ())


# What the products area asks of the catalogue (products/signals.py) --------------------------------------

def is_listed(product_id: int) -> bool:
    return bool(
        db.session.scalar(select(exists().where(Entry.product_id == product_id, Entry.status == EntryStatus.LISTED)))
    )


def is_public_attachment(attachment: Attachment) -> bool:
    """The current registration certificate of a listed product: anyone may see it."""
    return (
        attachment.product_id is not None
        and attachment.kind == REGISTRATION_CERTIFICATE
        and attachment.retired_at is None
        and is_listed(attachment.product_id)
    )


def public_attachments(product) -> list[Attachment]:
    """What anyone may download of `product` (None: nothing), for the assessment page (the entry page reads
    the same in its own query, entry_page)."""
    return [a for a in (product.attachments if product is not None else []) if is_public_attachment(a)]


@company_changed.connect
def _reindex_company_entries(company, *, fields) -> None:
    """Entries are indexed with their registrant's short name and district (the rest is the entry's own copy)."""
    if {"short_name", "district"} & set(fields):
        entries = select(Entry.id).join(Product, Product.id == Entry.product_id).where(Product.company_id == company.id)
        for entry_id in db.session.scalars(entries):
            queue(ENTRY_DOC, entry_id)


@attachment_access.connect
def _public_certificate(attachment: Attachment, *, user) -> bool:
    return is_public_attachment(attachment)


@attachment_kinds_asked.connect
def _required_kinds(_sender) -> list[str]:
    return [kind for required in db.session.scalars(select(Catalogue.required_attachments)) for kind in required or ()]


@product_shown.connect
def _entries_of_product(product, *, actor) -> dict:
    return {"entries": db.session.scalars(select(Entry).where(Entry.product_id == product.id).order_by(Entry.id)).all()}


@products_counted.connect
def _listed_counts(product_ids) -> tuple[str, dict]:
    rows = db.session.execute(
        select(Entry.product_id, func.count(Entry.id))
        .where(Entry.product_id.in_(product_ids), Entry.status == EntryStatus.LISTED)
        .group_by(Entry.product_id)
    )
    return "listed", dict(rows.all())
