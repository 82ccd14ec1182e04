"""Factories for the search tests: catalogues with published batches and entries, queued for indexing."""

import itertools
from datetime import date

import pytest

from portal.catalogue.models import Batch, Catalogue, Entry, EntryStatus, Scope
from portal.core.outbox import ENTRY, queue
from portal.directory.models import Company
from portal.products.models import DeviceClass, InnovativeReview, Product, ProductType
from portal.search import indexer
from portal.workflow import BatchState
from tests.conftest import make_uscc

_n = itertools.count(5000)


class World:
    """Builds catalogue entries the way publishing does (frozen copy + outbox row)."""

    def __init__(self, db, app):
        self.db, self.app = db, app
        self.companies: dict[str, Company] = {}
        self.catalogue = self.make_catalogue("SH-T", "上海测试目录")
        self.batch = self.make_batch(self.catalogue, "第一批", date(2024, 5, 1))

    def make_catalogue(self, code, name, scope=Scope.CITY, district=None) -> Catalogue:
        c = Catalogue(code=code, name=name, scope=scope, district=district)
        self.db.session.add(c)
        self.db.session.flush()
        return c

    def make_batch(self, catalogue, name, published_on) -> Batch:
        b = Batch(catalogue=catalogue, name=name, state=BatchState.PUBLISHED, published_on=published_on)
        self.db.session.add(b)
        self.db.session.flush()
        return b

    def company(self, name, short="", district="浦东新区") -> Company:
        if name not in self.companies:
            c = Company(uscc=make_uscc(next(_n)), name=name, short_name=short, district=district)
            self.db.session.add(c)
            self.db.session.flush()
            self.companies[name] = c
        return self.companies[name]

    def entry(
        self,
        name,
        *,
        model="",
        reg=None,
        company=("上海测试医疗科技有限公司", "测试医疗"),
        district="浦东新区",
        departments=(),
        description="",
        indications="",
        key_area="高端医学影像",
        device_class="III",
        innovative="none",
        catalogue=None,
        batch=None,
        status=EntryStatus.LISTED,
        listed_on=None,
    ) -> Entry:
        n = next(_n)
        reg = reg or f"国械注准2019306{n % 10000:04d}"
        owner = self.company(*company, district=district)
        product = Product(
            company=owner,
            name=name,
            model=model,
            product_type=ProductType.DEVICE,
            registration_no=reg,
            device_class=DeviceClass(device_class) if device_class else None,
            key_area=key_area,
            departments=list(departments),
            description=description,
            indications=indications,
            innovative_review=InnovativeReview(innovative),
        )
        self.db.session.add(product)
        batch = batch or self.batch
        entry = Entry(
            catalogue_id=(catalogue or batch.catalogue).id,
            batch=batch,
            product=product,
            listed_on=listed_on or batch.published_on,
            product_name=name,
            model=model,
            registration_no=reg,
            manufacturer=owner.name,
            product_type="device",
            device_class=device_class,
            key_area=key_area,
            departments=list(departments),
            innovative_review=innovative,
            indications=indications,
            description=description,
            status=status,
        )
        self.db.session.add(entry)
        self.db.session.flush()
        queue(ENTRY, entry.id)
        return entry

    def index(self) -> None:
        """Commit and apply the outbox, as the request hook does."""
        self.db.session.commit()
        assert indexer.apply_pending(self.app) is not None


@pytest.fixture
def world(app, db):
    return World(db, app)


# A small catalogue with every example of issue 6.
def build_examples(world: World) -> dict[str, Entry]:
    lianying = ("上海联影医疗科技股份有限公司", "联影")
    e = {}
    e["knee"] = world.entry(
        "全膝关节置换手术导航定位系统",
        model="鸿鹄 SkyWalker",
        company=("上海微创医疗机器人（集团）股份有限公司", "微创机器人"),
        departments=["骨科", "关节外科"],
        key_area="高端手术系统",
        description="骨科手术机器人，术中机械臂辅助精准截骨。",
    )
    e["mr"] = world.entry(
        "超导磁共振成像系统",
        model="uMR 890 / 3.0T",
        reg="国械注准20213060361",
        company=lianying,
        district="嘉定区",
        departments=["医学影像科", "神经内科"],
        innovative="national",
        description="3.0T 宽孔径超导磁共振。",
    )
    e["tavi"] = world.entry(
        "经导管主动脉瓣膜系统",
        model="VitaFlow Liberty",
        company=("上海微创心通医疗科技有限公司", "微创心通"),
        departments=["心血管内科"],
        key_area="高端植入介入",
    )
    e["ct"] = world.entry(
        "X射线计算机断层扫描设备",
        model="uCT 960+",
        reg="国械注准20233060512",
        company=lianying,
        district="嘉定区",
        departments=["医学影像科", "急诊科"],
    )
    e["petct"] = world.entry(
        "正电子发射及X射线计算机断层成像系统",
        model="uMI 780 (PET-CT)",
        reg="国械注准20183060284",
        company=lianying,
        district="嘉定区",
        departments=["核医学科"],
    )
    e["stent"] = world.entry(
        "冠脉雷帕霉素靶向洗脱支架系统",
        model="Firehawk 直径2.25–4.00mm，长度3.0mm–38mm",
        company=("上海微创医疗器械（集团）有限公司", "微创"),
        departments=["心血管内科"],
        key_area="高端植入介入",
    )
    e["us"] = world.entry(
        "彩色多普勒超声诊断系统",
        model="uSONIQUE 80",
        reg="沪械注准20232060185",
        device_class="II",
        company=lianying,
        district="嘉定区",
        departments=["超声科"],
        innovative="shanghai",
    )
    e["dsa"] = world.entry(
        "血管造影X射线机",
        model="uAngio 960",
        company=lianying,
        district="嘉定区",
        departments=["心血管内科", "医学影像科"],
    )
    # Mentions 联影 and 磁共振 only in its description: must rank below the real thing.
    e["coil"] = world.entry(
        "头部线圈",
        model="HC-16",
        company=("上海某某医疗器械有限公司", "某某"),
        district="宝山区",
        departments=["医学影像科"],
        description="适配联影超导磁共振成像系统的十六通道头部线圈。",
    )
    e["old"] = world.entry(
        "旧式磁共振成像系统",
        model="MR-1",
        company=("上海旧设备有限公司", "旧设备"),
        status=EntryStatus.DELISTED,
    )
    world.index()
    return e
