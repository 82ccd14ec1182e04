"""Small helpers every views module shares: pages of a list, service look-ups as 404/403, the answer to a
form's action, form times."""

from datetime import UTC

from flask import abort, current_app, flash, redirect
from flask_login import current_user

from portal.core import timeutil
from portal.core.errors import NotFound, PermissionDenied, StaleObject
from portal.extensions import db


def paginate(query):
    return db.paginate(query, per_page=current_app.config["PORTAL_PAGE_SIZE"], max_per_page=200)


def found(getter, *args, **kwargs):
    """A service look-up; not the actor's (or missing) is a plain 404 on every method, never a redirect."""
    try:
        return getter(current_user, *args, **kwargs)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)


def answer(outcome, done: str, url: str):
    """The redirect after a form's action (post/redirect/get), or None to show the page again with the input.

    Done: `done` is flashed. A stale version: its message is flashed and the redirect is a 303, so refreshing
    cannot send the stale action again. Any other refusal: None (`submit` put it beside its field)."""
    if outcome.ok:
        flash(done, "success")
        return redirect(url)
    if isinstance(outcome.error, StaleObject):
        flash(outcome.error.message, "error")
        return redirect(url, 303)
    return None


def local_to_utc(local_naive):
    """A Shanghai wall-clock time typed into a form, as an aware UTC datetime."""
    if local_naive is None:
        return None
    return local_naive.replace(tzinfo=timeutil.SHANGHAI).astimezone(UTC)


def utc_to_local_naive(value):
    local = timeutil.to_shanghai(value)
    return local.replace(tzinfo=None) if local else None
