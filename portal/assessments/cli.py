"""`flask assessments status`, `remind` and `import` (DESIGN §6)."""

import json
import unicodedata

import click
from flask.cli import AppGroup

from portal.assessments.reminders import send_reminders
from portal.assessments.services import status_report
from portal.core.unit import run_cli
from portal.notifications.services import send_reminders_now

assessments_cli = AppGroup("assessments", help="入院评估")

STATUS_COLUMNS = (
    ("hospital", "医院"),
    ("district", "区"),
    ("total", "总数"),
    ("decided", "已决定"),
    ("on_time", "按时"),
    ("late", "逾期决定"),
    ("open", "未完成"),
    ("due_at", "截止"),
)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


@assessments_cli.command("status")
@click.option("--catalogue", "catalogue_code", default=None, help="目录代码，例如 SH-XYYX")
@click.option("--batch", "batch_name", default=None, help="批次名称，例如 第五批")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 列表")
def status(catalogue_code, batch_name, as_json):
    """Per hospital: total, decided, on time, late, open, and the next due date."""
    rows = run_cli(status_report, catalogue_code, batch_name)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("没有符合条件的评估任务。")
        return
    table = [[label for _, label in STATUS_COLUMNS]]
    for row in rows:
        cells = [str(row[key]) if row[key] is not None else "—" for key, _ in STATUS_COLUMNS]
        cells[-1] = cells[-1][:10]  # the date is enough on a terminal
        table.append(cells)
    widths = [max(_width(r[i]) for r in table) for i in range(len(STATUS_COLUMNS))]
    for n, cells in enumerate(table):
        click.echo("  ".join(_pad(c, w) for c, w in zip(cells, widths, strict=True)).rstrip())
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))
    totals = {key: sum(r[key] for r in rows) for key in ("total", "decided", "on_time", "late", "open")}
    click.echo(
        f"合计：{len(rows)} 家医疗机构，任务 {totals['total']}，已决定 {totals['decided']}"
        f"（按时 {totals['on_time']}，逾期 {totals['late']}），未完成 {totals['open']}。"
    )


@assessments_cli.command("remind")
@click.option("--dry-run", is_flag=True, help="只列出将要发送的提醒，不发送也不记录")
def remind(dry_run):
    """Send due-in-7, due-in-3 and overdue reminders, each once per assessment (run daily by cron)."""
    batches = send_reminders_now(send_reminders, dry_run=dry_run)
    for batch in batches:
        who = f"{len(batch.recipients)} 位用户" if batch.recipients else "无医院用户，未通知"
        click.echo(f"{batch.hospital.name}：{batch.kind.label} {len(batch.items)} 项（{who}）")
    verb = "将发送" if dry_run else "已发送"
    click.echo(f"{verb} {len(batches)} 条提醒，涉及 {sum(len(b.items) for b in batches)} 项评估任务。")


@assessments_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
def import_command(path):
    """Decisions made outside the portal (columns 医院名称, 注册证编号, 结论, 理由, 决定日期); all or nothing."""
    from portal.accounts.system import system_actor
    from portal.assessments.importer import import_decisions

    result = run_cli(import_decisions, system_actor(), path)  # a user row: decisions need a decider
    click.echo(
        f"已导入 {result.decided} 项决定（其中逾期 {result.late} 项），{result.unchanged} 项已是该决定、未改动。"
    )
