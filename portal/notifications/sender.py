"""This process's mail sender: a daemon thread, started on first use, that delivers the outbox when woken
after a commit (and every few minutes, for retries), so a slow or silent SMTP server never holds a page."""

import logging
import os
import threading

log = logging.getLogger(__name__)
RETRY_EVERY = 300.0
BATCH = 50
_senders: dict[int, threading.Event] = {}
_lock = threading.Lock()


def nudge(app) -> None:
    """Wake the sender thread of this process (starting it the first time); returns at once."""
    wake = _senders.get(os.getpid())  # keyed by process: threads do not survive a fork
    if wake is None:
        with _lock:
            wake = _senders.get(os.getpid())
            if wake is None:
                wake = _senders[os.getpid()] = threading.Event()
                threading.Thread(target=_run, args=(app, wake), name="mail-sender", daemon=True).start()
    wake.set()


def _run(app, wake: threading.Event) -> None:
    from portal.extensions import db
    from portal.notifications.services import deliver_pending

    while True:
        wake.wait(RETRY_EVERY)
        wake.clear()
        with app.app_context():
            try:
                while sum(deliver_pending(limit=BATCH)) == BATCH:
                    pass
            except Exception:  # the rows stay in the outbox; cron or the next wake retries
                log.exception("mail sender: delivering the outbox failed")
            finally:
                db.session.remove()
