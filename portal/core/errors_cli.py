"""The command line's side of errors_web: the same failures end every command the same way.

A concurrent change of a versioned row, a refused business rule or an unreachable database ends the command
with the Chinese message and exit status 1, instead of a traceback.
"""

import contextlib

import click
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from portal.core.errors import DomainError, StaleObject
from portal.core.errors_web import MESSAGES
from portal.extensions import db


def guard(group: click.Group) -> click.Group:
    """Wrap every command of `group` (once: the groups are module objects shared by every app)."""
    if getattr(group, "portal_guarded", False):
        return group
    invoke = group.invoke

    def guarded(ctx):
        try:
            return invoke(ctx)
        except (StaleDataError, DomainError, OperationalError, InterfaceError) as exc:
            with contextlib.suppress(Exception):
                db.session.rollback()
            raise click.ClickException(_message(exc)) from exc

    group.invoke = guarded
    group.portal_guarded = True
    return group


def _message(exc: Exception) -> str:
    if isinstance(exc, StaleDataError):
        return StaleObject().message
    if isinstance(exc, DomainError):
        return exc.message
    return MESSAGES[503]
