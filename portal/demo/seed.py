"""Demo data: catalogues, companies, hospitals, products, batches, assessments and one login per role.

`seed_demo` is idempotent: every object is looked up by its natural key and only what is missing is
created. It does not commit; the `demo seed` command does, once.
"""

import hashlib
import unicodedata
from datetime import date, timedelta

from portal.accounts.models import Role, User
from portal.accounts.services import create_user
from portal.applications.models import Application, Submission
from portal.assessments.creation import create_assessments
from portal.assessments.models import Assessment, AssessmentEvent, EventKind, Outcome
from portal.audit.services import record
from portal.catalogue.models import Batch, Catalogue, Entry, Scope
from portal.catalogue.services import entry_from_product, save_catalogue
from portal.core import timeutil
from portal.core.identifiers import KIND_DRUG, USCC_ALPHABET, parse_registration_no, uscc_check_char
from portal.directory.models import Company, Hospital, HospitalLevel
from portal.directory.services import save_company, save_hospital
from portal.extensions import db
from portal.products.models import DeviceClass, InnovativeReview, Product, ProductType, Track
from portal.search.models import IndexChange
from portal.workflow import ApplicationState, AssessmentState, BatchState

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - the demo logins are printed on purpose
COMMENT = "演示数据"

CATALOGUES = [
    dict(
        code="SH-XYYX",
        name='上海市生物医药"新优药械"产品目录',
        scope=Scope.CITY,
        district=None,
        deadline_days=30,
        notice_days=7,
        description="上海市经信委、市卫健委、市药监局等部门联合发布的创新药械产品目录。",
    ),
    dict(
        code="BS-CXYX",
        name="宝山区创新药械产品推荐目录",
        scope=Scope.DISTRICT,
        district="宝山区",
        deadline_days=30,
        notice_days=7,
        description="宝山区推荐区内企业的创新药品和医疗器械。",
    ),
]

# (name, short name, district, address); the USCC is derived from the name and district.
COMPANIES = [
    ("上海联影医疗科技股份有限公司", "联影", "嘉定区", "上海市嘉定区城北路2258号"),
    ("上海联影智能医疗科技有限公司", "联影智能", "徐汇区", "上海市徐汇区云锦路701号"),
    ("上海微创医疗器械（集团）有限公司", "微创", "浦东新区", "上海市浦东新区张东路1601号"),
    ("上海微创心通医疗科技有限公司", "微创心通", "浦东新区", "上海市浦东新区张东路1601号"),
    ("上海微创电生理医疗科技股份有限公司", "微创电生理", "浦东新区", "上海市浦东新区康新公路3399弄"),
    ("上海微创医疗机器人（集团）股份有限公司", "微创机器人", "浦东新区", "上海市浦东新区张东路1601号"),
    ("上海复星医药（集团）股份有限公司", "复星医药", "普陀区", "上海市普陀区曹杨路510号"),
    ("上海君实生物医药科技股份有限公司", "君实生物", "浦东新区", "上海市浦东新区海趣路36号"),
    ("上海之江生物科技股份有限公司", "之江生物", "闵行区", "上海市闵行区新骏环路"),
    ("上海傅利叶智能科技有限公司", "傅利叶", "浦东新区", "上海市浦东新区金科路"),
    ("上海宝山臻远医疗科技有限公司", "臻远医疗", "宝山区", "上海市宝山区城银路"),
    ("上海宝岳康复器械有限公司", "宝岳康复", "宝山区", "上海市宝山区富联路"),
]

# Administrative division codes used in positions 3–8 of a USCC.
DISTRICT_CODES = {
    "黄浦区": "310101",
    "徐汇区": "310104",
    "长宁区": "310105",
    "静安区": "310106",
    "普陀区": "310107",
    "虹口区": "310109",
    "杨浦区": "310110",
    "闵行区": "310112",
    "宝山区": "310113",
    "嘉定区": "310114",
    "浦东新区": "310115",
    "金山区": "310116",
    "松江区": "310117",
    "青浦区": "310118",
    "奉贤区": "310120",
    "崇明区": "310151",
}

