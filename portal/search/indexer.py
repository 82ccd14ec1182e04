"""Documents from database rows, applying the index log, and the full rebuild.

The database is the truth. Services write an IndexChange row in the same transaction as the change
(portal.core.outbox.queue). Each node's index reads that log from its own cursor (journal.py): whoever holds
the node's writer.lock applies the rows new to it in id order, then moves the cursor. A process killed
half-way has not moved it, so the next reader applies those rows again; applying twice is harmless (update
by key). A node's processes read the log after their own writes, before searching, and from a poller thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta

from flask import current_app, has_request_context, request
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.applications.models import Application
from portal.catalogue.models import Entry
from portal.core import dataversion
from portal.core.outbox import APPLICATION, ENTRY
from portal.extensions import db
from portal.products.models import Product
from portal.search import cursor as cursor_file
from portal.search import index as idx
from portal.search import journal
from portal.search.analysis import weighted
from portal.search.cursor import Cursor
from portal.search.ranking import rank_key
from portal.search.schema import BOOSTS as B

log = logging.getLogger(__name__)
# Below this many documents a missing index is rebuilt within the request that notices it.
SYNC_REBUILD_LIMIT = 5000
PENDING_WAIT = 2.0


def _yyyymmdd(d) -> int:
    return d.year * 10000 + d.month * 100 + d.day if d else 0


def _text(*parts) -> str:
    return "\n".join(p for p in parts if p)


def entry_doc(entry: Entry) -> dict:
    company = entry.product.company if entry.product is not None else None
    departments = list(entry.departments or [])
    data = {
        "id": entry.id,
        "product_name": entry.product_name,
        "model": entry.model or "",
        "registration_no": entry.registration_no,
        "manufacturer": entry.manufacturer,
        "manufacturer_short": company.short_name if company else "",
        "catalogue": entry.catalogue.code,
        "catalogue_name": entry.catalogue.name,
        "batch": entry.batch.name,
        "category": entry.product_type,
        "device_class": entry.device_class,
        "key_area": entry.key_area,
        "departments": departments,
        "district": company.district if company else None,
        "innovative": entry.innovative_review,
        "listed_on": entry.listed_on.isoformat() if entry.listed_on else None,
        "status": entry.status.value,
        "indications": entry.indications or "",
        "description": entry.description or "",
    }
    return {
        "key": f"{ENTRY}:{entry.id}",
        "doc_type": ENTRY,
        "doc_id": entry.id,
        "text_bg": weighted(
            (B["name"], entry.product_name),
            (B["model"], entry.model or ""),
            (B["maker"], _text(entry.manufacturer, company.short_name if company else "")),
            (B["dept"], "，".join(departments)),
            (B["area"], entry.key_area or ""),
            (B["desc"], _text(entry.indications, entry.description)),
        ),
        "name_w": entry.product_name,
        "name_py": entry.product_name,
        "name_pyi": entry.product_name,
        "dept_w": "|".join(departments),
        "rank": rank_key(entry.innovative_review, entry.device_class, entry.listed_on, entry.id),
        "regno": entry.registration_no or "",
        "maker_short": (company.short_name or "").lower() if company else "",
        "departments": "|".join(departments),
        "catalogue": str(entry.catalogue_id),
        "batch": str(entry.batch_id),
        "key_area": entry.key_area or "",
        "device_class": entry.device_class or "",
        "category": entry.product_type or "",
        "department": ",".join(d.replace(",", " ") for d in departments),
        "district": (company.district if company else None) or "",
        "innovative": entry.innovative_review or "none",
        "status": entry.status.value,
        "listed_on": _yyyymmdd(entry.listed_on),
        "data": data,
    }


def application_doc(application: Application) -> dict:
    product: Product = application.product
    company = application.company
    departments = list(product.departments or [])
    data = {
        "id": application.id,
        "product_name": product.name,
        "model": product.model or "",
        "registration_no": product.registration_no,
        "manufacturer": company.name,
        "state": application.state.value,
    }
    return {
        "key": f"{APPLICATION}:{application.id}",
        "doc_type": APPLICATION,
        "doc_id": application.id,
        "text_bg": weighted(
            (B["name"], product.name),
            (B["model"], product.model or ""),
            (B["maker"], _text(company.name, company.short_name)),
            (B["dept"], "，".join(departments)),
            (B["area"], product.key_area or ""),
        ),
        "name_w": product.name,
        "name_py": product.name,
        "name_pyi": product.name,
        "dept_w": "|".join(departments),
        "rank": rank_key(
            product.innovative_review.value,
            product.device_class.value if product.device_class else None,
            application.submitted_at.date() if application.submitted_at else None,
            application.id,
        ),
        "regno": product.registration_no or "",
        "maker_short": (company.short_name or "").lower(),
        "departments": "|".join(departments),
        "catalogue": str(application.batch.catalogue_id),
        "batch": str(application.batch_id),
        "key_area": product.key_area or "",
        "device_class": product.device_class.value if product.device_class else "",
        "category": product.product_type.value,
        "department": ",".join(d.replace(",", " ") for d in departments),
        "district": company.district or "",
        "innovative": product.innovative_review.value,
        "status": application.state.value,
        "listed_on": _yyyymmdd(application.submitted_at),
        "data": data,
    }


def _entry_load():
    # Built on use: loader options configure the mappers, which needs every model imported first.
    return (
        selectinload(Entry.catalogue),
        selectinload(Entry.batch),
        selectinload(Entry.product).selectinload(Product.company),
    )


def _app_load():
    return (selectinload(Application.product), selectinload(Application.company), selectinload(Application.batch))


def _load_docs(session: Session, doc_type: str, ids: Iterable[int]) -> dict[int, dict]:
    ids = list(ids)
    if not ids:
        return {}
    if doc_type == ENTRY:
        rows = session.scalars(select(Entry).where(Entry.id.in_(ids)).options(*_entry_load())).all()
        return {e.id: entry_doc(e) for e in rows}
    if doc_type == APPLICATION:
        rows = session.scalars(select(Application).where(Application.id.in_(ids)).options(*_app_load())).all()
        return {a.id: application_doc(a) for a in rows}
    return {}


def _apply(writer, session: Session, changes: list[tuple[str, int]]) -> None:
    by_type: dict[str, set[int]] = {}
    for doc_type, doc_id in changes:
        by_type.setdefault(doc_type, set()).add(doc_id)
    for doc_type, ids in by_type.items():
        docs = _load_docs(session, doc_type, ids)
        for doc_id in sorted(ids):
            if doc_id in docs:
                writer.update_document(**docs[doc_id])
            else:  # deleted from the database: gone from the index too
                writer.delete_by_term("key", f"{doc_type}:{doc_id}")


def _new_session() -> Session:
    """A session of its own, so draining never touches (or commits) the request's session."""
    return Session(db.engine, expire_on_commit=False)


