"""Applications of a company's product to a catalogue batch (DESIGN §4): draft, submit, resubmit, withdraw."""

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Role, User
from portal.applications.models import Application, Submission
from portal.applications.permissions import (
    can_edit_application,
    can_view_application,
    is_applicant,
    submitted_once_clause,
)
from portal.audit.services import history, record
from portal.catalogue.models import Batch, Entry, EntryStatus, Scope
from portal.catalogue.signals import entry_delisted
from portal.core import timeutil
from portal.core.errors import DomainError, NotFound, PermissionDenied
from portal.core.outbox import APPLICATION, queue
from portal.core.persistence import check_version, get_or_not_found
from portal.directory.signals import company_changed
from portal.extensions import db
from portal.notifications.services import notify
from portal.products.models import DeviceClass, InnovativeReview, Product, ProductType, Track
from portal.products.permissions import can_edit_product, reviewer_catalogue_ids
from portal.products.signals import attachment_access, product_changed, product_shown, products_counted
from portal.workflow import APPLICATION as APPLICATION_FLOW
from portal.workflow import ApplicationState, BatchState, transition

MAX_STATEMENT = 5000
MAX_REASON = 1000


class NotEligible(DomainError):
    """Submission refused by the catalogue's rules; `failures` names each one."""

    def __init__(self, failures: list[str]):
        lines = "\n".join(f"{n}. {text}" for n, text in enumerate(failures, start=1))
        super().__init__(f"不能提交，共 {len(failures)} 项不符合要求：\n{lines}")
        self.failures = failures


# Snapshots ---------------------------------------------------------------------------------------------------


def snapshot_of(product: Product, attachments) -> dict:
    """What the company sent in one round, frozen: the product's fields and the attachments it had then."""
    return {
        "name": product.name,
        "model": product.model,
        "product_type": product.product_type.value,
        "registration_no": product.registration_no,
        "device_class": product.device_class.value if product.device_class else None,
        "first_approved_on": product.first_approved_on.isoformat() if product.first_approved_on else None,
        "key_area": product.key_area,
        "departments": list(product.departments or ()),
        "indications": product.indications,
        "description": product.description,
        "innovative_review": product.innovative_review.value,
        "track": product.track.value,
        "price": str(product.price) if product.price is not None else None,
        "insurance_code": product.insurance_code or "",
        "attachments": [
            {
                "id": a.id,
                "kind": a.kind,
                "original_name": a.original_name,
                "size": a.size,
                "sha256": a.sha256,
            }
            for a in attachments
        ],
    }


SNAPSHOT_FIELDS = (
    ("name", "产品名称", None),
    ("model", "型号规格", None),
    ("product_type", "产品类别", ProductType),
    ("registration_no", "注册证编号/批准文号", None),
    ("device_class", "管理类别", DeviceClass),
    ("first_approved_on", "首次获批日期", None),
    ("key_area", "重点领域", None),
    ("departments", "适用科室", None),
    ("indications", "适用范围", None),
    ("description", "产品描述", None),
    ("innovative_review", "创新医疗器械特别审查", InnovativeReview),
    ("track", "申报类别", Track),
    ("price", "价格（元）", None),
    ("insurance_code", "医保编码", None),
)


def snapshot_rows(snapshot: dict) -> list[tuple[str, str]]:
    """A frozen round as (label, text) rows for people: enum values shown by their Chinese labels."""
    rows = []
    for key, label, enum_cls in SNAPSHOT_FIELDS:
        value = snapshot.get(key)
        if isinstance(value, list):
            value = "、".join(value)
        elif enum_cls is not None and value:
            value = next((m.label for m in enum_cls if m.value == value), value)
        rows.append((label, value or "—"))
    return rows


# Helpers ---------------------------------------------------------------------------------------------------


def batch_is_open(batch: Batch, now=None) -> bool:
    now = now or timeutil.utcnow()
    return batch.state is BatchState.OPEN and (batch.closes_at is None or now < batch.closes_at)


def company_applications(actor, state: str = ""):
    """The actor's company's applications, newest change first; `state` a state value to keep only those."""
    query = (
        select(Application)
        .where(Application.company_id == actor.company_id)
        .order_by(Application.updated_at.desc(), Application.id.desc())
    )
    if state in ApplicationState._value2member_map_:
        query = query.where(Application.state == ApplicationState(state))
    return query