T, S, P = HospitalLevel.TERTIARY, HospitalLevel.SECONDARY, HospitalLevel.PRIMARY

# (name, district, level, is_public)
HOSPITALS = [
    ("上海市第一人民医院", "虹口区", T, True),
    ("复旦大学附属中山医院", "徐汇区", T, True),
    ("上海交通大学医学院附属瑞金医院", "黄浦区", T, True),
    ("上海市第十人民医院", "静安区", T, True),
    ("复旦大学附属华山医院", "静安区", T, True),
    ("上海市第六人民医院", "徐汇区", T, True),
    ("上海市宝山区中西医结合医院", "宝山区", T, True),
    ("上海市宝山区罗店医院", "宝山区", S, True),
    ("上海市宝山区吴淞中心医院", "宝山区", S, True),
    ("上海市宝山区大场医院", "宝山区", S, True),
    ("上海市宝山区月浦镇社区卫生服务中心", "宝山区", P, True),
    ("上海和睦家医院", "长宁区", S, False),
    ("上海嘉会国际医院", "徐汇区", S, False),
]

NAT, SH, NO = InnovativeReview.NATIONAL, InnovativeReview.SHANGHAI, InnovativeReview.NONE

# Product type and device class are derived from the registration number.
PRODUCTS = [
    dict(
        company="联影",
        name="超导磁共振成像系统",
        model="uMR 890 / 3.0T",
        reg="国械注准20213060361",
        approved=date(2021, 3, 18),
        area="高端医学影像",
        review=NAT,
        departments=["医学影像科", "神经内科", "神经外科", "心血管内科"],
        indications="供临床进行头颅、脊柱、心脏、腹部、盆腔及四肢关节等部位的磁共振成像检查。",
        description="3.0T 超导磁共振成像系统，宽孔径设计，支持人工智能辅助快速成像与多参数定量分析。",
    ),
    dict(
        company="联影",
        name="正电子发射及X射线计算机断层成像扫描系统",
        model="uMI 780 (PET-CT)",
        reg="国械注准20183060284",
        approved=date(2018, 6, 12),
        area="高端医学影像",
        review=NAT,
        departments=["核医学科", "肿瘤科", "医学影像科"],
        indications="用于全身正电子发射断层成像与X射线计算机断层成像，供肿瘤、心脏及神经系统疾病的诊断、分期和疗效评估。",
        description="数字化 PET-CT，轴向视野 30cm，时间飞行分辨率优于 400ps。",
    ),
    dict(
        company="联影",
        name="X射线计算机体层摄影设备",
        model="uCT 960+",
        reg="国械注准20203060512",
        approved=date(2020, 9, 25),
        area="高端医学影像",
        review=NO,
        track=Track.FAMOUS,
        departments=["医学影像科", "急诊科", "心血管内科"],
        indications="供临床进行全身X射线计算机体层摄影检查。",
        description="320排宽体探测器 CT，单心跳心脏成像，低剂量扫描。",
    ),
    dict(
        company="联影",
        name="彩色多普勒超声诊断系统",
        model="uSONIQUE 80",
        reg="沪械注准20232060185",
        approved=date(2023, 4, 20),
        area="高端医学影像",
        review=SH,
        departments=["超声科", "心血管内科", "妇产科"],
        indications="供临床进行腹部、心脏、妇产、浅表器官及外周血管的超声诊断。",
        description="高端台式彩超（彩超），支持剪切波弹性成像与智能测量。",
    ),
    dict(
        company="联影",
        name="血管造影X射线机",
        model="uAngio 960 (DSA)",
        reg="国械注准20223060718",
        approved=date(2022, 11, 8),
        area="高端医学影像",
        review=NAT,
        departments=["心血管内科", "神经外科", "医学影像科"],
        indications="供心血管、神经及外周血管介入诊疗中的数字减影血管造影（DSA）。",
        description="落地式 C 形臂血管造影系统，低剂量透视与三维血管重建。",
    ),
    dict(
        company="联影",
        name="医用电子直线加速器",
        model="uRT-linac 506c",
        reg="国械注准20193050433",
        approved=date(2019, 5, 30),
        area="高端放射治疗",
        review=NAT,
        departments=["放射治疗科", "肿瘤科"],
        indications="用于恶性肿瘤的放射治疗，支持调强放疗和图像引导放疗。",
        description="一体化 CT 引导直线加速器，诊断级影像引导放疗。",
    ),
    dict(
        company="联影智能",
        name="肺结节CT图像辅助检测软件",
        model="uAI-LN V2.0",
        reg="国械注准20213210127",
        approved=date(2021, 8, 16),
        area="高端人工智能医疗器械",
        review=NAT,
        departments=["医学影像科", "胸外科", "呼吸内科"],
        indications="用于胸部CT图像中肺结节的自动检测、分割和测量，辅助医生阅片。",
        description="基于深度学习的肺结节检出与良恶性风险提示软件。",
    ),
    dict(
        company="微创",
        name="冠脉雷帕霉素靶向洗脱支架系统",
        model="Firehawk 火鹰，直径2.25–4.00mm，长度13–38mm",
        reg="国械注准20143130478",
        approved=date(2014, 1, 8),
        area="高端植入介入",
        review=NAT,
        departments=["心血管内科"],
        indications="用于改善原发性冠状动脉病变引起的有症状缺血性心脏病患者的冠状动脉管腔直径。",
        description="靶向洗脱技术，药物用量约为同类支架的三分之一。",
    ),
    dict(
        company="微创心通",
        name="经导管主动脉瓣膜系统",
        model="VitaFlow Liberty",
        reg="国械注准20213130264",
        approved=date(2021, 7, 5),
        area="高端植入介入",
        review=NAT,
        departments=["心血管内科", "心脏大血管外科"],
        indications="适用于经心脏团队评估为外科手术高危或禁忌的重度主动脉瓣狭窄患者。",
        description="可回收经导管主动脉瓣置换（TAVI）系统，电动输送。",
    ),
    dict(
        company="微创电生理",
        name="压力监测磁电双定位射频消融导管",
        model="FireMagic TrueForce",
        reg="国械注准20223010563",
        approved=date(2022, 9, 14),
        area="高端植入介入",
        review=NAT,
        departments=["心血管内科"],
        indications="用于药物难治性阵发性心房颤动的心内射频消融治疗。",
        description="导管头端实时监测接触压力，配合三维电生理标测系统使用。",
    ),
    dict(
        company="微创机器人",
        name="全膝关节置换手术导航定位系统",
        model="鸿鹄 SkyWalker",
        reg="国械注准20223010411",
        approved=date(2022, 4, 26),
        area="高端手术系统",
        review=NAT,
        departments=["骨科", "关节外科"],
        indications="用于全膝关节置换手术中截骨平面的规划、导航与定位。",
        description="骨科手术机器人，术前 CT 三维规划，术中机械臂辅助精准截骨。",
    ),
    dict(
        company="微创机器人",
        name="腔镜手术机器人",
        model="图迈 Toumai MT-1000",
        reg="国械注准20223010112",
        approved=date(2022, 1, 21),
        area="高端手术系统",
        review=NAT,
        departments=["普通外科", "泌尿外科", "胸外科", "妇产科"],
        indications="用于泌尿外科、普通外科、胸外科和妇科腔镜手术的操作控制。",
        description="四臂腔镜手术机器人，支持远程手术。",
    ),
    dict(
        company="傅利叶",
        name="上肢康复训练机器人",
        model="ArmMotus M2",
        reg="沪械注准20212190236",
        approved=date(2021, 6, 10),
        area="高端康复治疗",
        review=SH,
        departments=["康复医学科", "神经内科"],
        indications="用于脑卒中、脊髓损伤等所致上肢运动功能障碍患者的康复训练。",
        description="末端牵引式上肢康复机器人，主动、被动与助力多种训练模式。",
    ),
    dict(
        company="傅利叶",
        name="下肢康复训练机器人",
        model="ExoMotus X2",
        reg="沪械注准20222190358",
        approved=date(2022, 10, 18),
        area="高端康复治疗",
        review=NO,
        departments=["康复医学科", "骨科"],
        indications="用于下肢运动功能障碍患者的步行康复训练。",
        description="穿戴式下肢外骨骼康复机器人。",
    ),
    dict(
        company="之江生物",
        name="新型冠状病毒核酸检测试剂盒（荧光PCR法）",
        model="24人份/盒、48人份/盒",
        reg="国械注准20203400058",
        approved=date(2020, 1, 26),
        area="高端体外诊断",
        review=NO,
        departments=["检验科", "感染科"],
        indications="用于体外定性检测咽拭子、痰液等样本中的新型冠状病毒（2019-nCoV）核酸。",
        description="实时荧光 PCR 法，三靶标检测，含内标质控。",
    ),
    dict(
        company="之江生物",
        name="结核分枝杆菌复合群核酸检测试剂盒（荧光PCR法）",
        model="48人份/盒",
        reg="国械注准20193400337",
        approved=date(2019, 11, 5),
        area="高端体外诊断",
        review=NO,
        departments=["检验科", "呼吸内科", "感染科"],
        indications="用于体外定性检测痰液样本中的结核分枝杆菌复合群核酸。",
        description="实时荧光 PCR 法，适用于结核病的辅助诊断。",
    ),
    dict(
        company="君实生物",
        name="特瑞普利单抗注射液",
        model="240mg(6ml)/瓶",
        reg="国药准字S20180015",
        approved=date(2018, 12, 17),
        area="创新药",
        review=NO,
        departments=["肿瘤科"],
        indications="用于既往标准治疗失败后的局部进展或转移性黑色素瘤等多种实体瘤的治疗。",
        description="国产抗 PD-1 单克隆抗体。",
    ),
    dict(
        company="君实生物",
        name="氢溴酸氘瑞米德韦片",
        model="0.1g/片",
        reg="国药准字H20230002",
        approved=date(2023, 1, 28),
        area="创新药",
        review=NO,
        departments=["感染科", "呼吸内科"],
        indications="用于治疗轻中度新型冠状病毒感染的成年患者。",
        description="口服核苷类抗病毒药物。",
    ),
    dict(
        company="复星医药",
        name="斯鲁利单抗注射液",
        model="100mg(10ml)/瓶",
        reg="国药准字S20220009",
        approved=date(2022, 3, 22),
        area="创新药",
        review=NO,
        departments=["肿瘤科"],
        indications="用于不可切除或转移性微卫星高度不稳定（MSI-H）成人晚期实体瘤等的治疗。",
        description="创新型抗 PD-1 单克隆抗体。",
    ),
    dict(
        company="臻远医疗",
        name="一次性使用电子输尿管肾盂镜",
        model="ZY-URS-92 (9.2Fr)",
        reg="沪械注准20232060417",
        approved=date(2023, 8, 9),
        area="高端手术系统",
        review=SH,
        departments=["泌尿外科"],
        indications="用于输尿管及肾盂腔内的观察、诊断和治疗。",
        description="一次性使用电子内窥镜，避免交叉感染，免除复用消毒。",
    ),
    dict(
        company="宝岳康复",
        name="下肢步态康复训练系统",
        model="BY-GT200",
        reg="沪械注准20222190512",
        approved=date(2022, 5, 17),
        area="高端康复治疗",
        review=NO,
        departments=["康复医学科", "骨科", "神经内科"],
        indications="用于下肢运动功能障碍患者的步态训练与评估。",
        description="减重步态训练与步态分析一体化系统。",
    ),
]

