import click
from flask.cli import AppGroup

from portal.catalogue.models import Scope
from portal.catalogue.services import save_catalogue
from portal.core.errors import DomainError
from portal.extensions import db

catalogue_cli = AppGroup("catalogue", help="目录管理")


@catalogue_cli.command("create")
@click.option("--code", required=True, help="目录代码，例如 SH-XYYX")
@click.option("--name", required=True)
@click.option("--scope", required=True, type=click.Choice([s.value for s in Scope]))
@click.option("--district", default=None, help="区级目录所属的区，例如 宝山区")
@click.option("--deadline-days", default=30, show_default=True, type=int)
@click.option("--notice-days", default=7, show_default=True, type=int)
def create(code, name, scope, district, deadline_days, notice_days):
    """Create a catalogue."""
    try:
        catalogue = save_catalogue(
            None,
            None,
            code=code,
            name=name,
            scope=Scope(scope),
            district=district,
            deadline_days=deadline_days,
            notice_days=notice_days,
        )
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"已创建目录 {catalogue.code}：{catalogue.name}（{catalogue.scope_label}，评估期限 {deadline_days} 天）")