def _unapplied_ids(app) -> list[int]:
    folder = idx.current_dir(app)
    cursor = (cursor_file.load(folder) if folder else None) or Cursor()
    with _new_session() as session:
        return [row.id for page in journal.new_changes(session, cursor) for row in page]


def pending_count(app=None) -> int:
    """How many log rows this node's index has not applied yet."""
    return len(_unapplied_ids(app or current_app._get_current_object()))


# Per index folder: (its cursor, the data token) when the log held nothing new for it. Log rows come with
# writes and every write replaces the token, so while the token stands nothing can have been added.
_quiet: dict[str, tuple] = {}


def has_pending(app=None, token: int | None = None) -> bool:
    """Asked before every search, so kept cheap: the cursor file is re-read only when it changed; given the
    data token of a request that writes nothing, not asked again while the token is the one it was last found
    quiet at; otherwise, with no gaps, one index probe ("any log row above high?") on a plain connection."""
    folder = idx.current_dir(app or current_app._get_current_object())
    cursor = (cursor_file.load_cached(folder) if folder else None) or Cursor()
    quiet = (cursor.high, tuple(map(tuple, cursor.gaps)), token)
    if token is not None and _quiet.get(str(folder)) == quiet:
        return False
    with db.engine.connect() as connection:
        pending = journal.has_new(connection, cursor)
    if not pending and token is not None:
        if len(_quiet) > 16:  # one folder per rebuild: bounded all the same
            _quiet.clear()
        _quiet[str(folder)] = quiet
    return pending


def _reading_request_token() -> int | None:
    """The data token of the current GET or HEAD request (the searches). Not for the drain after a writing
    request, which would hold a second pooled connection for it, nor for the poller, whose app context would
    keep one token for good."""
    if has_request_context() and request.method in ("GET", "HEAD"):
        return dataversion.current()
    return None