# Offsets in days from now. Published batches list `entries` (as recommended applications).
BATCHES = [
    dict(
        catalogue="SH-XYYX",
        name="第五批",
        state=BatchState.PUBLISHED,
        opens=-200,
        closes=-170,
        notice=(-30, -23),
        published=-20,
        entries=[
            "超导磁共振成像系统",
            "正电子发射及X射线计算机断层成像扫描系统",
            "彩色多普勒超声诊断系统",
            "血管造影X射线机",
            "肺结节CT图像辅助检测软件",
            "经导管主动脉瓣膜系统",
            "全膝关节置换手术导航定位系统",
            "上肢康复训练机器人",
            "新型冠状病毒核酸检测试剂盒（荧光PCR法）",
            "特瑞普利单抗注射液",
            "氢溴酸氘瑞米德韦片",
        ],
    ),
    dict(catalogue="SH-XYYX", name="第六批", state=BatchState.OPEN, opens=-10, closes=20),
    dict(catalogue="BS-CXYX", name="2026年第一批", state=BatchState.OPEN, opens=-5, closes=25),
]

# Applications in open batches: (catalogue, batch, product, state).
OPEN_APPLICATIONS = [
    ("SH-XYYX", "第六批", "X射线计算机体层摄影设备", ApplicationState.SUBMITTED),
    ("SH-XYYX", "第六批", "医用电子直线加速器", ApplicationState.DRAFT),
    ("SH-XYYX", "第六批", "腔镜手术机器人", ApplicationState.SUBMITTED),
    ("BS-CXYX", "2026年第一批", "一次性使用电子输尿管肾盂镜", ApplicationState.DRAFT),
    ("BS-CXYX", "2026年第一批", "下肢步态康复训练系统", ApplicationState.SUBMITTED),
]

