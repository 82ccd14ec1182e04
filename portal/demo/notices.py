"""Demo batches at the end of their review: one on public notice (objections can be tried) and one whose notice
has ended (ready to publish). Each is replayed through the services at the dates it would have happened, so
states, audit events and notice dates are exactly what the portal itself produces."""

from datetime import date, datetime, timedelta
from io import BytesIO

from werkzeug.datastructures import FileStorage

from portal.applications.models import Application
from portal.applications.services import create_application, submit_application, update_application
from portal.catalogue.batches import advance_batch, create_batch
from portal.catalogue.models import Batch, Catalogue
from portal.core import timeutil
from portal.extensions import db
from portal.products.samples import minimal_pdf
from portal.products.services import ProductInput, add_attachment, create_product
from portal.review.services import add_expert_review, pass_formal_check, recommend_application

KINDS = ("注册证", "创新性证明材料", "临床价值证明材料")
EXPERTS = (("周教授", 5), ("吴主任", 4))

# `ended`: the notice is over (ready to publish); otherwise it is running now.
NOTICE_BATCHES = [
    dict(
        catalogue="SH-XYYX",
        name="2026年增补批",
        company_user="company@demo.xinyou.cn",
        ended=False,
        product=ProductInput(
            name="移动式C形臂X射线机",
            model="uMC 560i",
            product_type="device",
            registration_no="国械注准20243060231",
            first_approved_on=date(2024, 5, 20),
            key_area="高端医学影像",
            departments=("骨科", "医学影像科"),
            indications="供骨科、介入等手术中的X射线透视和摄影。",
            description="平板探测器移动式C形臂，术中三维成像。",
            innovative_review="national",
        ),
    ),
    dict(
        catalogue="BS-CXYX",
        name="2025年第二批",
        company_user="company2@demo.xinyou.cn",
        ended=True,
        product=ProductInput(
            name="一次性使用电子膀胱镜",
            model="ZY-CYS-160",
            product_type="device",
            registration_no="沪械注准20242060318",
            first_approved_on=date(2024, 3, 12),
            key_area="高端手术系统",
            departments=("泌尿外科",),
            indications="供泌尿外科膀胱和尿道的内镜检查及治疗。",
            description="一次性使用，免消毒，避免交叉感染。",
            innovative_review="shanghai",
        ),
    ),
]


def _user(email):
    from portal.accounts.models import User

    return db.session.scalar(db.select(User).where(User.email == email))


def _apply(company_user, batch, spec) -> None:
    product = create_product(company_user, spec["product"])
    for n, kind in enumerate(KINDS, start=1):
        pdf = FileStorage(BytesIO(minimal_pdf(f"Demo attachment {n}")), f"{product.name}-{kind}.pdf")
        add_attachment(company_user, product, pdf, kind)
    application = create_application(company_user, product, batch)
    update_application(
        company_user, application, f"{product.name}为{product.key_area}领域的创新产品，申请列入目录。", None
    )
    submit_application(company_user, application)


def _review(reviewer, batch) -> None:
    advance_batch(reviewer, batch, "close", version=batch.version_id)
    for application in db.session.scalars(db.select(Application).where(Application.batch_id == batch.id)):
        pass_formal_check(reviewer, application, version=application.version_id)
        for name, score in EXPERTS:
            add_expert_review(
                reviewer,
                application,
                version=application.version_id,
                expert_name=name,
                recused=False,
                score=score,
                recommendation="recommend",
                comment="临床价值明确，同意推荐。",
            )
        recommend_application(reviewer, application, version=application.version_id)
    advance_batch(reviewer, batch, "start_notice", version=batch.version_id)


def seed_notice_batches(counts, now: datetime) -> None:
    """Idempotent: a batch that already exists is left alone."""
    reviewer = _user("reviewer@demo.xinyou.cn")
    for spec in NOTICE_BATCHES:
        catalogue = db.session.scalar(db.select(Catalogue).where(Catalogue.code == spec["catalogue"]))
        exists = db.select(Batch.id).where(Batch.catalogue_id == catalogue.id, Batch.name == spec["name"])
        company_user = _user(spec["company_user"])
        if db.session.scalar(exists) or reviewer is None or company_user is None:
            continue
        # The call ran for a day; the notice started when it closed, long enough ago to be over if `ended`.
        start = now - timedelta(days=(catalogue.notice_days + 4) if spec["ended"] else 3)
        with timeutil.replayed_at(start):
            batch = create_batch(
                reviewer, catalogue, name=spec["name"], opens_at=start, closes_at=start + timedelta(days=1)
            )
            db.session.flush()
            advance_batch(reviewer, batch, "open", version=batch.version_id)
        with timeutil.replayed_at(start + timedelta(hours=2)):
            _apply(company_user, batch, spec)
            db.session.flush()
        with timeutil.replayed_at(start + timedelta(days=1, hours=1)):
            _review(reviewer, batch)
            db.session.flush()
        counts["batches"] += 1
        counts["applications"] += 1
