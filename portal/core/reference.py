"""Controlled vocabularies of the domain (DESIGN §3)."""

# Shanghai's 16 districts.
DISTRICTS = (
    "黄浦区",
    "徐汇区",
    "长宁区",
    "静安区",
    "普陀区",
    "虹口区",
    "杨浦区",
    "闵行区",
    "宝山区",
    "嘉定区",
    "浦东新区",
    "金山区",
    "松江区",
    "青浦区",
    "奉贤区",
    "崇明区",
)

# Key areas of the 2025 action plan for high-end medical devices, plus the drug tracks.
DEVICE_KEY_AREAS = (
    "高端医学影像",
    "高端植入介入",
    "高端手术系统",
    "高端体外诊断",
    "高端放射治疗",
    "高端康复治疗",
    "高端人工智能医疗器械",
    "未来新型创新器械",
)
DRUG_KEY_AREAS = ("创新药", "改良型新药")
KEY_AREAS = DEVICE_KEY_AREAS + DRUG_KEY_AREAS

# Clinical departments (适用科室), after the national 医疗机构诊疗科目名录, as hospitals name them.
DEPARTMENTS = (
    "心血管内科",
    "心脏大血管外科",
    "神经内科",
    "神经外科",
    "骨科",
    "关节外科",
    "脊柱外科",
    "普通外科",
    "肝胆外科",
    "胃肠外科",
    "泌尿外科",
    "胸外科",
    "妇产科",
    "儿科",
    "眼科",
    "耳鼻咽喉科",
    "口腔科",
    "皮肤科",
    "肿瘤科",
    "放射治疗科",
    "医学影像科",
    "超声科",
    "核医学科",
    "检验科",
    "病理科",
    "麻醉科",
    "重症医学科",
    "急诊科",
    "康复医学科",
    "呼吸内科",
    "消化内科",
    "内分泌科",
    "肾内科",
    "血液科",
    "感染科",
    "精神科",
    "药剂科",
)
