"""Demo data: catalogues, companies, hospitals, products, batches, assessments and one login per role.

`seed_demo` is idempotent: every object is looked up by its natural key and only what is missing is
created. It does not commit; the `demo seed` command does, once.
"""

import hashlib
import unicodedata
from datetime import timedelta

from portal.accounts.models import Role, User
from portal.accounts.services import create_user
from portal.applications.models import Application, Submission
from portal.assessments.creation import create_assessments
from portal.assessments.models import Assessment, AssessmentEvent, EventKind
from portal.audit.services import record
from portal.catalogue.models import Batch, Catalogue, Entry
from portal.catalogue.services import entry_from_product, save_catalogue
from portal.core import timeutil
from portal.core.actors import DEMO_SEED
from portal.core.outbox import IndexChange
from portal.demo.data import (
    BATCHES,
    CATALOGUES,
    COMPANIES,
    DECISIONS,
    DISTRICT_CODES,
    HOSPITALS,
    IN_REVIEW,
    OPEN_APPLICATIONS,
    PRODUCTS,
    USERS,
)
from portal.demo.notices import seed_notice_batches
from portal.directory.identifiers import USCC_ALPHABET, uscc_check_char
from portal.directory.models import Company, Hospital
from portal.directory.services import save_company, save_hospital
from portal.extensions import db
from portal.products.identifiers import KIND_DRUG, parse_registration_no
from portal.products.models import DeviceClass, Product, ProductType, Track
from portal.workflow import APPLICATION as APPLICATION_FLOW
from portal.workflow import (
    ASSESSMENT,
    BATCH,
    OBJECTION,
    ApplicationState,
    BatchState,
    ObjectionState,
    transition,
)

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - the demo logins are printed on purpose
COMMENT = "演示数据"


def demo_uscc(name: str, district: str) -> str:
    """A valid, deterministic 统一社会信用代码: 91 + division code + 9 characters from the name + check."""
    digest = hashlib.sha256(name.encode()).digest()
    org = "".join(USCC_ALPHABET[b % len(USCC_ALPHABET)] for b in digest[:9])
    first17 = "91" + DISTRICT_CODES[district] + org
    return first17 + uscc_check_char(first17)


def _get(model, **key):
    return db.session.scalar(db.select(model).filter_by(**key))


def seed_catalogues(counts) -> dict[str, Catalogue]:
    result = {}
    for spec in CATALOGUES:
        catalogue = _get(Catalogue, code=spec["code"])
        if catalogue is None:
            catalogue = save_catalogue(DEMO_SEED, None, **spec)
            counts["catalogues"] += 1
        result[catalogue.code] = catalogue
    return result


def seed_companies(counts) -> dict[str, Company]:
    result = {}
    for name, short, district, address in COMPANIES:
        uscc = demo_uscc(name, district)
        company = _get(Company, uscc=uscc)
        if company is None:
            company = save_company(
                DEMO_SEED,
                None,
                uscc=uscc,
                name=name,
                short_name=short,
                district=district,
                address=address,
                contact_name="张经理",
                contact_phone="021-5000 0000",
            )
            counts["companies"] += 1
        result[short] = company
    return result


def seed_hospitals(counts) -> dict[str, Hospital]:
    result = {}
    for name, district, level, is_public in HOSPITALS:
        hospital = _get(Hospital, name=name)
        if hospital is None:
            hospital = save_hospital(DEMO_SEED, None, name=name, district=district, level=level, is_public=is_public)
            counts["hospitals"] += 1
        result[name] = hospital
    return result


def seed_users(counts, catalogues, companies, hospitals) -> list[User]:
    users = []
    for email, role, name, scope in USERS:
        user = _get(User, email=email)
        if user is None:
            user = create_user(
                DEMO_SEED,
                email=email,
                role=role,
                password=DEMO_PASSWORD,
                name=name,
                company=companies.get(scope) if role is Role.MANUFACTURER else None,
                hospital=hospitals.get(scope) if role is Role.HOSPITAL else None,
                catalogues=[catalogues[code] for code in scope] if role is Role.REVIEWER else (),
                district=scope if role is Role.SUPERVISOR else None,
            )
            counts["users"] += 1
        users.append(user)
    return users


