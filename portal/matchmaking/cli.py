"""`flask matchmaking expire` and `flask matchmaking remind`, for the daily cron (both safe to repeat)."""

import click
from flask.cli import AppGroup

from portal.core.unit import run_cli
from portal.matchmaking.meetings import send_meeting_reminders
from portal.matchmaking.needs import expire_needs
from portal.matchmaking.permissions import CRON
from portal.notifications.services import deliver_pending

matchmaking_cli = AppGroup("matchmaking", help="医企对接")


@matchmaking_cli.command("expire")
def expire():
    """Close open needs whose date has passed (they are already hidden from companies)."""
    count = run_cli(expire_needs, CRON)
    deliver_pending(limit=500)
    click.echo(f"已关闭 {count} 条过期的临床需求。")


@matchmaking_cli.command("remind")
def remind():
    """Remind both sides of each confirmed meeting the day before, once per meeting time."""
    meetings = run_cli(send_meeting_reminders)
    deliver_pending(limit=500)
    for meeting in meetings:
        click.echo(f"已提醒：对接 {meeting.match_id}（{meeting.match.hospital.name} · {meeting.match.company.name}）")
    click.echo(f"共发送 {len(meetings)} 场会面的提醒。")
