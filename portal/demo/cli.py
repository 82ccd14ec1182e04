import click
from flask.cli import AppGroup

from portal.accounts.models import User
from portal.core.unit import run_cli
from portal.demo.seed import seed_demo
from portal.extensions import db

demo_cli = AppGroup("demo", help="演示数据")

LABELS = {
    "catalogues": "目录",
    "companies": "企业",
    "hospitals": "医疗机构",
    "users": "用户",
    "products": "产品",
    "attachments": "附件",
    "batches": "批次",
    "applications": "申报",
    "entries": "目录条目",
    "assessments": "评估任务",
}


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="只在数据库中还没有任何用户时写入（make run 使用）")
def seed(if_empty):
    """Create the demo data that is missing (safe to run again) and print a login for every role."""
    if db.engine.dialect.name == "postgresql":  # nodes starting at once: one seeds, the others wait, then skip
        db.session.execute(db.text("SELECT pg_advisory_xact_lock(hashtext('portal demo seed'))"))
    if if_empty and db.session.scalar(db.select(User.id).limit(1)) is not None:
        click.echo("数据库已有数据，跳过演示数据。")
        return
    lines = []
    counts = run_cli(seed_demo, out=lines.append)  # its commit also ends the advisory lock's transaction
    created = [f"{LABELS.get(key, key)} {n}" for key, n in counts.items() if n]
    click.echo("已创建：" + "，".join(created) + "。" if created else "演示数据已存在，未作更改。")
    click.echo("")
    click.echo("演示账号（所有账号密码相同）：")
    for line in lines:
        click.echo(line)
