import json

import click
from flask import current_app
from flask.cli import AppGroup

from portal.core.unit import run_cli
from portal.search.synonyms import seed_synonyms

search_cli = AppGroup("search", help="目录检索")


@search_cli.command("reindex")
def reindex():
    """Rebuild the search index from the database (a fresh folder, swapped in when complete)."""
    from portal.search import index as idx
    from portal.search import indexer

    app = current_app._get_current_object()
    bar = None
    state = {"done": 0}

    def progress(done, total):
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=max(total, 1), label="重建检索索引", show_pos=True)
            bar.__enter__()
        bar.update(done - state["done"])
        state["done"] = done

    try:
        total = indexer.rebuild(app, progress=progress)
    except idx.IndexUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    click.echo(f"已索引 {total} 个文档（目录条目与申报），索引目录 {idx.current_dir(app)}")


@search_cli.command("query")
@click.argument("text", nargs=-1, required=True)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="按 API 的 items 格式输出 JSON（最相关的在前）")
def query(text, limit, as_json):
    """Search the published catalogue entries as the public search does."""
    from portal.search import services

    result = services.search_entries(" ".join(text), {}, page=1, per_page=limit, facets=False, suggest=False)
    items = [services.api_item(item) for item in result.items]
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    if result.fallback:
        click.echo("（检索索引不可用，以下为数据库简单匹配结果）", err=True)
    click.echo(f"共 {result.total} 个结果")
    for item in items:
        click.echo(
            f"{item['id']:>6}  {item['product_name']}  {item['model']}  "
            f"{item['registration_no']}  {item['manufacturer']}"
        )


@search_cli.command("seed-synonyms")
def seed_synonyms_command():
    """Load the common colloquial names and abbreviations (keeps what admins changed)."""
    added = run_cli(seed_synonyms)
    click.echo(f"新增同义词 {added} 条")
