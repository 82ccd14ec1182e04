"""Companies and hospitals: creation, editing, and the hospital import (CSV or XLSX, all or nothing)."""

from dataclasses import dataclass

from portal.accounts.permissions import require_admin
from portal.audit.labels import field_changes
from portal.audit.services import record
from portal.core.errors import DomainError
from portal.core.reference import DISTRICTS
from portal.core.tabular import RowError, TableErrors, read_table
from portal.directory.identifiers import IdentifierError, validate_uscc
from portal.directory.models import Company, Hospital, HospitalLevel
from portal.directory.signals import company_changed
from portal.extensions import db


def _check_district(district: str | None, *, required: bool, field: str = "district") -> str | None:
    district = (district or "").strip() or None
    if district is None:
        if required:
            raise DomainError("请选择所在区。", field=field)
        return None
    if district not in DISTRICTS:
        raise DomainError(f"「{district}」不是上海市的区，应为：{'、'.join(DISTRICTS)}。", field=field)
    return district


def save_company(
    actor,
    company: Company | None,
    *,
    uscc: str,
    name: str,
    short_name: str = "",
    district: str | None = None,
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
) -> Company:
    """Create (company None) or update a company; the 统一社会信用代码 is validated with its check character."""
    require_admin(actor)
    try:
        uscc = validate_uscc(uscc)
    except IdentifierError as exc:
        raise DomainError(exc.message, field="uscc") from exc
    name = (name or "").strip()
    if not name:
        raise DomainError("请输入企业名称。", field="name")
    district = _check_district(district, required=False)
    clash = db.session.scalar(
        db.select(Company)
        .where(db.or_(Company.uscc == uscc, Company.name == name))
        .where(Company.id != (company.id if company else -1))
    )
    if clash is not None:
        field = "uscc" if clash.uscc == uscc else "name"
        raise DomainError(
            f"已存在相同{'统一社会信用代码' if field == 'uscc' else '名称'}的企业：{clash.name}。", field=field
        )
    is_new = company is None
    company = company or Company()
    values = dict(
        uscc=uscc,
        name=name,
        short_name=short_name.strip(),
        district=district,
        address=address,
        contact_name=contact_name,
        contact_phone=contact_phone,
    )
    changes = None if is_new else field_changes(company, values)
    for key, value in values.items():
        setattr(company, key, value)
    db.session.add(company)
    record("company.created" if is_new else "company.updated", actor=actor, obj=company, data=_changes(changes))
    if changes:
        company_changed.send(company, fields=list(changes))
    return company


def save_hospital(
    actor, hospital: Hospital | None, *, name: str, district: str, level: HospitalLevel, is_public: bool
) -> Hospital:
    require_admin(actor)
    name = (name or "").strip()
    if not name:
        raise DomainError("请输入医疗机构名称。", field="name")
    district = _check_district(district, required=True)
    clash = db.session.scalar(
        db.select(Hospital.id).where(Hospital.name == name, Hospital.id != (hospital.id if hospital else -1))
    )
    if clash:
        raise DomainError(f"医疗机构「{name}」已存在。", field="name")
    is_new = hospital is None
    hospital = hospital or Hospital()
    values = dict(name=name, district=district, level=level, is_public=is_public)
    changes = None if is_new else field_changes(hospital, values)
    for key, value in values.items():
        setattr(hospital, key, value)
    db.session.add(hospital)
    record("hospital.created" if is_new else "hospital.updated", actor=actor, obj=hospital, data=_changes(changes))
    return hospital


def _changes(changes: dict | None) -> dict | None:
    return {"changes": changes} if changes else None


HOSPITAL_COLUMNS = ("医院名称", "区", "级别", "是否公立")
YES_NO = {"是": True, "否": False}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _hospital_row(row, seen: dict) -> tuple:
    name = row.require("医院名称")
    if name in seen:
        raise RowError(row.number, "医院名称", f"与第 {seen[name]} 行重复：{name}")
    district = row.require("区")
    if district not in DISTRICTS:
        raise RowError(row.number, "区", f"「{district}」不是上海市的区")
    try:
        level = HospitalLevel.from_label(row.require("级别"))
    except ValueError:
        raise RowError(row.number, "级别", f"应为 三级、二级 或 一级，实际为「{row['级别']}」") from None
    public_text = row.require("是否公立")
    if public_text not in YES_NO:
        raise RowError(row.number, "是否公立", f"应为 是 或 否，实际为「{public_text}」")
    return name, district, level, YES_NO[public_text]


def check_hospitals(actor, path: str) -> list[tuple]:
    """Every row of the file as (row number, name, district, level, is_public); TableErrors names every bad row."""
    require_admin(actor)
    parsed, errors, seen = [], [], {}
    for row in read_table(path, HOSPITAL_COLUMNS):
        try:
            item = _hospital_row(row, seen)
        except RowError as exc:
            errors.append(exc)
        else:
            seen[item[0]] = row.number
            parsed.append((row.number, *item))
    if errors:
        raise TableErrors(errors)
    return parsed


def import_hospitals(actor, path: str, progress=None, source: str | None = None) -> ImportResult:
    """Load hospitals from CSV or XLSX. Any bad row aborts the whole import with the row and column named."""
    parsed = check_hospitals(actor, path)
    result = ImportResult()
    existing = {h.name: h for h in db.session.scalars(db.select(Hospital))}
    for index, (_number, name, district, level, is_public) in enumerate(parsed, start=1):
        hospital = existing.get(name)
        if hospital is None:
            db.session.add(Hospital(name=name, district=district, level=level, is_public=is_public))
            result.created += 1
        elif (hospital.district, hospital.level, hospital.is_public) != (district, level, is_public):
            hospital.district, hospital.level, hospital.is_public = district, level, is_public
            result.updated += 1
        else:
            result.unchanged += 1
        if progress:
            progress(index, len(parsed))
    record("hospital.imported", actor=actor, comment=source or path, data=result.__dict__)
    return result
