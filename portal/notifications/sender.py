"""This process's mail sender: a short-lived daemon thread, started after a commit that queued mail, that
delivers the outbox until nothing is due and then ends, so a slow or silent SMTP server never holds a page.
Retries of failed mail are left to `flask notifications send` (cron or --loop)."""

import logging
import os
import threading

log = logging.getLogger(__name__)
BATCH = 50
_again: dict[int, threading.Event] = {}  # per process (threads do not survive a fork): set = deliver once more
_lock = threading.Lock()


def nudge(app) -> None:
    """Have this process's sender deliver what was just queued; returns at once."""
    with _lock:
        again = _again.get(os.getpid())
        if again is not None:  # a sender is running: it goes round once more
            again.set()
            return
        again = _again[os.getpid()] = threading.Event()
    threading.Thread(target=_run, args=(app, again), name="mail-sender", daemon=True).start()


def _run(app, again: threading.Event) -> None:
    from portal.extensions import db
    from portal.notifications.services import deliver_pending

    while True:
        again.clear()
        with app.app_context():
            try:
                while sum(deliver_pending(limit=BATCH)) == BATCH:
                    pass
            except Exception:  # the rows stay in the outbox; cron or the next nudge retries
                log.exception("mail sender: delivering the outbox failed")
            finally:
                db.session.remove()
        with _lock:
            if not again.is_set():
                del _again[os.getpid()]
                return