def _product_type(parsed) -> tuple[ProductType, DeviceClass | None]:
    if parsed.kind == KIND_DRUG:
        return ProductType.DRUG, None
    kind = ProductType.IVD if parsed.category_code == "40" else ProductType.DEVICE
    return kind, DeviceClass(parsed.device_class)


def seed_products(counts, companies) -> dict[str, Product]:
    result = {}
    for spec in PRODUCTS:
        company = companies[spec["company"]]
        parsed = parse_registration_no(spec["reg"])
        product = _get(Product, company_id=company.id, registration_no=parsed.normalised)
        if product is None:
            product_type, device_class = _product_type(parsed)
            product = Product(
                company=company,
                name=spec["name"],
                model=spec["model"],
                product_type=product_type,
                registration_no=parsed.normalised,
                device_class=device_class,
                first_approved_on=spec["approved"],
                key_area=spec["area"],
                departments=spec["departments"],
                indications=spec["indications"],
                description=spec["description"],
                innovative_review=spec["review"],
                track=spec.get("track", Track.INNOVATIVE),
            )
            db.session.add(product)
            record("product.created", obj=product, comment=COMMENT)
            counts["products"] += 1
        result[spec["name"]] = product  # keyed by the table's name: an edited product is still found
    return result


def seed_batches(counts, catalogues, now) -> dict[tuple[str, str], Batch]:
    result = {}
    for spec in BATCHES:
        catalogue = catalogues[spec["catalogue"]]
        batch = _get(Batch, catalogue_id=catalogue.id, name=spec["name"])
        if batch is None:
            batch = Batch(
                catalogue=catalogue,
                name=spec["name"],
                state=BatchState.DRAFT,
                opens_at=now + timedelta(days=spec["opens"]),
                closes_at=now + timedelta(days=spec["closes"]),
            )
            if "notice" in spec:
                start, end = spec["notice"]
                # Notices turn at midnight in Shanghai, as start_notice sets them (pages are remembered by day).
                today = timeutil.today_shanghai(now)
                batch.notice_starts_at = timeutil.start_of_day_shanghai(today + timedelta(days=start))
                batch.notice_ends_at = timeutil.end_of_day_shanghai(today + timedelta(days=end))
            if spec["state"] is BatchState.PUBLISHED:
                batch.published_at = now + timedelta(days=spec["published"])
                batch.published_on = timeutil.today_shanghai(batch.published_at)
            db.session.add(batch)
            record("batch.created", actor=DEMO_SEED, obj=batch, to_state=BatchState.DRAFT, comment=COMMENT)
            _walk(BATCH, batch, spec["state"], BATCH_PATH)
            counts["batches"] += 1
        result[(catalogue.code, batch.name)] = batch
    return result


def _snapshot(product: Product) -> dict:
    """What the company sent, frozen: the same snapshot the application services take."""
    from portal.applications.services import snapshot_of

    return snapshot_of(product, product.current_attachments)


DEMO_ATTACHMENT_KINDS = ("注册证", "创新性证明材料", "临床价值证明材料")


def seed_attachments(counts, products, company_users) -> None:
    """A small PDF of each usual kind for every demo product (files under PORTAL_UPLOAD_DIR)."""
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    from portal.products.samples import minimal_pdf
    from portal.products.storage import store_pdf

    for product in products.values():
        present = {a.kind for a in product.current_attachments}
        for n, kind in enumerate(DEMO_ATTACHMENT_KINDS, start=1):
            if kind in present:
                continue
            upload = FileStorage(
                stream=BytesIO(minimal_pdf(f"Demo attachment {n}: product {product.id}")),
                filename=f"{product.name}-{kind}.pdf",
                content_type="application/pdf",
            )
            store_pdf(company_users.get(product.company_id), upload, kind, product=product)
            counts["attachments"] += 1


# The workflow steps that lead to each state the demo data uses, taken one audited step at a time.
BATCH_PATH = ("open", "close", "start_notice", "publish")
APPLICATION_PATH = ("submit", "pass_formal_check", "recommend")


def _walk(workflow, obj, target, path) -> None:
    """Reach `target` through the workflow table (never by assigning the state)."""
    for action in path:
        if getattr(obj, workflow.column) is target:
            return
        transition(workflow, obj, action, DEMO_SEED, comment=COMMENT)


