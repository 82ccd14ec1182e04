"""Catalogue updates: what each published batch added, what was delisted, and the same as an Atom feed."""

from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree as ET

from flask import url_for
from sqlalchemy import func, select

from portal.catalogue.models import Batch, Catalogue, Entry, EntryStatus
from portal.core import timeutil
from portal.extensions import db
from portal.workflow import BatchState

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_LIMIT = 50


@dataclass
class Update:
    """One item of a catalogue's history: a published batch (entries added) or one delisting."""

    kind: str  # "batch" | "delisting"
    catalogue: Catalogue
    at: datetime
    batch: Batch | None = None
    entries: list | None = None
    entry: Entry | None = None
    entry_count: int = 0

    @property
    def anchor(self) -> str:
        return f"batch-{self.batch.id}" if self.kind == "batch" else f"delisted-{self.entry.id}"

    @property
    def atom_id(self) -> str:
        # tag: URIs (RFC 4151) stay the same whatever host name serves the portal.
        return f"tag:xinyou.sh.gov.cn,2025:{self.catalogue.code}/{self.anchor}"

    @property
    def title(self) -> str:
        if self.kind == "batch":
            return f"{self.catalogue.name}{self.batch.name}发布：新增 {self.entry_count} 个产品"
        return f"{self.catalogue.name}调出：{self.entry.product_name}"

    @property
    def summary(self) -> str:
        if self.kind == "batch":
            return "；".join(f"{e.product_name}（{e.manufacturer}）" for e in self.entries) or "本批次无新增产品"
        return f"{self.entry.delisted_on:%Y-%m-%d} 调出。原因：{self.entry.delist_reason}"


_ENTRY_COUNT = (
    select(func.count()).where(Entry.batch_id == Batch.id).correlate(Batch).scalar_subquery().label("entry_count")
)


def catalogue_updates(catalogue: Catalogue | None = None, limit: int | None = None, *, entries=True) -> list[Update]:
    """Newest first. `catalogue` None: every catalogue. `entries` False: each batch's count only (the home
    page's list of titles), so a batch of thousands of entries is not loaded to be counted."""
    batch_query = (
        select(Batch, _ENTRY_COUNT).where(Batch.state == BatchState.PUBLISHED).order_by(Batch.published_at.desc())
    )
    delisted_query = select(Entry).where(Entry.status == EntryStatus.DELISTED).order_by(Entry.delisted_on.desc())
    if catalogue is not None:
        batch_query = batch_query.where(Batch.catalogue_id == catalogue.id)
        delisted_query = delisted_query.where(Entry.catalogue_id == catalogue.id)
    if limit:
        batch_query, delisted_query = batch_query.limit(limit), delisted_query.limit(limit)
    counts = {batch: count for batch, count in db.session.execute(batch_query)}
    listed = _entries_by_batch([b.id for b in counts]) if entries else {}
    updates = [
        Update("batch", b.catalogue, b.published_at, batch=b, entries=listed.get(b.id), entry_count=count)
        for b, count in counts.items()
    ]
    for entry in db.session.scalars(delisted_query):
        at = timeutil.start_of_day_shanghai(entry.delisted_on)
        updates.append(Update("delisting", entry.catalogue, at, entry=entry))
    updates.sort(key=lambda u: u.at, reverse=True)
    return updates[:limit] if limit else updates


def _entries_by_batch(batch_ids: list[int]) -> dict[int, list]:
    by_batch: dict[int, list] = {batch_id: [] for batch_id in batch_ids}
    if by_batch:
        for entry in db.session.scalars(select(Entry).where(Entry.batch_id.in_(by_batch)).order_by(Entry.id)):
            by_batch[entry.batch_id].append(entry)
    return by_batch


def _rfc3339(value: datetime) -> str:
    return value.astimezone(timeutil.SHANGHAI).isoformat(timespec="seconds")


def atom_feed(catalogue: Catalogue | None, updates: list[Update]) -> bytes:
    """A valid Atom 1.0 document (RFC 4287): feed and entries with id, title, updated, link, author."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent, tag, text=None, **attrs):
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "zh-CN"})
    if catalogue is not None:
        title = f"{catalogue.name} · 目录更新"
        page = url_for("publishing.updates", code=catalogue.code, _external=True)
        self_url = url_for("publishing.updates_feed", code=catalogue.code, _external=True)
        feed_id = f"tag:xinyou.sh.gov.cn,2025:{catalogue.code}/updates"
    else:
        title = "上海新优药械目录平台 · 目录更新"
        page = url_for("catalogue.index", _external=True)
        self_url = url_for("publishing.feed_all", _external=True)
        feed_id = "tag:xinyou.sh.gov.cn,2025:updates"
    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    latest = max((u.at for u in updates), default=None) or (
        catalogue.created_at if catalogue is not None else timeutil.utcnow()
    )
    sub(feed, "updated", _rfc3339(latest))
    sub(feed, "link", href=self_url, rel="self", type="application/atom+xml")
    sub(feed, "link", href=page, rel="alternate", type="text/html")
    author = sub(feed, "author")
    sub(author, "name", "上海新优药械目录平台")
    for update in updates:
        item = sub(feed, "entry")
        sub(item, "id", update.atom_id)
        sub(item, "title", update.title)
        sub(item, "updated", _rfc3339(update.at))
        link = url_for("publishing.updates", code=update.catalogue.code, _external=True) + "#" + update.anchor
        sub(item, "link", href=link, rel="alternate", type="text/html")
        sub(item, "summary", update.summary, type="text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)
