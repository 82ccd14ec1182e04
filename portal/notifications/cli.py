import click
from flask.cli import AppGroup

from portal.notifications.services import deliver_pending

notifications_cli = AppGroup("notifications", help="通知与邮件")


@notifications_cli.command("send")
def send():
    """Send (or retry) the mail waiting in the outbox."""
    sent, failed = deliver_pending(limit=1000)
    click.echo(f"已发送 {sent} 封，失败 {failed} 封（失败的将稍后重试）。")