def get_application(actor, application_id: int) -> Application:
    """An application the actor may see, or NotFound."""
    application = db.session.get(Application, application_id)
    if application is None or not can_view_application(actor, application):
        raise NotFound()
    return application


def batch_to_apply(actor, batch_id: int) -> Batch:
    """The batch a company applies a product to (create_application then checks that its call is open)."""
    return get_or_not_found(Batch, batch_id)


def open_batches_for(product: Product) -> list[Batch]:
    """Open batches (call not yet closed) to which the product has not been applied: the "apply to" buttons."""
    now = timeutil.utcnow()
    applied = select(Application.batch_id).where(Application.product_id == product.id)
    batches = db.session.scalars(
        select(Batch)
        .where(Batch.state == BatchState.OPEN, Batch.id.not_in(applied))
        .order_by(Batch.closes_at, Batch.id)
    ).all()
    return [b for b in batches if batch_is_open(b, now)]


def next_action(application: Application) -> str:
    """What the company should do (or wait for) next, in a few words."""
    state = application.state
    if state is ApplicationState.DRAFT:
        return "完善申报材料并提交"
    if state is ApplicationState.RETURNED:
        return "按审核意见修改后重新提交"
    if state is ApplicationState.SUBMITTED:
        return "等待形式审查"
    if state is ApplicationState.FORMAL_CHECK_PASSED:
        return "等待专家评审"
    if state is ApplicationState.RECOMMENDED:
        return "已列入目录" if application.batch.state is BatchState.PUBLISHED else "拟推荐，等待公示和发布"
    if state is ApplicationState.REJECTED:
        return "未通过，无需操作"
    return "已撤回，无需操作"


# Eligibility -----------------------------------------------------------------------------------------------


def missing_attachments(application: Application) -> list[str]:
    """Kinds of attachment the catalogue requires that the product does not have now."""
    present = {a.kind for a in application.product.current_attachments}
    return [kind for kind in (application.batch.catalogue.required_attachments or ()) if kind not in present]


def eligibility_failures(application: Application, now=None) -> list[str]:
    """Every reason the application cannot be submitted now (DESIGN §4); empty when it can."""
    now = now or timeutil.utcnow()
    batch, product, company = application.batch, application.product, application.company
    catalogue = batch.catalogue
    failures = []
    if batch.state is not BatchState.OPEN:
        failures.append(f"「{catalogue.name}」{batch.name}当前状态为「{batch.state.label}」，不接受提交。")
    elif batch.closes_at is not None and now >= batch.closes_at:
        failures.append(f"「{catalogue.name}」{batch.name}已于 {_shanghai(batch.closes_at)} 截止征集。")
    if catalogue.scope is Scope.DISTRICT and company.district != catalogue.district:
        where = company.district or "上海市外"
        failures.append(f"「{catalogue.name}」只接受{catalogue.district}的企业，贵公司所在区为{where}。")
    allowed = list(catalogue.allowed_product_types or ())
    if product.product_type.value not in allowed:
        labels = "、".join(ProductType(v).label for v in allowed if v in ProductType._value2member_map_) or "无"
        failures.append(f"本目录不接受{product.product_type.label}类产品（接受：{labels}）。")
    if product.device_class is DeviceClass.I and not catalogue.allows_class_one:
        failures.append(f"本目录不接受第一类医疗器械备案产品（{product.registration_no}）。")
    cutoff = catalogue.first_approval_cutoff
    if cutoff is not None:
        if product.first_approved_on is None:
            failures.append(f"本目录要求首次获批日期在 {cutoff.isoformat()} 或之后，产品未填写首次获批日期。")
        elif product.first_approved_on < cutoff:
            failures.append(
                f"产品首次获批日期 {product.first_approved_on.isoformat()} 早于本目录要求的 {cutoff.isoformat()}。"
            )
    missing = missing_attachments(application)
    if missing:
        failures.append(f"缺少本目录要求的附件：{'、'.join(missing)}（请在产品页面上传 PDF）。")
    if not (product.departments or []):
        failures.append("产品未选择适用科室。")
    if not (application.statement or "").strip():
        failures.append("请填写申报说明（产品的创新性和临床价值）。")
    listed = db.session.scalar(
        select(Entry.id).where(
            Entry.catalogue_id == catalogue.id, Entry.product_id == product.id, Entry.status == EntryStatus.LISTED
        )
    )
    if listed:
        failures.append(f"该产品已列入「{catalogue.name}」，无需再次申报。")
    return failures


