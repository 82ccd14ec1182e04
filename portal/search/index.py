"""Where the index lives, how it is opened, and the one-writer-at-a-time lock.

Layout of PORTAL_SEARCH_INDEX_DIR:
  writer.lock      flock'd by whoever writes (draining the outbox or rebuilding); others skip or wait
  current          symlink to the live generation; a rebuild writes gen-… beside it and swaps the link
  gen-<stamp>/     Whoosh index folders (the previous one is kept for searchers still reading it), each with
                   outbox-cursor.json: how far it has read the IndexChange log (cursor.py)
  index-id         this folder's name in the database's SearchIndexCursor table

Whoosh's own write lock is never contended because nobody opens a writer without holding writer.lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import threading
import time
import uuid
from pathlib import Path

from flask import current_app
from whoosh import index as whoosh_index
from whoosh import scoring

from portal.search.schema import build_schema

# Bumped whenever the schema or the analysis changes: a generation built under another name counts as
# missing, so it is rebuilt from the database (within the request when small, else in the background).
INDEX_NAME = "portal-2"
CURRENT = "current"
_local = threading.local()


class IndexUnavailable(RuntimeError):
    """The index is missing or unreadable; callers fall back to the database."""


def base_dir(app=None) -> Path:
    app = app or current_app
    path = Path(app.config["PORTAL_SEARCH_INDEX_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


_holds_index: set[str] = set()  # generation folders seen to hold an index (they keep it until removed)


def current_dir(app=None) -> Path | None:
    link = base_dir(app) / CURRENT
    try:
        target = link.resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        return None
    # Opening the index to check it costs milliseconds on every search; the symlink is checked each time.
    if str(target) in _holds_index:
        return target
    if whoosh_index.exists_in(str(target), indexname=INDEX_NAME):
        if len(_holds_index) > 64:  # one per rebuild: bounded all the same
            _holds_index.clear()
        _holds_index.add(str(target))
        return target
    return None


def exists(app=None) -> bool:
    return current_dir(app) is not None


def new_generation(app=None) -> Path:
    """A fresh, empty index folder beside `current` (not live until `swap_to`)."""
    path = base_dir(app) / f"gen-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    path.mkdir()
    whoosh_index.create_in(str(path), build_schema(), indexname=INDEX_NAME)
    return path


def swap_to(path: Path, app=None) -> None:
    """Make `path` the live generation atomically (rename of a symlink), then prune old generations."""
    base = base_dir(app)
    tmp = base / f".current-{os.getpid()}-{threading.get_ident()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(path.name)
    os.replace(tmp, base / CURRENT)
    _prune(base, keep={path.name})


def _prune(base: Path, keep: set[str]) -> None:
    """Keep the live generation and the newest older one (searchers may still read it); remove the rest."""
    gens = sorted((p for p in base.glob("gen-*") if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    older = [p for p in gens if p.name not in keep]
    for stale in older[1:]:
        shutil.rmtree(stale, ignore_errors=True)


def open_index(app=None):
    path = current_dir(app)
    if path is None:
        raise IndexUnavailable("search index missing")
    return whoosh_index.open_dir(str(path), indexname=INDEX_NAME)


@contextlib.contextmanager
def searcher(app=None):
    """A searcher on the live generation, cached per thread and refreshed when the index changed.

    Whoosh readers share file handles, so they are not shared between threads.
    """
    path = current_dir(app)
    if path is None:
        raise IndexUnavailable("search index missing")
    cached = getattr(_local, "searchers", {})
    _local.searchers = cached
    key = str(path)
    s = cached.get(key)
    try:
        if s is None:
            for other in cached.values():
                with contextlib.suppress(Exception):
                    other.close()
            cached.clear()
            s = _open_searcher(key)
        elif not s.up_to_date():
            # Not s.refresh(): whoosh3 compares segments by id only, so a refreshed reader reuses the old
            # segment reader and misses deletions made since (a delisted entry would stay visible).
            with contextlib.suppress(Exception):
                s.close()
            s = _open_searcher(key)
        cached[key] = s
    except Exception as exc:  # a half-written or removed generation
        cached.pop(key, None)
        raise IndexUnavailable(str(exc)) from exc
    yield s


def _open_searcher(path: str):
    # Frequency weighting: the bigram field's token weights already carry the field boosts; BM25's
    # saturation and length normalisation would flatten them (see schema.py).
    s = whoosh_index.open_dir(path, indexname=INDEX_NAME).searcher(weighting=scoring.Frequency())
    s._portal_caches = _caches_for(path, s.reader().generation())
    return s


# Filter results and facet columns depend only on the index generation (its segments fix the document
# numbers), so every thread's searcher on the same generation shares them: a worker's threads warm up once.
_shared: dict[str, tuple[int, dict]] = {}
_shared_lock = threading.Lock()


def _caches_for(path: str, generation: int) -> dict:
    with _shared_lock:
        held = _shared.get(path)
        if held is None or held[0] != generation:
            held = (generation, {"columns": {}, "filters": {}, "generation": (path, generation)})
            _shared[path] = held
        return held[1]


def facet_columns(s, names) -> dict[str, list]:
    """Per searcher: each facet's value for every document number (read once from the column store)."""
    cache = s._portal_caches["columns"]
    reader = s.reader()
    for name in names:
        if name not in cache:
            values = list(reader.column_reader(name, translate=True))
            if name == "departments":
                values = [tuple(v.split("|")) if v else () for v in values]
            cache[name] = values
    return cache


def filter_docs(s, key: tuple, make_query) -> set[int]:
    """The document numbers a filter allows, computed once per searcher (a filter over every listed entry
    would otherwise be rebuilt by Whoosh, in Python, on every search)."""
    cache = s._portal_caches["filters"]
    if key not in cache:
        if len(cache) > 256:
            cache.clear()
        cache[key] = set(s.docs_for_query(make_query()))
    return cache[key]


def forget_searchers() -> None:
    for s in getattr(_local, "searchers", {}).values():
        with contextlib.suppress(Exception):
            s.close()
    _local.searchers = {}


@contextlib.contextmanager
def writer_lock(app=None, *, wait: float = 0.0):
    """Hold writer.lock; yields True if held, False if someone else has it (after waiting `wait` seconds).

    flock locks belong to the open file, so threads of one process exclude each other too, and a killed
    process's lock goes away with it.
    """
    path = base_dir(app) / "writer.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    held = False
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.05)
        yield held
    finally:
        if held:
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def index_id(app=None) -> str:
    """This index folder's identity in the database's cursor table, made once per folder."""
    path = base_dir(app) / "index-id"
    with contextlib.suppress(FileNotFoundError):
        return path.read_text().strip()
    tmp = path.with_name(f".index-id-{os.getpid()}-{threading.get_ident()}")
    tmp.write_text(uuid.uuid4().hex)
    with contextlib.suppress(FileExistsError):
        os.link(tmp, path)  # first writer wins, atomically
    tmp.unlink()
    return path.read_text().strip()