def apply_pending(app=None, *, wait: float = 0.0) -> int | None:
    """Apply the log rows this index has not seen if writer.lock is free; returns how many rows were applied
    (documents indexed when it had to rebuild), None if busy."""
    app = app or current_app._get_current_object()
    with idx.writer_lock(app, wait=wait) as held:
        if not held:
            return None
        folder = idx.current_dir(app)
        if folder is None:
            return _rebuild_locked(app)
        cursor = cursor_file.load(folder)
        with _new_session() as session:
            if not journal.in_step(session, app, cursor):
                return _rebuild_locked(app)
            cursor = cursor or Cursor()
            seen = []
            ix = None
            for rows in journal.new_changes(session, cursor):
                if ix is None:
                    ix = idx.open_index(app)
                writer = ix.writer()
                try:
                    _apply(writer, session, [(r.doc_type, r.doc_id) for r in rows])
                    writer.commit()
                except BaseException:
                    writer.cancel()
                    raise
                seen += [r.id for r in rows]
                session.expunge_all()
            moved = cursor.advance(seen, time.time())
            # The database first: a crash before the file is saved only replays rows (harmless).
            journal.record(session, app, cursor)
            if moved or not (folder / cursor_file.FILE_NAME).exists():
                cursor_file.save(folder, cursor)
            return len(seen)


def prune(app=None) -> int:
    """Delete the log rows that every live index has applied (or that are past the horizon)."""
    app = app or current_app._get_current_object()
    with _new_session() as session:
        return journal.prune(session, timedelta(hours=app.config["PORTAL_SEARCH_LOG_HORIZON_HOURS"]))


def rebuild(app=None, *, progress: Callable[[int, int], None] | None = None, wait: float = 600.0) -> int:
    """Build a fresh index from the database in a new folder and swap it in; returns documents indexed."""
    app = app or current_app._get_current_object()
    with idx.writer_lock(app, wait=wait) as held:
        if not held:
            raise idx.IndexUnavailable("另一个进程正在写入检索索引，请稍后再试。")
        return _rebuild_locked(app, progress=progress)


def _rebuild_locked(app, progress=None) -> int:
    with _new_session() as session:
        # Where the log stands before any data is read: rows committed later are applied on top.
        cursor = journal.snapshot(session)
        entry_ids = list(session.scalars(select(Entry.id).order_by(Entry.id)))
        app_ids = list(session.scalars(select(Application.id).order_by(Application.id)))
        total = len(entry_ids) + len(app_ids)
        path = idx.new_generation(app)
        from whoosh import index as whoosh_index

        ix = whoosh_index.open_dir(str(path), indexname=idx.INDEX_NAME)
        writer = ix.writer(limitmb=128)
        done = 0
        try:
            for doc_type, ids in ((ENTRY, entry_ids), (APPLICATION, app_ids)):
                for start in range(0, len(ids), 500):
                    chunk = ids[start : start + 500]
                    docs = _load_docs(session, doc_type, chunk)
                    for doc_id in chunk:
                        if doc_id in docs:
                            writer.add_document(**docs[doc_id])
                    session.expunge_all()
                    done += len(chunk)
                    if progress:
                        progress(done, total)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        cursor_file.save(path, cursor)
        journal.record(session, app, cursor)
        idx.swap_to(path, app)
        return total


# ---------------------------------------------------------------------------------------------------------
# Keeping the index current from the web process
# ---------------------------------------------------------------------------------------------------------

_background: dict[str, threading.Thread] = {}


def ensure_current(app=None) -> bool:
    """Called before searching: apply what is pending; build a missing index (in the background if large).

    Returns True when the live index can be searched.
    """
    app = app or current_app._get_current_object()
    try:
        if idx.exists(app):
            if has_pending(app, _reading_request_token()):
                # Another thread (the poller, say) may be applying from before our change: wait for it
                # briefly, then apply the rest, so a search sees what was just written.
                apply_pending(app, wait=PENDING_WAIT)
            return True
        with _new_session() as session:
            size = session.query(Entry).count() + session.query(Application).count()
        if size <= SYNC_REBUILD_LIMIT:
            apply_pending(app, wait=5.0)  # builds the index when it is missing
            return idx.exists(app)
        rebuild_in_background(app, only_if_missing=True)
        return False
    except Exception:
        log.exception("search index could not be brought up to date")
        return idx.exists(app)


def rebuild_in_background(app, *, only_if_missing: bool = False) -> None:
    """Rebuild in a thread of this process (at most one per index folder; skipped if another writer is busy)."""
    key = app.config["PORTAL_SEARCH_INDEX_DIR"]
    thread = _background.get(key)
    if thread is not None and thread.is_alive():
        return

    def run():
        with app.app_context():
            try:
                with idx.writer_lock(app, wait=0.0) as held:
                    if held and (not only_if_missing or not idx.exists(app)):
                        _rebuild_locked(app)
            except Exception:
                log.exception("background rebuild of the search index failed")

    thread = threading.Thread(target=run, name="search-rebuild", daemon=True)
    _background[key] = thread
    thread.start()