def _shanghai(value) -> str:
    return timeutil.to_shanghai(value).strftime("%Y-%m-%d %H:%M")


# Services --------------------------------------------------------------------------------------------------


def create_application(actor, product: Product, batch: Batch) -> Application:
    """A draft application of `product` to `batch`; one per product and batch. The caller commits."""
    if not can_edit_product(actor, product):
        raise NotFound()
    if batch.state is not BatchState.OPEN:
        raise DomainError(f"「{batch.catalogue.name}」{batch.name}当前状态为「{batch.state.label}」，不接受申报。")
    if not batch_is_open(batch):
        raise DomainError(f"「{batch.catalogue.name}」{batch.name}已于 {_shanghai(batch.closes_at)} 截止征集。")
    existing = db.session.scalar(
        select(Application).where(Application.product_id == product.id, Application.batch_id == batch.id)
    )
    duplicate = DomainError(
        f"产品「{product.name}」已申报「{batch.catalogue.name}」{batch.name}，请在申报记录中继续办理。"
    )
    if existing is not None:
        raise duplicate
    application = Application(batch=batch, product=product, company_id=product.company_id, state=ApplicationState.DRAFT)
    try:
        with db.session.begin_nested():  # another tab or process may have created it a moment ago
            db.session.add(application)
            db.session.flush()
    except IntegrityError:
        raise duplicate from None
    record("application.created", actor=actor, obj=application, to_state=application.state)
    queue(APPLICATION, application.id)
    return application


def update_application(actor, application: Application, statement: str, version: int | None) -> Application:
    """Save the draft's statement; incomplete drafts are fine. The caller commits."""
    if not can_view_application(actor, application):
        raise NotFound()
    if not is_applicant(actor, application):
        raise PermissionDenied()
    if not can_edit_application(actor, application):
        raise DomainError(f"申报当前状态为「{application.state.label}」，不能修改。")
    check_version(application, version, required=False)
    statement = (statement or "").strip()
    if len(statement) > MAX_STATEMENT:
        raise DomainError(f"申报说明最多 {MAX_STATEMENT} 个字符（现为 {len(statement)} 个）。", field="statement")
    if statement != application.statement:
        application.statement = statement
        record("application.updated", actor=actor, obj=application)
        queue(APPLICATION, application.id)
    return application


def submit_application(actor, application: Application, version: int | None = None) -> Submission:
    """Submit (or resubmit after 退回修改): runs the eligibility rules, naming each failure; freezes a new round."""
    if not can_view_application(actor, application):
        raise NotFound()
    if not is_applicant(actor, application):
        raise PermissionDenied()
    APPLICATION_FLOW.advance(application.state, "submit")  # an illegal state raises the workflow's message
    check_version(application, version, required=False)
    failures = eligibility_failures(application)
    if failures:
        raise NotEligible(failures)
    now = timeutil.utcnow()
    resubmission = application.state is ApplicationState.RETURNED
    transition(
        APPLICATION_FLOW,
        application,
        "submit",
        actor,
        comment="修改后重新提交" if resubmission else None,
        data={"round": application.round + 1},
    )
    application.round += 1
    application.submitted_at = now
    submission = Submission(
        application=application,
        round=application.round,
        snapshot=snapshot_of(application.product, application.product.current_attachments),
        submitted_by_id=actor.id,
        submitted_at=now,
    )
    db.session.add(submission)
    db.session.flush()
    queue(APPLICATION, application.id)
    return submission


def save_application(actor, application: Application, statement: str, version, *, submit: bool) -> Submission | None:
    """The company's form: save the statement while it may be edited, then submit when asked (one version check)."""
    if can_edit_application(actor, application):
        update_application(actor, application, statement, version)
        version = None  # checked once; the save above bumps it on flush
    return submit_application(actor, application, version) if submit else None


