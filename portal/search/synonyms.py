"""The synonym table: built-in colloquial names and abbreviations, and what admins add or change."""

from __future__ import annotations

from sqlalchemy import select

from portal.accounts.permissions import require_admin
from portal.audit.services import record
from portal.core.errors import DomainError, NotFound
from portal.core.persistence import get_or_not_found
from portal.extensions import db
from portal.search.analysis import fold
from portal.search.models import Synonym
from portal.search.query import invalidate_synonyms

# Colloquial names and abbreviations hospital staff type → what registrations call them. Migration
# 0004_search installs them (so every deployment has them after `flask db upgrade`); admins edit them there.
BUILTIN = {
    "彩超": ["彩色多普勒超声", "彩色超声"],
    "B超": ["超声诊断"],
    "DSA": ["血管造影", "数字减影血管造影"],
    "CT": ["计算机断层扫描", "X射线计算机体层摄影", "计算机断层成像"],
    "核磁": ["磁共振"],
    "核磁共振": ["磁共振"],
    "MRI": ["磁共振"],
    "MR": ["磁共振"],
    "PET-CT": ["正电子发射及X射线计算机断层成像", "正电子发射断层"],
    "PET/CT": ["正电子发射及X射线计算机断层成像"],
    "达芬奇": ["腔镜手术机器人", "内窥镜手术系统"],
    "手术机器人": ["腔镜手术机器人", "手术导航定位系统", "骨科手术机器人"],
    "支架": ["洗脱支架", "支架系统"],
    "心脏支架": ["冠脉支架", "冠状动脉支架", "洗脱支架"],
    "心脏瓣膜": ["主动脉瓣膜", "经导管主动脉瓣", "二尖瓣"],
    "人工瓣膜": ["主动脉瓣膜", "二尖瓣"],
    "TAVI": ["经导管主动脉瓣"],
    "TAVR": ["经导管主动脉瓣"],
    "直线加速器": ["医用电子直线加速器"],
    "放疗": ["放射治疗"],
    "外骨骼": ["康复训练机器人"],
    "消融": ["射频消融"],
    "核酸检测": ["核酸检测试剂"],
    "AI": ["人工智能", "辅助检测软件"],
    "人工关节": ["关节置换"],
    "胃镜": ["内窥镜"],
    "肠镜": ["内窥镜"],
    "内镜": ["内窥镜"],
    "腔镜": ["内窥镜", "腔镜"],
    "PET": ["正电子发射"],
    "CGM": ["持续葡萄糖监测", "动态血糖"],
    "动态血糖": ["持续葡萄糖监测"],
    "IVUS": ["血管内超声"],
    "OCT": ["光学相干断层成像"],
    "ECMO": ["体外膜肺氧合", "膜式氧合"],
    "质谱": ["质谱仪", "质谱检测"],
    "起搏器": ["心脏起搏器", "植入式心脏起搏器"],
    "人工耳蜗": ["植入式耳蜗", "人工耳蜗植入"],
}


def seed_synonyms() -> int:
    """Add the built-in synonyms that are missing (never overwrites an admin's edit); no commit."""
    existing = {fold_key(t) for t in db.session.scalars(select(Synonym.term))}
    added = 0
    for term, expansions in BUILTIN.items():
        if fold_key(term) not in existing:
            db.session.add(Synonym(term=term, expansions=list(expansions)))
            added += 1
    invalidate_synonyms()
    return added


def fold_key(term: str) -> str:
    return fold(term).strip()


def _parse_expansions(text) -> list[str]:
    if isinstance(text, list | tuple):
        text = "\n".join(str(t) for t in text)
    parts = [p.strip() for p in (text or "").replace("，", "\n").replace(",", "\n").replace("、", "\n").splitlines()]
    return list(dict.fromkeys(p for p in parts if p))


def all_synonyms(actor) -> list[Synonym]:
    """The admins' synonym page, by term."""
    require_admin(actor)
    return db.session.scalars(select(Synonym).order_by(Synonym.term)).all()


def get_synonym(actor, synonym_id: int) -> Synonym:
    require_admin(actor)
    return get_or_not_found(Synonym, synonym_id)


def save_synonym(actor, synonym, *, term: str, expansions: str):
    """Create (synonym None) or change a synonym; admins only."""
    require_admin(actor)
    term = (term or "").strip()
    if not term:
        raise DomainError("请输入检索词。", field="term")
    if len(term) > 64:
        raise DomainError("检索词不能超过 64 个字符。", field="term")
    values = _parse_expansions(expansions)
    if not values:
        raise DomainError("请至少填写一个同义词（每行一个，或用逗号、顿号分隔）。", field="expansions")
    if any(len(v) > 64 for v in values):
        raise DomainError("每个同义词不能超过 64 个字符。", field="expansions")
    key = fold_key(term)
    for other_id, other_term in db.session.execute(select(Synonym.id, Synonym.term)):
        if fold_key(other_term) == key and (synonym is None or other_id != synonym.id):
            raise DomainError(f"检索词「{term}」已存在，请直接编辑。", field="term")
    is_new = synonym is None
    synonym = synonym or Synonym()
    synonym.term, synonym.expansions = term, values
    db.session.add(synonym)
    db.session.flush()
    record(
        "synonym.created" if is_new else "synonym.updated",
        actor=actor,
        obj=synonym,
        data={"term": term, "expansions": values},
    )
    invalidate_synonyms()
    return synonym


def delete_synonym(actor, synonym) -> None:
    require_admin(actor)
    if synonym is None:
        raise NotFound()
    record("synonym.deleted", actor=actor, obj=synonym, data={"term": synonym.term})
    db.session.delete(synonym)
    invalidate_synonyms()
