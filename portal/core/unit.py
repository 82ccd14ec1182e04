"""The unit of work: run one action, commit once, turn a refusal into the caller's answer, then after-commit work.

Views, the API and the command line all run their actions through here, so none of them commits or catches
DomainError itself. A refusal (DomainError, or a concurrent change found at commit) rolls everything back:
- `run` returns an Outcome; `submit` also shows the refusal beside the form field it names; `perform` raises
  it for the app-wide error page (core/errors_web.py);
- `run_json` answers an API refusal as `{"error": {code, message, field}}` with the error's status;
- `run_cli` stops a command with the message (exit status 1).
After a successful commit, `committed` is sent: areas connect the work that must follow the commit (mail).
"""

from dataclasses import dataclass

import click
from blinker import Namespace
from flask import current_app
from sqlalchemy.orm.exc import StaleDataError

from portal.core.errors import ERROR_CODES, DomainError, StaleObject, json_error
from portal.core.forms import attach_error
from portal.core.persistence import commit_or_stale
from portal.extensions import db

committed = Namespace().signal("committed")  # sent with (app) after each successful commit


@dataclass
class Outcome:
    value: object = None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def status(self) -> int:
        return self.error.status_code if self.error is not None else 200


def run(action, *args, **kwargs) -> Outcome:
    """Call `action(*args, **kwargs)` and commit once; a refusal rolls back and comes back in the Outcome."""
    try:
        value = action(*args, **kwargs)
        commit()
    except DomainError as exc:
        db.session.rollback()
        return Outcome(error=exc)
    except StaleDataError:  # a concurrent change met at a flush inside the action
        db.session.rollback()
        return Outcome(error=StaleObject())
    return Outcome(value)


def commit() -> None:
    """The commit of `run`: StaleObject for a concurrent change (the caller rolls back), then `committed`."""
    commit_or_stale()
    committed.send(current_app._get_current_object())


def perform(action, *args, **kwargs):
    """`run` for an action without a form: a refusal, rolled back, is raised for the app's error page."""
    outcome = run(action, *args, **kwargs)
    if not outcome.ok:
        raise outcome.error
    return outcome.value


def submit(form, action, *args, **kwargs) -> Outcome:
    """`run` for a page with a form: a refusal is shown beside the field it names, or above the form."""
    outcome = run(action, *args, **kwargs)
    if not outcome.ok:
        attach_error(form, outcome.error)
    return outcome


def error_json(error: DomainError):
    """The API's error body (see the OpenAPI Error schema); a stale version is `stale`, not just a conflict."""
    code = "stale" if isinstance(error, StaleObject) else ERROR_CODES.get(error.status_code, "invalid")
    return json_error(error.status_code, error.message, code=code, field=error.field)


def run_json(action, *args, **kwargs):
    """`run` for the API: the action's value on success, else the JSON error response with its status."""
    outcome = run(action, *args, **kwargs)
    return outcome.value if outcome.ok else error_json(outcome.error)


def run_cli(action, *args, note: str = "", **kwargs):
    """`run` for a command: the action's value on success, else the message (and `note`) with exit status 1."""
    outcome = run(action, *args, **kwargs)
    if not outcome.ok:
        raise click.ClickException(outcome.error.message + note)
    return outcome.value
