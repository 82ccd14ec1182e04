"""Factories for the search tests: catalogues with published batches and entries, queued for indexing. The
`world` fixture is a pytest plugin (tests/conftest.py); import the plain helpers by name."""

import itertools
from datetime import date

import pytest

from portal.accounts.models import Role, User
from portal.catalogue.models import Batch, Catalogue, Entry, EntryStatus, Scope
from portal.catalogue.services import delist_entry
from portal.core import timeutil
from portal.core.outbox import ENTRY, queue
from portal.directory.models import Company
from portal.products.models import DeviceClass, InnovativeReview, Product, ProductType
from portal.search import indexer
from tests.conftest import make_uscc
from tests.factories import imported_batch

_n = itertools.count(5000)


class World:
    """Builds catalogue entries the way an import does (frozen copy + outbox row) in batches published before the
    portal; delists them through the catalogue's delisting service."""

    def __init__(self, db, app):
        self.db, self.app = db, app
        self.companies: dict[str, Company] = {}
        self.reviewers: dict[int, User] = {}
        self.catalogue = self.make_catalogue("SH-T", "上海测试目录")
        self.batch = self.make_batch(self.catalogue, "第一批", date(2024, 5, 1))

    def make_catalogue(self, code, name, scope=Scope.CITY, district=None) -> Catalogue:
        c = Catalogue(code=code, name=name, scope=scope, district=district)
        self.db.session.add(c)
        self.db.session.flush()
        return c

    def make_batch(self, catalogue, name, published_on) -> Batch:
        return imported_batch(catalogue, name, published_on)

    def reviewer(self, catalogue) -> User:
        """The reviewer of `catalogue` who delists (never logs in)."""
        if catalogue.id not in self.reviewers:
            user = User(
                email=f"search-reviewer-{catalogue.id}@example.cn",
                role=Role.REVIEWER,
                password_hash="!",
                catalogues=[catalogue],
            )
            self.db.session.add(user)
            self.db.session.flush()  # the column defaults (active) apply
            self.reviewers[catalogue.id] = user
        return self.reviewers[catalogue.id]

    def delist(self, entry, reason="注册证已注销") -> Entry:
        """Take `entry` off its catalogue today, as its reviewer does (the service queues the index change)."""
        delist_entry(self.reviewer(entry.catalogue), entry, reason=reason, delisted_on=timeutil.today_shanghai())
        self.db.session.flush()
        return entry

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
        )
        self.db.session.add(entry)
        self.db.session.flush()
        queue(ENTRY, entry.id)
        if status is EntryStatus.DELISTED:
            self.delist(entry)
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


