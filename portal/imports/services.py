"""The web import: stage an upload, preview it (every row's errors, as the command line gives them), and import it
on confirmation through the same services as `flask catalogue import` and `flask hospitals import`."""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from portal.accounts.models import Role
from portal.catalogue import importer
from portal.catalogue.models import Catalogue
from portal.core.errors import DomainError, PermissionDenied
from portal.core.tabular import RowError, TableErrors
from portal.directory import services as directory
from portal.extensions import db
from portal.imports import staging

CATALOGUE, HOSPITALS = "catalogue", "hospitals"
KINDS = {CATALOGUE: "目录条目（已发布批次）", HOSPITALS: "医疗机构名单"}
PREVIEW_COLUMNS = {
    CATALOGUE: ("行", "产品名称", "注册证编号", "注册人", "管理类别", "获批日期"),
    HOSPITALS: ("行", "医院名称", "区", "级别", "是否公立"),
}


@dataclass
class Preview:
    columns: tuple
    rows: list = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    problem: str | None = None  # a file-level problem (no header, wrong options)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.problem and bool(self.rows)


def kinds_for(user) -> dict[str, str]:
    return KINDS if user.role is Role.ADMIN else {CATALOGUE: KINDS[CATALOGUE]}


def catalogues_for(user) -> list[Catalogue]:
    everything = db.session.scalars(sa.select(Catalogue).order_by(Catalogue.id)).all()
    return [c for c in everything if importer.can_import(user, c)]


def start(actor, kind: str, upload, *, catalogue_code="", batch_name="", published_on=None, assess=False):
    """Keep the upload (nothing is imported yet); the options are checked again at preview and confirmation."""
    if kind not in kinds_for(actor):
        raise PermissionDenied()
    params = {}
    if kind == CATALOGUE:
        catalogue = db.session.scalar(sa.select(Catalogue).where(Catalogue.code == catalogue_code))
        if catalogue is None or not importer.can_import(actor, catalogue):
            raise DomainError("请选择您负责的目录。", field="catalogue")
        if not (batch_name or "").strip():
            raise DomainError("请输入批次名称，例如 第五批。", field="batch")
        params = {
            "catalogue_code": catalogue.code,
            "batch_name": batch_name.strip(),
            "published_on": published_on.isoformat() if published_on else None,
            "assess": bool(assess),
        }
    if upload is None or not upload.filename:
        raise DomainError("请选择要导入的文件。", field="file")
    return staging.stage(actor, kind, upload, params)


def _catalogue_options(staged) -> dict:
    p = staged.params
    published_on = date.fromisoformat(p["published_on"]) if p["published_on"] else None
    return {"catalogue_code": p["catalogue_code"], "batch_name": p["batch_name"], "published_on": published_on}


def preview(actor, staged) -> Preview:
    """What the import would do, or every error; writes nothing."""
    result = Preview(PREVIEW_COLUMNS[staged.kind])
    try:
        if staged.kind == CATALOGUE:
            plan = importer.check_batch(actor, str(staged.path), **_catalogue_options(staged))
            result.rows = [
                [r.number, r.name, r.registration_no, r.company_name, r.device_class.label if r.device_class else "",
                 r.first_approved_on or ""]
                for r in plan.rows
            ]  # fmt: skip
        else:
            rows = directory.check_hospitals(actor, str(staged.path))
            result.rows = [[n, name, d, level.label, "是" if public else "否"] for n, name, d, level, public in rows]
    except TableErrors as exc:
        result.errors = exc.errors
    except PermissionDenied:
        raise
    except DomainError as exc:
        result.problem = exc.message
    return result


def confirm(actor, staged) -> str:
    """Import the staged file (the caller commits once); returns the summary. Progress goes to the staging area."""

    def progress(done, total):
        if done == total or done % max(1, total // 20) == 0:
            staging.set_progress(staged, done, total)

    if staged.kind == CATALOGUE:
        r = importer.import_batch(
            actor,
            str(staged.path),
            **_catalogue_options(staged),
            assess=staged.params["assess"],
            progress=progress,
            source=staged.filename,
        )
        summary = (
            f"已导入「{r.batch.name}」：新增企业 {r.companies}，新增产品 {r.products}，新增条目 {r.entries}，"
            f"已存在 {r.unchanged}" + (f"，新增评估任务 {r.assessments}" if staged.params["assess"] else "") + "。"
        )
    else:
        r = directory.import_hospitals(actor, str(staged.path), progress=progress, source=staged.filename)
        summary = f"已导入医疗机构：新增 {r.created}，更新 {r.updated}，未变化 {r.unchanged}。"
    return summary
