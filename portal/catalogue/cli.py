from datetime import date, datetime

import click
from flask.cli import AppGroup

from portal.catalogue.models import Scope
from portal.catalogue.services import ALL_PRODUCT_TYPES, save_catalogue
from portal.core.actors import COMMAND_LINE
from portal.core.errors import DomainError
from portal.core.unit import run_cli

catalogue_cli = AppGroup("catalogue", help="目录管理")


def parse_date_option(option: str, text: str | None) -> date | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise DomainError(f"{option}「{text}」不是有效日期，应为 YYYY-MM-DD。") from None


@catalogue_cli.command("create")
@click.option("--code", required=True, help="目录代码，例如 SH-XYYX")
@click.option("--name", required=True)
@click.option("--scope", required=True, type=click.Choice([s.value for s in Scope]))
@click.option("--district", default=None, help="区级目录所属的区，例如 宝山区")
@click.option("--deadline-days", default=30, show_default=True, type=int)
@click.option("--notice-days", default=7, show_default=True, type=int)
@click.option("--allow-class-one", is_flag=True, help="接受第一类医疗器械备案产品")
@click.option("--first-approved-after", default=None, help="首次获批日期不早于 YYYY-MM-DD")
@click.option(
    "--product-types", default=",".join(ALL_PRODUCT_TYPES), show_default=True, help="可申报的产品类型，逗号分隔"
)
def create(
    code, name, scope, district, deadline_days, notice_days, allow_class_one, first_approved_after, product_types
):
    """Create a catalogue with its eligibility rules (DESIGN §4, §6)."""
    catalogue = run_cli(
        lambda: save_catalogue(
            COMMAND_LINE,
            None,
            code=code,
            name=name,
            scope=Scope(scope),
            district=district,
            deadline_days=deadline_days,
            notice_days=notice_days,
            allows_class_one=allow_class_one,
            allowed_product_types=product_types.replace("，", ",").split(","),
            first_approval_cutoff=parse_date_option("--first-approved-after", first_approved_after),
        )
    )
    click.echo(f"已创建目录 {catalogue.code}：{catalogue.name}（{catalogue.scope_label}，评估期限 {deadline_days} 天）")


@catalogue_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--catalogue", "catalogue_code", required=True, help="目录代码，例如 SH-XYYX")
@click.option("--batch", "batch_name", required=True, help="批次名称，例如 第五批")
@click.option("--published-on", default=None, help="发布日期 YYYY-MM-DD（新建批次时使用，默认今天）")
@click.option("--assess", is_flag=True, help="为范围内公立医疗机构生成入院评估任务（按发布日期计算截止日期）")
def import_command(file, catalogue_code, batch_name, published_on, assess):
    """Load an already published batch from CSV or XLSX. Any bad row imports nothing; a second run changes nothing."""
    from portal.catalogue.importer import import_batch

    with click.progressbar(length=1, label="导入目录条目") as bar:

        def progress(done, total):
            bar.length = total
            bar.update(done - bar.pos)

        result = run_cli(
            lambda: import_batch(
                COMMAND_LINE,
                file,
                catalogue_code=catalogue_code,
                batch_name=batch_name,
                published_on=parse_date_option("--published-on", published_on),  # a bad date is refused like a bad row
                assess=assess,
                progress=progress,
            ),
            note="\n（未导入任何数据）",
        )
    batch = result.batch
    created = "，新建" if result.batch_created else ""
    click.echo(
        f"完成：批次「{batch.name}」（发布日期 {batch.published_on:%Y-%m-%d}{created}）；"
        f"新增企业 {result.companies}，新增产品 {result.products}，新增条目 {result.entries}，"
        f"已存在 {result.unchanged}" + (f"；新增评估任务 {result.assessments}" if assess else "") + "。"
    )