# Sample decisions on the published batch: (hospital, product, outcome, reason, days after publication).
DECISIONS = [
    ("上海市第一人民医院", "超导磁共振成像系统", Outcome.ADMITTED, None, 6),
    ("上海市第一人民医院", "血管造影X射线机", Outcome.ADMITTED, None, 9),
    ("上海市第一人民医院", "上肢康复训练机器人", Outcome.DECLINED, "院内同类设备尚在使用年限内，暂不新增配备。", 12),
    ("上海市第一人民医院", "新型冠状病毒核酸检测试剂盒（荧光PCR法）", Outcome.ADMITTED, None, 4),
    ("上海市宝山区中西医结合医院", "上肢康复训练机器人", Outcome.ADMITTED, None, 8),
    (
        "上海市宝山区中西医结合医院",
        "经导管主动脉瓣膜系统",
        Outcome.NOT_APPLICABLE,
        "本院未开展经导管主动脉瓣置换术，无相应科室。",
        5,
    ),
]
# Assessments under way: (hospital, product, note, days after publication).
IN_REVIEW = [
    ("上海市第一人民医院", "全膝关节置换手术导航定位系统", "关节外科提交配备申请，待医学装备委员会审议。", 10),
    ("上海市宝山区中西医结合医院", "超导磁共振成像系统", "医学影像科提交配备申请。", 7),
]

