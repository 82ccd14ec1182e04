"""Catalogue search: Whoosh index with Chinese analysis, fed by the IndexChange outbox."""

import logging

log = logging.getLogger(__name__)


def register(app) -> None:
    """Keep the index current from the web process (called by create_app; idempotent).

    After every write request (the view has committed by then) and on the first request of the process,
    log rows new to this node's index are applied if no other process is applying them at that moment; the
    first request also starts the process's poller thread (poller.py) for changes made elsewhere.
    """
    state = app.extensions.setdefault("portal_search", {"registered": False, "started": False})
    if state["registered"]:
        return
    state["registered"] = True

    from flask import request

    from portal.search import poller

    @app.before_request
    def start_search_poller():
        poller.ensure_started(app)

    @app.after_request
    def apply_search_outbox(response):
        if request.method in ("GET", "HEAD", "OPTIONS") and state["started"]:
            return response
        state["started"] = True
        if request.endpoint == "static":
            return response
        try:
            from portal.search import indexer

            if indexer.has_pending(app):
                indexer.apply_pending(app)
        except Exception:  # the index is derived: never fail a request over it (next drain retries)
            log.exception("applying pending search index changes failed")
        return response
