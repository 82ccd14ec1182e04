import time

import click
from flask.cli import AppGroup

from portal.extensions import db
from portal.notifications.services import deliver_pending

notifications_cli = AppGroup("notifications", help="通知与邮件")


@notifications_cli.command("send")
@click.option("--loop", is_flag=True, help="持续运行：每隔 --interval 秒发送一次（作为常驻进程）")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(0.1, 3600), help="循环间隔（秒）")
def send(loop, interval):
    """Send (or retry) the mail waiting in the outbox; safe to run on every node at once."""
    while True:
        sent, failed = deliver_pending(limit=1000)
        if not loop:
            click.echo(f"已发送 {sent} 封，失败 {failed} 封（失败的将稍后重试）。")
            return
        if sent or failed:
            click.echo(f"已发送 {sent} 封，失败 {failed} 封。")
        db.session.remove()
        time.sleep(interval)