# (email, role, name, scope): scope is a company short name, a hospital name or catalogue codes.
USERS = [
    ("admin@demo.xinyou.cn", Role.ADMIN, "演示管理员", None),
    ("reviewer@demo.xinyou.cn", Role.REVIEWER, "演示审核员", ("SH-XYYX", "BS-CXYX")),
    ("company@demo.xinyou.cn", Role.MANUFACTURER, "联影申报专员", "联影"),
    ("company2@demo.xinyou.cn", Role.MANUFACTURER, "臻远申报专员", "臻远医疗"),
    ("hospital@demo.xinyou.cn", Role.HOSPITAL, "一院医学装备科", "上海市第一人民医院"),
    ("hospital-bs@demo.xinyou.cn", Role.HOSPITAL, "宝山中西医结合医院装备科", "上海市宝山区中西医结合医院"),
]


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
            catalogue = save_catalogue(None, None, **spec)
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
                None,
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
            hospital = save_hospital(None, None, name=name, district=district, level=level, is_public=is_public)
            counts["hospitals"] += 1
        result[name] = hospital
    return result


def seed_users(counts, catalogues, companies, hospitals) -> list[User]:
    users = []
    for email, role, name, scope in USERS:
        user = _get(User, email=email)
        if user is None:
            user = create_user(
                None,
                email=email,
                role=role,
                password=DEMO_PASSWORD,
                name=name,
                company=companies.get(scope) if role is Role.MANUFACTURER else None,
                hospital=hospitals.get(scope) if role is Role.HOSPITAL else None,
                catalogues=[catalogues[code] for code in scope] if role is Role.REVIEWER else (),
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
                state=spec["state"],
                opens_at=now + timedelta(days=spec["opens"]),
                closes_at=now + timedelta(days=spec["closes"]),
            )
            if "notice" in spec:
                start, end = spec["notice"]
                batch.notice_starts_at = now + timedelta(days=start)
                batch.notice_ends_at = now + timedelta(days=end)
            if spec["state"] is BatchState.PUBLISHED:
                batch.published_at = now + timedelta(days=spec["published"])
                batch.published_on = timeutil.today_shanghai(batch.published_at)
            db.session.add(batch)
            action = "publish" if spec["state"] is BatchState.PUBLISHED else spec["state"].value
            record(f"batch.{action}", obj=batch, to_state=batch.state, comment=COMMENT)
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


