import click
from flask.cli import AppGroup

from portal.core.actors import COMMAND_LINE
from portal.core.unit import run_cli
from portal.directory.services import import_hospitals

hospitals_cli = AppGroup("hospitals", help="医疗机构管理")


@hospitals_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
def import_command(file):
    """Import hospitals from CSV or XLSX (columns 医院名称, 区, 级别, 是否公立). Any bad row imports nothing."""
    with click.progressbar(length=1, label="导入医疗机构") as bar:

        def progress(done, total):
            bar.length = total
            bar.update(done - bar.pos)

        result = run_cli(import_hospitals, COMMAND_LINE, file, progress=progress, note="（未导入任何数据）")
    click.echo(f"完成：新增 {result.created}，更新 {result.updated}，未变化 {result.unchanged}。")
