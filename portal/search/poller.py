"""One thread per process keeps this node's index in step with the log, so an idle node catches up about a
second after a change made on another node (not only on its next search), and old log rows get pruned.

Started lazily by the first request a process serves, so with gunicorn it runs inside each worker (threads
do not survive the fork). Workers of one node share one index folder: whichever holds writer.lock applies,
the others skip that round.
"""

import logging
import os
import threading
import time

log = logging.getLogger(__name__)
PRUNE_EVERY = 60.0
_threads: dict[tuple[int, str], threading.Thread] = {}
_lock = threading.Lock()


def ensure_started(app) -> None:
    interval = app.config["PORTAL_SEARCH_POLL_MS"] / 1000
    key = (os.getpid(), app.config["PORTAL_SEARCH_INDEX_DIR"])
    if interval <= 0 or key in _threads:
        return
    with _lock:
        if key in _threads:
            return
        thread = threading.Thread(target=_run, args=(app, interval), name="search-poller", daemon=True)
        _threads[key] = thread
        thread.start()


def _run(app, interval: float) -> None:
    from portal.search import indexer

    last_prune = time.monotonic()
    while True:
        time.sleep(interval)
        try:
            with app.app_context():
                indexer.apply_pending(app)
                if time.monotonic() - last_prune >= PRUNE_EVERY:
                    last_prune = time.monotonic()
                    indexer.prune(app)
        except Exception:  # the index is derived; the next round retries
            log.exception("search poller: bringing the index up to date failed")