# Audit action for an application created directly in a state (named like workflow.transition's actions).
APPLICATION_ACTIONS = {
    ApplicationState.DRAFT: "application.created",
    ApplicationState.SUBMITTED: "application.submit",
    ApplicationState.RECOMMENDED: "application.recommend",
}


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
        state=state,
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
    record(APPLICATION_ACTIONS[state], obj=application, to_state=state, comment=COMMENT)
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
        assessment.state, assessment.outcome, assessment.reason = AssessmentState.DECIDED, outcome, reason
        assessment.decided_at, assessment.decided_by_id = at, user.id
        assessment.is_late = at > assessment.due_at
        _event(assessment, EventKind.DECISION, at, user, reason or outcome.label, outcome)
        record(
            "assessment.decide",
            actor=user,
            obj=assessment,
            from_state=AssessmentState.PENDING,
            to_state=AssessmentState.DECIDED,
            comment=COMMENT,
            data={"outcome": outcome.value},
        )
    for hospital, product, note, days in IN_REVIEW:
        assessment = by_key.get((hospital, product))
        user = assessment and users.get(assessment.hospital_id)
        if user is None:
            continue
        assessment.state = AssessmentState.IN_REVIEW
        at = batch.published_at + timedelta(days=days)
        _event(assessment, EventKind.DEPARTMENT_REQUEST, at, user, note)
        record(
            "assessment.start",
            actor=user,
            obj=assessment,
            from_state=AssessmentState.PENDING,
            to_state=AssessmentState.IN_REVIEW,
            comment=COMMENT,
        )


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
    from portal.workflow import ObjectionState

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
        state=ObjectionState.DISMISSED,
        resolution=spec["resolution"],
        resolved_by_id=reviewer.id,
        resolved_at=batch.notice_starts_at + timedelta(days=3),
        created_at=batch.notice_starts_at + timedelta(days=1),
    )
    db.session.add(objection)
    record("objection.filed", subject=spec["name"], obj=objection, to_state=ObjectionState.OPEN, comment=COMMENT)
    record(
        "objection.dismiss",
        actor=reviewer,
        obj=objection,
        from_state=ObjectionState.OPEN,
        to_state=ObjectionState.DISMISSED,
        comment=spec["resolution"],
    )


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
    from portal.search.services import seed_synonyms  # search area: colloquial names (彩超, DSA, 核磁 …)

    seed_synonyms()
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