# A realistic catalogue for ranking (issue 15): everyday items are imported first, so a tie decided by import
# order would put them above the innovative products people look for.
# (name, model, company short name, departments, description, class, innovative review, newer batch)
CATALOGUE = [
    ("医用胰岛素笔用针头", "0.23×4mm", "康德", ["内分泌科"], "供糖尿病患者注射胰岛素，控制血糖。", "II", "none", 0),
    (
        "糖化血红蛋白测定试剂盒",
        "HbA1c-100",
        "博睿",
        ["检验科"],
        "辅助评价糖尿病患者近期血糖控制水平。",
        "II",
        "none",
        0,
    ),  # noqa: E501
    ("一次性使用内窥镜用活检钳", "BF-23", "安盛", ["消化内科"], "经内窥镜钳取组织标本。", "II", "none", 0),
    ("内窥镜冷光源", "LS-300", "恒泰", ["消化内科", "普通外科"], "为内窥镜检查提供照明。", "II", "none", 0),
    ("医用干式胶片", "DF-14", "启明", ["医学影像科"], "适用于医用干式激光相机打印影像。", "II", "none", 0),
    ("眼科手术显微镜", "OM-5", "睿视", ["眼科"], "可连接激光光凝系统进行眼底治疗。", "II", "none", 0),
    ("高压造影注射器", "CTI-2", "佳诚", ["医学影像科"], "用于CT、MR增强扫描时注射造影剂。", "II", "none", 0),
    (
        "经导管主动脉瓣膜系统",
        "VitaFlow Liberty",
        "微创心通",
        ["心血管内科"],
        "经股动脉途径植入。",
        "III",
        "national",
        0,
    ),  # noqa: E501
    ("冠脉雷帕霉素靶向洗脱支架系统", "Firehawk", "微创", ["心血管内科"], "用于冠状动脉狭窄。", "III", "national", 0),
    ("血管造影X射线机", "uAngio 960", "联影", ["心血管内科", "医学影像科"], "数字减影血管造影。", "III", "none", 0),
    ("心脏射频消融导管", "FireMagic", "微创电生理", ["心血管内科"], "用于心律失常的射频消融治疗。", "III", "none", 0),
    (
        "二尖瓣夹合系统",
        "ValveClamp",
        "捍宇",
        ["心血管内科", "心脏外科"],
        "经导管修复二尖瓣反流。",
        "III",
        "national",
        0,
    ),  # noqa: E501
    (
        "冠脉血流储备分数测量系统",
        "FlashAngio",
        "润迈德",
        ["心血管内科"],
        "结合造影与血管内影像评估冠脉狭窄。",
        "III",
        "shanghai",
        0,
    ),  # noqa: E501
    ("超导磁共振成像系统", "uMR 890 / 3.0T", "联影", ["医学影像科"], "3.0T 宽孔径。", "II", "national", 0),
    ("永磁型磁共振成像系统", "OPER-0.5", "申科", ["医学影像科"], "开放式低场永磁体。", "II", "none", 0),
    ("头部线圈", "HC-16", "某某", ["医学影像科"], "适配超导磁共振成像系统的十六通道头部线圈。", "II", "none", 0),
    ("X射线计算机体层摄影设备", "uCT 960+", "联影", ["医学影像科", "急诊科"], "宽体探测器。", "II", "none", 0),
    (
        "正电子发射及X射线计算机断层成像扫描系统",
        "uMI 780 (PET/CT)",
        "联影",
        ["核医学科"],
        "数字化探测器。",
        "III",
        "national",
        0,
    ),  # noqa: E501
    (
        "肺结节影像辅助检测软件",
        "InferRead",
        "推想",
        ["医学影像科"],
        "基于胸部CT影像辅助检出肺结节。",
        "III",
        "national",
        0,
    ),  # noqa: E501
    (
        "全膝关节置换手术导航定位系统",
        "鸿鹄 SkyWalker",
        "微创机器人",
        ["骨科", "关节外科"],
        "术中机械臂辅助截骨。",
        "III",
        "national",
        0,
    ),  # noqa: E501
    ("人工髋关节假体", "HJ-2", "康德", ["骨科", "关节外科"], "全髋关节置换。", "III", "none", 0),
    ("腔镜手术机器人", "Toumai", "微创机器人", ["普通外科", "泌尿外科"], "多孔腔镜手术。", "III", "national", 0),
    ("上肢康复训练机器人", "ArmMotus M2", "傅利叶", ["康复医学科"], "上肢康复训练。", "II", "shanghai", 0),
    ("彩色多普勒超声诊断系统", "uSONIQUE 80", "联影", ["超声科"], "腹部、心脏超声检查。", "II", "shanghai", 0),
    ("医用电子直线加速器", "uRT-linac 506c", "联影", ["放射治疗科"], "影像引导放射治疗。", "III", "national", 0),
    ("人工晶状体", "IOL-1", "睿视", ["眼科"], "白内障术后植入。", "III", "none", 0),
    ("颅内取栓支架", "Tonbridge", "心玮", ["神经内科", "神经外科"], "急性缺血性卒中机械取栓。", "III", "national", 0),  # noqa: E501
    ("血液透析滤过器", "HF-18", "恒泰", ["肾内科"], "血液透析滤过治疗。", "II", "none", 0),
    ("新型冠状病毒核酸检测试剂盒", "PCR-2", "之江", ["检验科"], "荧光PCR法。", "III", "none", 0),
    # Newer, innovative: must win ties with the everyday items above.
    (
        "持续葡萄糖监测系统",
        "Sibionics GS1",
        "硅基仿生",
        ["内分泌科"],
        "传感器连续监测组织间液葡萄糖，帮助糖尿病患者管理血糖。",
        "III",
        "national",
        1,
    ),  # noqa: E501
    ("胶囊内窥镜系统", "NaviCam", "安翰", ["消化内科"], "磁控胶囊，无需插管完成胃部检查。", "III", "national", 1),
    (
        "全自动微生物质谱检测系统",
        "Autof ms1000",
        "奥德",
        ["检验科"],
        "基质辅助激光解吸电离飞行时间质谱，快速鉴定病原微生物。",
        "III",
        "shanghai",
        1,
    ),  # noqa: E501
    ("血管内超声诊断系统", "IVUS-60", "全景", ["心血管内科"], "冠状动脉腔内成像。", "III", "national", 1),
    ("血管内冲击波治疗系统", "Shockwave", "蓝帆", ["心血管内科"], "冠脉钙化病变预处理。", "III", "shanghai", 1),
]


def build_catalogue(world: World) -> dict[str, Entry]:
    """The ranking catalogue, indexed; entries by product name."""
    newer = world.make_batch(world.catalogue, "第二批", date(2025, 6, 30))
    out = {}
    for name, model, short, departments, description, device_class, innovative, is_new in CATALOGUE:
        out[name] = world.entry(
            name,
            model=model,
            company=(f"上海{short}医疗科技有限公司", short),
            departments=departments,
            description=description,
            device_class=device_class,
            innovative=innovative,
            batch=newer if is_new else None,
        )
    world.index()
    return out
