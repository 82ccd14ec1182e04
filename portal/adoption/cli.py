"""`flask adoption import-usage`, `flask adoption report` and `flask adoption remind` (DESIGN §6)."""

import json

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from portal.accounts.system import system_actor
from portal.adoption.figures import Scope, by_entry
from portal.adoption.importer import import_usage
from portal.adoption.reminders import send_usage_reminders
from portal.catalogue.models import Batch, Catalogue
from portal.core.errors import DomainError
from portal.core.unit import run_cli
from portal.extensions import db
from portal.notifications.services import send_reminders_now

adoption_cli = AppGroup("adoption", help="配备与使用情况")

REPORT_COLUMNS = (
    ("product_name", "产品名称"),
    ("registration_no", "注册证编号"),
    ("hospitals", "医院"),
    ("decided", "已决定"),
    ("admitted", "同意"),
    ("declined", "暂不"),
    ("not_applicable", "不适用"),
    ("late", "逾期"),
    ("open", "未完成"),
    ("equipped", "已配备"),
    ("in_use", "在用"),
    ("uses", "使用例数"),
)


@adoption_cli.command("import-usage")
@click.argument("path", type=click.Path(dir_okay=False))
def import_usage_command(path):
    """Monthly use counts from CSV or XLSX (columns 医院名称, 注册证编号, 月份, 使用例数, 配备日期); all or nothing."""
    result = run_cli(import_usage, system_actor(), path)
    click.echo(f"已导入 {result.reports} 条使用情况（其中新登记配备 {result.equipped} 项）。")


def report_scope(catalogue_code, batch_name, district) -> Scope:
    catalogue_id = batch_id = None
    if catalogue_code:
        catalogue_id = db.session.scalar(sa.select(Catalogue.id).where(Catalogue.code == catalogue_code))
        if catalogue_id is None:
            raise DomainError(f"没有代码为 {catalogue_code} 的目录。")
    if batch_name:
        query = sa.select(Batch.id).where(Batch.name == batch_name)
        if catalogue_id:
            query = query.where(Batch.catalogue_id == catalogue_id)
        ids = db.session.scalars(query).all()
        if len(ids) != 1:
            raise DomainError(
                f"没有名为 {batch_name} 的批次。" if not ids else "多个目录都有这个批次，请同时指定 --catalogue。"
            )
        batch_id = ids[0]
    return Scope(catalogue_id=catalogue_id, batch_id=batch_id, district=district or None)


@adoption_cli.command("report")
@click.option("--catalogue", "catalogue_code", default=None, help="目录代码，例如 SH-XYYX")
@click.option("--batch", "batch_name", default=None, help="批次名称，例如 第五批")
@click.option("--district", default=None, help="只统计该区的医疗机构，例如 宝山区")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 列表")
def report(catalogue_code, batch_name, district, as_json):
    """Per entry: hospitals, decided, admitted, declined, not applicable, late, open, equipped, in use, uses."""
    rows = by_entry(run_cli(report_scope, catalogue_code, batch_name, district))
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("没有符合条件的目录条目。")
        return
    click.echo("\t".join(label for _, label in REPORT_COLUMNS))
    for row in rows:
        click.echo("\t".join(str(row[key]) for key, _ in REPORT_COLUMNS))
    products = sum(1 for r in rows if r["admitted"])
    click.echo(f"合计：{len(rows)} 个产品，{products} 个已有医疗机构同意配备，使用 {sum(r['uses'] for r in rows)} 例。")


@adoption_cli.command("remind")
@click.option("--dry-run", is_flag=True, help="只列出将要发送的提醒，不发送也不记录")
def remind(dry_run):
    """Remind hospitals of last month's missing use reports, once per product and month (run monthly by cron)."""
    batches = send_reminders_now(send_usage_reminders, dry_run=dry_run)
    for batch in batches:
        who = f"{len(batch.recipients)} 位用户" if batch.recipients else "无医院用户，未通知"
        click.echo(f"{batch.hospital.name}：{batch.month} 缺 {len(batch.products)} 个产品的使用情况（{who}）")
    verb = "将发送" if dry_run else "已发送"
    click.echo(f"{verb} {len(batches)} 条使用情况提醒。")


@adoption_cli.command("rollup")
def rollup_command():
    """Rebuild the dashboards' rollups of every batch from the data (after an upgrade or a restore)."""
    from portal.adoption.rollup import refresh
    from portal.assessments.models import Assessment

    batch_ids = db.session.scalars(sa.select(Assessment.batch_id).distinct().order_by(Assessment.batch_id)).all()
    for batch_id in batch_ids:
        run_cli(refresh, db.session, batch_id)  # one batch at a time: each commit keeps the transaction short
    click.echo(f"已重建 {len(batch_ids)} 个批次的统计汇总。")