def ensure_application(counts, batch, product, state, submitted_at, decided_at=None, submitter=None) -> Application:
    """The product's application to the batch, created in `state` if missing."""
    application = _get(Application, batch_id=batch.id, product_id=product.id)
    if application is not None:
        return application
    submitted = state is not ApplicationState.DRAFT
    application = Application(
        batch=batch,
        product=product,
        company_id=product.company_id,
        state=ApplicationState.DRAFT,
        statement=f"{product.name}属于{product.key_area}领域的创新产品，临床价值明确，申请列入目录。",
        round=1 if submitted else 0,
        submitted_at=submitted_at if submitted else None,
        decided_at=decided_at,
    )
    db.session.add(application)
    if submitted:
        db.session.add(
            Submission(
                application=application,
                round=1,
                snapshot=_snapshot(product),
                submitted_by_id=getattr(submitter, "id", None),
                submitted_at=submitted_at,
            )
        )
    record("application.created", actor=DEMO_SEED, obj=application, to_state=ApplicationState.DRAFT, comment=COMMENT)
    _walk(APPLICATION_FLOW, application, state, APPLICATION_PATH)
    db.session.add(IndexChange(doc_type="application", doc_id=application.id))
    counts["applications"] += 1
    return application


def seed_published(counts, batch, product_names, products, company_users) -> None:
    """Recommended applications, entries and assessments of a published batch."""
    submitted_at = batch.closes_at - timedelta(days=3)
    decided_at = batch.notice_starts_at or batch.published_at
    entries = []
    for name in product_names:
        product = products[name]
        application = ensure_application(
            counts,
            batch,
            product,
            ApplicationState.RECOMMENDED,
            submitted_at,
            decided_at,
            company_users.get(product.company_id),
        )
        entry = _get(Entry, batch_id=batch.id, product_id=product.id)
        if entry is None:
            entry = entry_from_product(product, batch, batch.published_on, application=application)
            db.session.add(entry)
            db.session.flush()
            db.session.add(IndexChange(doc_type="entry", doc_id=entry.id))
            counts["entries"] += 1
        entries.append(entry)
    db.session.flush()
    inserted = create_assessments(batch, batch.published_on)
    counts["assessments"] += inserted
    if inserted:  # only on the run that created the queue: never touch assessments that already existed
        created = db.session.scalars(db.select(Assessment).where(Assessment.batch_id == batch.id)).all()
        _sample_progress(batch, created)


def _sample_progress(batch: Batch, created: list[Assessment]) -> None:
    """Decide a few of the assessments just created, and start a few more."""
    by_key = {(a.hospital.name, a.entry.product_name): a for a in created}
    users = {u.hospital_id: u for u in db.session.scalars(db.select(User).where(User.role == Role.HOSPITAL))}
    for hospital, product, outcome, reason, days in DECISIONS:
        assessment = by_key.get((hospital, product))
        user = assessment and users.get(assessment.hospital_id)
        if user is None:
            continue
        at = batch.published_at + timedelta(days=days)
        assessment.outcome, assessment.reason = outcome, reason
        assessment.decided_at, assessment.decided_by_id = at, user.id
        assessment.is_late = at > assessment.due_at
        _event(assessment, EventKind.DECISION, at, user, reason or outcome.label, outcome)
        transition(ASSESSMENT, assessment, "decide", user, comment=COMMENT, data={"outcome": outcome.value})
    for hospital, product, note, days in IN_REVIEW:
        assessment = by_key.get((hospital, product))
        user = assessment and users.get(assessment.hospital_id)
        if user is None:
            continue
        at = batch.published_at + timedelta(days=days)
        _event(assessment, EventKind.DEPARTMENT_REQUEST, at, user, note)
        transition(ASSESSMENT, assessment, "start", user, comment=COMMENT)


def _event(assessment, kind, at, user, note, outcome=None) -> None:
    db.session.add(
        AssessmentEvent(
            assessment=assessment,
            kind=kind,
            occurred_on=timeutil.today_shanghai(at),
            outcome=outcome,
            note=note,
            created_by_id=user.id,
            created_at=at,
        )
    )