def withdraw_application(actor, application: Application, reason: str, version: int | None = None) -> Application:
    """The company takes its application back before a decision; a reason is required. The caller commits."""
    if not can_view_application(actor, application):
        raise NotFound()
    if not is_applicant(actor, application):
        raise PermissionDenied()
    APPLICATION_FLOW.advance(application.state, "withdraw")
    check_version(application, version, required=False)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写撤回原因。", field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(f"撤回原因最多 {MAX_REASON} 个字符。", field="reason")
    transition(APPLICATION_FLOW, application, "withdraw", actor, comment=reason)
    queue(APPLICATION, application.id)
    return application


# Notifications -----------------------------------------------------------------------------------------------


def company_users(company_id: int) -> list[User]:
    return db.session.scalars(
        select(User).where(User.company_id == company_id, User.role == Role.MANUFACTURER, User.active.is_(True))
    ).all()


def return_comment(application: Application) -> str | None:
    """What the reviewer asked the company to change, while the application waits for it."""
    if application.state is not ApplicationState.RETURNED:
        return None
    if application.submissions and application.submissions[-1].return_comment:
        return application.submissions[-1].return_comment
    for event in reversed(history(application)):  # the audit log has it even if the round was not annotated
        if event.action == "application.return":
            return event.comment
    return None


def mark_changed(application: Application) -> None:
    """After a reviewer's step: bump the time, check the version now, queue the index update."""
    application.updated_at = timeutil.utcnow()
    db.session.flush()  # the version check happens here: a concurrent change raises StaleDataError
    queue("application", application.id)


@product_changed.connect
def _reindex_applications(product, *, fields) -> None:
    """Applications are indexed with their product's data (state filters included)."""
    for application_id in db.session.scalars(select(Application.id).where(Application.product_id == product.id)):
        queue(APPLICATION, application_id)


@company_changed.connect
def _reindex_company_applications(company, *, fields) -> None:
    """Applications are indexed with their company's name, short name and district."""
    if {"name", "short_name", "district"} & set(fields):
        for application_id in db.session.scalars(select(Application.id).where(Application.company_id == company.id)):
            queue(APPLICATION, application_id)


@entry_delisted.connect
def _tell_company_of_delisting(entry, *, actor, reason: str) -> None:
    if entry.application is not None:
        notify_company(
            entry.application,
            f"产品调出目录：{entry.product_name}",
            f"{entry.catalogue.name}已于 {entry.delisted_on:%Y-%m-%d} 调出该产品。原因：{reason}",
        )


def notify_company(application: Application, title: str, body: str = "") -> None:
    """Tell the applicant company's users (in the portal; by mail when configured). The caller commits.

    Called by the reviewer's services when an application is returned, recommended, rejected or published.
    """
    notify(
        company_users(application.company_id),
        title,
        body,
        link=f"/applications/{application.id}",
    )


# What the products area asks of the applications (products/signals.py) -----------------------------------


@attachment_access.connect
def _reviewers_see_submitted_products(attachment, *, user) -> bool:
    """Reviewers see a product's attachments once it was submitted to a batch of one of their catalogues."""
    catalogue_ids = reviewer_catalogue_ids(user)
    if attachment.product_id is None or not catalogue_ids:
        return False
    submitted_there = (
        exists()
        .where(Application.product_id == attachment.product_id, Application.batch_id == Batch.id)
        .where(Batch.catalogue_id.in_(catalogue_ids))
        .where(submitted_once_clause())
    )
    return bool(db.session.scalar(select(submitted_there)))


@product_shown.connect
def _applications_of_product(product, *, actor) -> dict:
    applications = db.session.scalars(
        select(Application).where(Application.product_id == product.id).order_by(Application.id.desc())
    ).all()
    return {"applications": applications, "open_batches": open_batches_for(product)}


@products_counted.connect
def _applied_counts(product_ids) -> tuple[str, dict]:
    rows = db.session.execute(
        select(Application.product_id, func.count(Application.id))
        .where(Application.product_id.in_(product_ids))
        .group_by(Application.product_id)
    )
    return "applied", dict(rows.all())