def seed_open_applications(counts, batches, products, company_users, now) -> None:
    for code, batch_name, product_name, state in OPEN_APPLICATIONS:
        batch, product = batches[(code, batch_name)], products[product_name]
        ensure_application(
            counts, batch, product, state, now - timedelta(days=2), submitter=company_users.get(product.company_id)
        )


# Review area: a resolved objection from the published batch's public notice (the objection pages need one).
DEMO_OBJECTION = dict(
    catalogue="SH-XYYX",
    batch="第五批",
    product="彩色多普勒超声诊断系统",
    name="王建国",
    phone="13801234567",
    organisation="上海某医学影像设备经销公司",
    reason="该产品的弹性成像功能与已在目录中的同类产品相同，创新性依据不足，请核实。",
    resolution="经核实，该产品通过上海市创新医疗器械特别审查，创新性依据充分，异议不成立。",
)


def seed_review(batches, products, users) -> None:
    """A dismissed objection on the published demo batch (idempotent)."""
    from portal.objections.models import Objection

    spec = DEMO_OBJECTION
    batch = batches[(spec["catalogue"], spec["batch"])]
    application = _get(Application, batch_id=batch.id, product_id=products[spec["product"]].id)
    if application is None or batch.notice_starts_at is None or _get(Objection, batch_id=batch.id, name=spec["name"]):
        return
    reviewer = next(u for u in users if u.role is Role.REVIEWER)
    objection = Objection(
        batch=batch,
        application=application,
        name=spec["name"],
        phone=spec["phone"],
        organisation=spec["organisation"],
        reason=spec["reason"],
        state=ObjectionState.OPEN,
        resolution=spec["resolution"],
        resolved_by_id=reviewer.id,
        resolved_at=batch.notice_starts_at + timedelta(days=3),
        created_at=batch.notice_starts_at + timedelta(days=1),
    )
    db.session.add(objection)
    record("objection.filed", subject=spec["name"], obj=objection, to_state=ObjectionState.OPEN, comment=COMMENT)
    transition(OBJECTION, objection, "dismiss", reviewer, comment=spec["resolution"])


def seed_demo(out=print) -> dict:
    """Create whatever demo data is missing (no commit) and print the logins; returns counts created."""
    counts = dict.fromkeys(
        (
            "catalogues",
            "companies",
            "hospitals",
            "users",
            "products",
            "attachments",
            "batches",
            "applications",
            "entries",
            "assessments",
        ),
        0,
    )
    now = timeutil.utcnow()
    catalogues = seed_catalogues(counts)
    companies = seed_companies(counts)
    hospitals = seed_hospitals(counts)
    users = seed_users(counts, catalogues, companies, hospitals)
    company_users = {u.company_id: u for u in users if u.role is Role.MANUFACTURER}
    products = seed_products(counts, companies)
    db.session.flush()
    seed_attachments(counts, products, company_users)
    batches = seed_batches(counts, catalogues, now)
    for spec in BATCHES:
        batch = batches[(spec["catalogue"], spec["name"])]
        if "entries" in spec and batch.state is BatchState.PUBLISHED:
            seed_published(counts, batch, spec["entries"], products, company_users)
    seed_open_applications(counts, batches, products, company_users, now)
    seed_review(batches, products, users)
    seed_notice_batches(counts, now)
    from portal.adoption.demo import seed_adoption  # adoption area: 配备 and 使用情况 of what was admitted

    seed_adoption(now)
    from portal.search.synonyms import seed_synonyms  # search area: colloquial names (彩超, DSA, 核磁 …)

    seed_synonyms()
    from portal.matchmaking.demo import seed_matchmaking  # the area above this one: 医企对接

    seed_matchmaking(users)
    db.session.flush()
    for line in logins_table(users):
        out(line)
    return counts


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def logins_table(users: list[User]) -> list[str]:
    """The demo logins as aligned text lines (CJK characters count double)."""
    rows = [("角色", "邮箱", "密码", "范围")]
    rows += [(u.role.label, u.email, DEMO_PASSWORD, u.scope_label or "全部") for u in users]
    widths = [max(_width(row[i]) for row in rows) for i in range(4)]
    lines = []
    for n, row in enumerate(rows):
        cells = (cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True))
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines
